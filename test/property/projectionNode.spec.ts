/**
 * The composed node projection (services + policy folds) behind `projectNode`: for any
 * interleaving of Service/EndpointSlice/Node events with Pod/Namespace/NetworkPolicy/CNI events,
 * cut into batch windows anywhere, the batches applied in order to empty maps equal the full
 * desired state of every map, and a resync's full state plus the later batches do too.
 */
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { AnyEvent, StoredEvent } from '../../src/events/envelope.js';
import { applyDeltas, cloneDesiredMaps, diffDesiredMaps, emptyDesiredMaps } from '../../src/maps/keys.js';
import type { NodeOutput } from '../../src/projections/deltaBatch.js';
import { nodeProjection } from '../../src/projections/nodeFolds.js';
import { projectNode } from '../../src/projections/streams/projectNode.js';
import { stored } from '../projections/builders.js';
import { eventSequenceArb } from '../projections/policy/arbitraries.js';
import { serviceEventsArb } from '../projections/servicesArbitraries.js';

/** Interleaves two sequences, keeping the order within each. */
const interleavedArb = fc.tuple(serviceEventsArb(20), eventSequenceArb).chain(([a, b]) =>
  fc.array(fc.boolean(), { minLength: a.length + b.length, maxLength: a.length + b.length }).map((picks) => {
    const out: AnyEvent[] = [];
    let i = 0;
    let j = 0;
    for (const p of picks) out.push((p && i < a.length) || j >= b.length ? a[i++]! : b[j++]!);
    return out;
  }),
);

function run(
  events: readonly AnyEvent[],
  gaps: readonly number[],
  windowMs: number,
  resyncAt: number | null,
) {
  const log = stored(events);
  const projection = nodeProjection('n1', { maglevTableSize: 7 });
  const outputs: NodeOutput[] = [];
  new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, hot }) => {
    const values: Record<string, StoredEvent> = {};
    let marble = '';
    log.forEach((e, i) => {
      const c = String.fromCharCode(0x100 + i); // one marble character per event
      values[c] = e;
      const gap = gaps[i % gaps.length] ?? 0;
      marble += `${gap > 0 ? ` ${gap}ms ` : ''}${c}`;
    });
    const resync$ = resyncAt === null ? new Subject<never>() : hot(`${resyncAt}ms r`);
    cold<StoredEvent>(`${marble}|`, values)
      .pipe(projectNode(projection, { windowMs, resync$ }))
      .subscribe((o) => outputs.push(o));
  });
  return { projection, outputs };
}

describe('composed node projection (services + policy) through projectNode', () => {
  it('batches applied to empty maps, or a resync plus the later batches, equal the full desired state', () => {
    fc.assert(
      fc.property(
        interleavedArb,
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 15 }),
        fc.option(fc.integer({ min: 0, max: 120 }), { nil: null }),
        (events, gaps, windowMs, resyncAt) => {
          const { projection, outputs } = run(events, gaps, windowMs, resyncAt);
          const desired = projection.desired();
          const fromEmpty = emptyDesiredMaps();
          let fromResync: ReturnType<typeof emptyDesiredMaps> | null = null;
          for (const out of outputs) {
            if (out.kind === 'full') fromResync = cloneDesiredMaps(out.maps);
            else {
              applyDeltas(fromEmpty, out.deltas);
              if (fromResync !== null) applyDeltas(fromResync, out.deltas);
            }
          }
          expect(diffDesiredMaps(fromEmpty, desired)).toEqual([]);
          if (fromResync !== null) expect(diffDesiredMaps(fromResync, desired)).toEqual([]);
          expect(outputs.reduce((n, o) => n + (o.kind === 'deltas' ? o.events : 0), 0)).toBe(events.length);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
