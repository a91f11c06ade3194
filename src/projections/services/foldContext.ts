import type { BackendState } from '../../maps/model.js';
import type { DeltaNetter } from '../netDeltas.js';

/** Scratch space of one `apply`: what the event changed, gathered before it is committed. */
export interface FoldContext {
  readonly deltas: DeltaNetter;
  readonly rejected: string[];
  /**
   * The Service the event itself is about (`namespace/name`), or null. Problems of a Service's
   * spec are reported only then, not again on every reconcile a slice or node change causes.
   */
  subject: string | null;
  /** Backend references dropped by this event; applied at the end so ids are not reused mid-event. */
  readonly releases: Array<readonly [string, BackendState]>;
  /** Backend keys whose reference counts changed. */
  readonly touched: Set<string>;
  /** Services still to reconcile (e.g. a frontend was handed over to them). */
  readonly dirty: Set<string>;
}
