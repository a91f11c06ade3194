import type { Position } from './envelope.js';

/** An event that cannot be encoded: names the event and the field at fault. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(
    readonly eventId: string,
    message: string,
  ) {
    super(`event ${eventId}: ${message}`);
  }
}

/** An event larger than one etcd request may carry. */
export class OversizedEventError extends Error {
  override readonly name = 'OversizedEventError';
  constructor(
    readonly eventId: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`event ${eventId} is ${bytes} bytes encoded, over the ${limit}-byte limit of one etcd request`);
  }
}

/** etcd did not answer after every retry; nothing of the failed batch is reported as written. */
export class EtcdUnavailableError extends Error {
  override readonly name = 'EtcdUnavailableError';
  constructor(
    readonly endpoints: readonly string[],
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `etcd at ${endpoints.join(',')} unavailable after ${attempts} attempts: ${(cause as Error)?.message ?? String(cause)}`,
    );
  }
}

/** A read asked for positions that were truncated from the log: start from a snapshot instead. */
export class LogCompactedError extends Error {
  override readonly name = 'LogCompactedError';
  constructor(
    readonly requested: Position,
    readonly firstAvailable: Position,
  ) {
    super(
      `log position ${requested} was compacted; the first readable position is ${firstAvailable} (load a snapshot at or after it)`,
    );
  }
}

export const isInvalidEventError = (e: unknown): e is InvalidEventError => e instanceof InvalidEventError;
export const isOversizedEventError = (e: unknown): e is OversizedEventError =>
  e instanceof OversizedEventError;
export const isEtcdUnavailableError = (e: unknown): e is EtcdUnavailableError =>
  e instanceof EtcdUnavailableError;
export const isLogCompactedError = (e: unknown): e is LogCompactedError => e instanceof LogCompactedError;
