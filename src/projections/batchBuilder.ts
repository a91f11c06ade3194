import type { Position } from '../events/envelope.js';
import type { DeltaBatch } from './deltaBatch.js';
import { DeltaNetter, stripCreated } from './netDeltas.js';
import type { FoldStep, Rejection } from './nodeProjection.js';
import { orderDeltas } from './orderDeltas.js';

/** Accumulates fold steps into one net, ordered `DeltaBatch` (a Service created and deleted in it leaves nothing). */
export class BatchBuilder {
  private netter = new DeltaNetter();
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

  add(step: FoldStep): void {
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
    this.rejected = [];
    this.events = 0;
    return batch;
  }
}
