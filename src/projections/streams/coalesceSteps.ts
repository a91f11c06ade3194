import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { BatchBuilder } from '../batchBuilder.js';
import type { DeltaBatch } from '../deltaBatch.js';
import type { FoldStep } from '../nodeProjection.js';

/**
 * Coalesces fold steps into one net batch per window: the first step after a quiet period opens
 * a window of `windowMs`, and everything that arrives inside it leaves as one `DeltaBatch`
 * (`windowMs` 0: one batch per step). A step that reuses a backend or rev-NAT id freed earlier in
 * the window closes the batch first (see `BatchBuilder.reusesFreedId`). Pending work is flushed
 * before complete and before error.
 */
export function coalesceSteps(
  node: string,
  windowMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<FoldStep, DeltaBatch> {
  return (source) =>
    new Observable<DeltaBatch>((subscriber) => {
      const builder = new BatchBuilder(node);
      let timer: Subscription | null = null;
      const flush = () => {
        timer?.unsubscribe();
        timer = null;
        const batch = builder.take();
        if (batch !== null) subscriber.next(batch);
      };
      const sub = source.subscribe({
        next: (step) => {
          if (builder.reusesFreedId(step)) flush();
          builder.add(step);
          if (windowMs <= 0) flush();
          else timer ??= scheduler.schedule(flush, windowMs);
        },
        error: (err) => {
          flush();
          subscriber.error(err);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
