import type { Position } from '../events/envelope.js';
import type { DesiredMaps, MapDelta } from '../maps/delta.js';
import type { Rejection } from './nodeProjection.js';

/** The net map work of the events of one batch window, for one node, in safe apply order. */
export interface DeltaBatch {
  readonly kind: 'deltas';
  readonly node: string;
  /** Position of the last event folded into this batch: the agent's applied revision once done. */
  readonly position: Position;
  /** How many events were folded into the batch (some may cancel out to no deltas). */
  readonly events: number;
  /** At most one delta per key, ordered by `orderDeltas`. */
  readonly deltas: readonly MapDelta[];
  readonly rejected: readonly Rejection[];
}

/** The full desired state of a node's maps as of `position`, for an agent that starts or resyncs. */
export interface FullState {
  readonly kind: 'full';
  readonly node: string;
  readonly position: Position;
  readonly maps: DesiredMaps;
}

/** What a node's projection stream emits. */
export type NodeOutput = DeltaBatch | FullState;
