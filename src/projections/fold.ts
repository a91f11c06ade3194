import type { AnyEvent } from '../events/envelope.js';
import type { DesiredMaps, MapDelta } from '../maps/delta.js';
import type { ProjectionOptions } from './projectionOptions.js';

export type { ProjectionOptions } from './projectionOptions.js';

/**
 * A delta as folds emit it. `created: true` on an upsert is an optional hint that the key did
 * not exist before; coalescing uses it to drop a create and delete of one key inside a batch
 * window entirely. A fold that never sets it is still correct, only coalesced less tightly.
 */
export type FoldDelta = MapDelta & { readonly created?: true };

/** What one `apply` returns. */
export interface FoldResult<S> {
  readonly state: S;
  readonly deltas: readonly FoldDelta[];
  /**
   * Why (part of) the event could not be used (bad IP, port out of range...), naming the input.
   * The fold skips that part and keeps going; streams count and report these. Absent means none.
   */
  readonly rejected?: readonly string[];
}

/**
 * A projection of the log onto some maps of one node. Pure: no I/O, deterministic.
 * For O(change) cost, apply may update `state` in place: the caller hands ownership over and
 * never reuses the old reference.
 */
export interface MapFold<S> {
  readonly name: string;
  init(node: string, options?: ProjectionOptions): S;
  apply(state: S, event: AnyEvent): FoldResult<S>;
  /** The full desired contents of the maps this fold owns. */
  desired(state: S): Partial<DesiredMaps>;
}
