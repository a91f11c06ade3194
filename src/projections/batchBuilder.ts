import type { Position } from '../events/envelope.js';
import { mapKeyId } from '../maps/keys.js';
import type { DeltaBatch } from './deltaBatch.js';
import type { FoldDelta } from './fold.js';
import { DeltaNetter, stripCreated } from './netDeltas.js';
import type { FoldStep, Rejection } from './nodeProjection.js';
import { orderDeltas } from './orderDeltas.js';

/** Maps keyed by ids the folds allocate and reuse (see `reusesFreedId`). */
const ID_MAPS: ReadonlySet<string> = new Set(['backends', 'revNat']);

const idOf = (d: FoldDelta) => `${d.map}\u0000${mapKeyId(d.map, d.key as never)}`;

/** Accumulates fold steps into one net, ordered `DeltaBatch` (a Service created and deleted in it leaves nothing). */
export class BatchBuilder {
  private netter = new DeltaNetter();
  /** Backend and rev-NAT ids deleted in this batch. */
  private freed = new Set<string>();
  private rejected: Rejection[] = [];
  private events = 0;
  private position: Position;

  constructor(
    private readonly node: string,
    start: Position = 0n,
  ) {
    this.position = start;
  }

  /** Whether steps were added since the last `take`. */
  get pending(): boolean {
    return this.events > 0;
  }

  /**
   * Whether `step` gives a backend or rev-NAT id freed earlier in this batch to a new owner.
   * Netted into one batch, the new value would be written before the old slots naming that id
   * are rewritten (backends go first), so the caller closes the batch before such a step. Ids
   * stay a function of the log alone; only the batch boundary moves.
   */
  reusesFreedId(step: FoldStep): boolean {
    if (this.freed.size === 0) return false;
    for (const d of step.deltas)
      if (d.op === 'upsert' && d.created === true && ID_MAPS.has(d.map) && this.freed.has(idOf(d)))
        return true;
    return false;
  }

  add(step: FoldStep): void {
    for (const d of step.deltas) if (d.op === 'delete' && ID_MAPS.has(d.map)) this.freed.add(idOf(d));
    this.netter.addAll(step.deltas);
    this.rejected.push(...step.rejected);
    if (step.position !== null && step.position > this.position) this.position = step.position;
    this.events++;
  }

  /** The batch of everything added since the last take, or null when nothing was added. */
  take(): DeltaBatch | null {
    if (this.events === 0) return null;
    const batch: DeltaBatch = {
      kind: 'deltas',
      node: this.node,
      position: this.position,
      events: this.events,
      deltas: orderDeltas(this.netter.result().map(stripCreated)),
      rejected: this.rejected,
    };
    this.netter = new DeltaNetter();
    this.freed = new Set();
    this.rejected = [];
    this.events = 0;
    return batch;
  }
}
