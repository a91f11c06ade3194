import type { AnyEvent, Position } from '../events/envelope.js';
import type { DesiredMaps } from '../maps/delta.js';
import { mergeDesiredMaps } from '../maps/keys.js';
import type { FoldDelta, MapFold, ProjectionOptions } from './fold.js';

/** An event, or part of one, that a fold could not use; it was skipped and the fold went on. */
export interface Rejection {
  /** Log position of the event, null for an event that was not read from a log. */
  readonly position: Position | null;
  readonly eventId: string;
  readonly eventType: string;
  readonly fold: string;
  readonly reason: string;
}

/** What folding one event into a node projection produced. */
export interface FoldStep {
  readonly position: Position | null;
  readonly deltas: readonly FoldDelta[];
  readonly rejected: readonly Rejection[];
}

/** A projection's whole state, as `saveState` gives it and `loadState` takes it. */
export interface ProjectionState {
  readonly position: Position;
  readonly rejections: number;
  readonly folds: readonly { readonly name: string; readonly state: unknown }[];
}

interface Slot {
  readonly fold: MapFold<unknown>;
  state: unknown;
}

function positionOf(event: AnyEvent): Position | null {
  const p = (event as { position?: unknown }).position;
  return typeof p === 'bigint' ? p : null;
}

/**
 * The desired maps of one node: several folds (services, policy...) that each own some maps,
 * fed the same events in log order. Mutable and single-owner: the stream that feeds it is the
 * only writer. A fold that throws is reported as a rejection and the others still see the event.
 */
export class NodeProjection {
  private readonly slots: Slot[];
  private last: Position = 0n;
  private rejections = 0;

  constructor(
    readonly node: string,
    folds: readonly MapFold<unknown>[],
    options: ProjectionOptions = {},
  ) {
    this.slots = folds.map((fold) => ({ fold, state: fold.init(node, options) }));
  }

  /** Position of the last event folded (0n before the first). */
  get position(): Position {
    return this.last;
  }

  /** How many rejections the folds reported so far. */
  get rejectedCount(): number {
    return this.rejections;
  }

  /**
   * Folds one event into every fold. An event at or before the last folded position (a re-tail
   * that overlaps) is ignored, so re-delivery is harmless.
   */
  apply(event: AnyEvent): FoldStep {
    const position = positionOf(event);
    if (position !== null && position <= this.last) return { position, deltas: [], rejected: [] };
    const deltas: FoldDelta[] = [];
    const rejected: Rejection[] = [];
    const reject = (fold: string, reason: string) =>
      rejected.push({ position, eventId: event.id, eventType: event.type, fold, reason });
    for (const slot of this.slots) {
      try {
        const r = slot.fold.apply(slot.state, event);
        slot.state = r.state;
        deltas.push(...r.deltas);
        for (const reason of r.rejected ?? []) reject(slot.fold.name, reason);
      } catch (err) {
        reject(slot.fold.name, `fold threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (position !== null) this.last = position;
    this.rejections += rejected.length;
    return { position, deltas, rejected };
  }

  /**
   * What a projection snapshot saves: the position, the rejection count and every fold's state
   * by name. The states are shared, not copied: serialize them before the next `apply`.
   */
  saveState(): ProjectionState {
    return {
      position: this.last,
      rejections: this.rejections,
      folds: this.slots.map((s) => ({ name: s.fold.name, state: s.state })),
    };
  }

  /** Replaces every fold's state with a saved one (e.g. decoded from a snapshot); the folds must match. */
  loadState(saved: ProjectionState): void {
    const names = saved.folds.map((f) => f.name).join(',');
    if (names !== this.slots.map((s) => s.fold.name).join(','))
      throw new Error(
        `saved state has folds ${names}, this projection has ${this.slots.map((s) => s.fold.name)}`,
      );
    saved.folds.forEach((f, i) => {
      this.slots[i]!.state = f.state;
    });
    this.last = saved.position;
    this.rejections = saved.rejections;
  }

  /** The full desired contents of every map of the node (O(all entries): for start-up and resync). */
  desired(): DesiredMaps {
    return mergeDesiredMaps(this.slots.map((s) => s.fold.desired(s.state)));
  }
}
