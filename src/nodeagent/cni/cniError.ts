/**
 * The CNI specification's well-known error codes (1.1.0, "Error"). 1–99 are reserved by the
 * spec; cairn's own failures use 100 and up.
 */
export const CNI_ERROR = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  /** Container unknown or does not exist: the runtime need not clean up (no DEL). */
  unknownContainer: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodingFailure: 6,
  invalidNetworkConfig: 7,
  tryAgainLater: 11,
  /** STATUS: the plugin is not available (it cannot serve ADD now). */
  pluginNotAvailable: 50,
  limitedConnectivity: 51,
  /** cairn: a link, address or route operation failed. */
  linkSetupFailed: 100,
  /** cairn: CHECK found the container's interface, addresses or routes not as ADD left them. */
  checkMismatch: 101,
  /** cairn: ADD of a container interface that is attached already (the runtime skipped DEL). */
  alreadyAttached: 102,
  /** The reference plugins' catch-all for an error without a code. */
  internal: 999,
} as const;

/** The error object a plugin prints on stdout (spec: `cniVersion`, `code`, `msg`, `details`). */
export interface CniErrorObject {
  readonly cniVersion: string;
  readonly code: number;
  readonly msg: string;
  readonly details?: string;
}

/** A failure to report to the runtime: the spec's code, a message naming the input, details. */
export class CniError extends Error {
  override readonly name = 'CniError';
  constructor(
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }

  /** The spec's error object, in the version the runtime asked for. */
  toObject(cniVersion: string): CniErrorObject {
    return {
      cniVersion,
      code: this.code,
      msg: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isCniError(error: unknown): error is CniError {
  return error instanceof CniError;
}

/** Any thrown value as a CniError (an unexpected one becomes code 999 with its message). */
export function asCniError(error: unknown): CniError {
  if (isCniError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CniError(CNI_ERROR.internal, message);
}
