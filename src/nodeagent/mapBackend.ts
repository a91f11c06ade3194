import type { MapDelta, MapEntry } from '../maps/delta.js';
import type { MapName } from '../maps/model.js';

/** What one `apply` call achieved: ops [0, applied) took effect; `error` says why the next did not. */
export interface ApplyResult {
  readonly applied: number;
  readonly error?: MapOpError;
}

/** A map operation that failed: names the map, the key and the cause (errno where there is one). */
export class MapOpError extends Error {
  override readonly name = 'MapOpError';
  constructor(
    readonly map: MapName,
    readonly keyId: string,
    message: string,
    readonly errno?: string,
  ) {
    super(`${map} ${keyId}: ${message}`);
  }
}

/** Fill level of a map. */
export interface MapFill {
  readonly entries: number;
  readonly maxEntries: number;
}

/**
 * The one narrow door to a node's maps: the kernel (through the native addon), memory (tests,
 * laptops) and a fault-injecting wrapper all implement it, and the agent uses nothing else.
 * Updating an entry to the value it has and deleting a missing key are both success.
 */
export interface MapBackend {
  readonly name: string;
  /** Every entry of `map` as it is now. */
  dump<M extends MapName>(map: M): Promise<MapEntry<M>[]>;
  /** Applies `ops` in order (the agent passes ops of one map and one kind, so they can be batched). */
  apply(ops: readonly MapDelta[]): Promise<ApplyResult>;
  /** Fill level of `map`. */
  fill(map: MapName): Promise<MapFill>;
  close(): Promise<void>;
}
