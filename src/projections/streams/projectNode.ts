import {
  asyncScheduler,
  NEVER,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { StoredEvent } from '../../events/envelope.js';
import { BatchBuilder } from '../batchBuilder.js';
import type { NodeOutput } from '../deltaBatch.js';
import type { NodeProjection } from '../nodeProjection.js';

export interface ProjectNodeOptions {
  /** Batch window in milliseconds (0: one batch per event). Default 50. */
  readonly windowMs?: number;
  readonly scheduler?: SchedulerLike;
  /** Each emission asks for the full desired state: pending deltas are flushed, then a `FullState` follows. */
  readonly resync$?: Observable<unknown>;
}

/**
 * The log tail of one node in, its map work out: net `DeltaBatch`es per batch window (closed
 * early when an event reuses an id freed inside the window, see `coalesceSteps`) and, on
 * every `resync$` emission, a `FullState` consistent with the batches before it. Bad events come
 * out as `rejected` entries; an error of the tail (or of `resync$`) is forwarded after flushing,
 * and the caller recovers by re-tailing from the last batch's `position` (the projection ignores
 * events it has already folded).
 */
export function projectNode(
  projection: NodeProjection,
  options: ProjectNodeOptions = {},
): OperatorFunction<StoredEvent, NodeOutput> {
  const { windowMs = 50, scheduler = asyncScheduler, resync$ = NEVER } = options;
  return (source) =>
    new Observable<NodeOutput>((subscriber) => {
      const builder = new BatchBuilder(projection.node, projection.position);
      let timer: Subscription | null = null;
      const flush = () => {
        timer?.unsubscribe();
        timer = null;
        const batch = builder.take();
        if (batch !== null) subscriber.next(batch);
      };
      const fail = (err: unknown) => {
        flush();
        subscriber.error(err);
      };
      const subs = resync$.subscribe({
        next: () => {
          flush();
          subscriber.next({
            kind: 'full',
            node: projection.node,
            position: projection.position,
            maps: projection.desired(),
          });
        },
        error: fail,
      });
      subs.add(
        source.subscribe({
          next: (event) => {
            const step = projection.apply(event);
            if (builder.reusesFreedId(step)) flush();
            builder.add(step);
            if (windowMs <= 0) flush();
            else timer ??= scheduler.schedule(flush, windowMs);
          },
          error: fail,
          complete: () => {
            flush();
            subscriber.complete();
          },
        }),
      );
      return () => {
        subs.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
