/**
 * A failed BPF operation. The native addon builds these (src/datapath/native.ts registers the
 * class), so every kernel error names the operation, the map and the errno with its name.
 */
export class BpfError extends Error {
  /** errno as a positive number (e.g. 2). */
  declare readonly errno: number;
  /** errno's symbolic name (e.g. 'ENOENT'; 'ENOTSUPP' for the kernel-internal 524). */
  declare readonly code: string;
  /** What was being done (e.g. 'update', 'lookupBatch', 'load build/bpf/policy.bpf.o'). */
  declare readonly op: string;
  /** The map concerned, '' when the operation was not on a map. */
  declare readonly map: string;
  /** For batch writes: how many elements were applied before the failure. */
  declare readonly done?: number;

  constructor(message: string) {
    super(message);
    this.name = 'BpfError';
  }
}

/** Type guard for errors thrown or rejected by the datapath addon. */
export function isBpfError(err: unknown): err is BpfError {
  return err instanceof BpfError;
}
