/**
 * Property tests of the node projection stream: for any event sequence spread over virtual time
 * (so batch windows cut it anywhere), the batches applied in order to empty maps equal the full
 * desired state; a resync's full state plus the later batches does too; every batch has at most
 * one delta per key; and applying a batch delta by delta in its given order never exposes a
 * master whose slots or Maglev table name something missing.
 */
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import type { DesiredMaps } from '../../src/maps/delta.js';
import {
  applyDeltas,
  cloneDesiredMaps,
  desiredToDeltas,
  emptyDesiredMaps,
  mapKeyId,
} from '../../src/maps/keys.js';
import type { NodeOutput } from '../../src/projections/deltaBatch.js';
import { NodeProjection } from '../../src/projections/nodeProjection.js';
import { servicesFold } from '../../src/projections/services/servicesFold.js';
import { projectNode } from '../../src/projections/streams/projectNode.js';
import { stored } from '../projections/builders.js';
import { serviceEventArb } from '../projections/servicesArbitraries.js';

const M = 7;
const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A master must never be visible with a slot or Maglev entry that names something missing. */
function servingViolations(maps: DesiredMaps): string[] {
  const bad: string[] = [];
  for (const { key, value } of maps.services.values()) {
    if (value.kind !== 'master') continue;
    for (let slot = 1; slot <= value.count; slot++) {
      const s = maps.services.get(mapKeyId('services', { ...key, slot }));
      if (s === undefined || s.value.kind !== 'slot')
        bad.push(`${JSON.stringify(key)}: slot ${slot} missing`);
      else if (!maps.backends.has(String(s.value.backendId)))
        bad.push(`${JSON.stringify(key)}: slot ${slot} names a missing backend`);
    }
    const mg = key.scope === 'external' ? maps.maglev.get(String(value.revNatId)) : undefined;
    if (mg !== undefined && value.count > 0)
      for (const id of new Set(mg.value.backendIds))
        if (!maps.backends.has(String(id))) bad.push(`maglev ${value.revNatId} names missing ${id}`);
  }
  return bad;
}

const timedEventsArb = fc.array(fc.tuple(serviceEventArb, fc.integer({ min: 0, max: 15 })), {
  maxLength: 40,
  size: 'max',
});

function runStream(timed: readonly [unknown, number][], windowMs: number, resyncAt: number | null) {
  const events = stored(timed.map(([e]) => e) as never);
  const projection = new NodeProjection('node-a', [servicesFold], { maglevTableSize: M });
  const outputs: NodeOutput[] = [];
  new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, hot }) => {
    let marble = '';
    const values: Record<string, StoredEvent> = {};
    timed.forEach(([, gap], i) => {
      marble += `${gap > 0 ? ` ${gap}ms ` : ''}${CHARS[i]}`;
      values[CHARS[i]!] = events[i]!;
    });
    const resync$ = resyncAt === null ? new Subject<never>() : hot(`${resyncAt}ms r`);
    cold<StoredEvent>(`${marble}|`, values)
      .pipe(projectNode(projection, { windowMs, resync$ }))
      .subscribe((o) => outputs.push(o));
  });
  return { projection, outputs };
}

describe('node projection stream properties', () => {
  it('batches applied in order to empty maps equal the full desired state; each applied delta by delta stays safe', () => {
    fc.assert(
      fc.property(timedEventsArb, fc.integer({ min: 0, max: 20 }), (timed, windowMs) => {
        const { projection, outputs } = runStream(timed, windowMs, null);
        const maps = emptyDesiredMaps();
        for (const out of outputs) {
          if (out.kind !== 'deltas') continue;
          const ids = out.deltas.map((d) => `${d.map} ${mapKeyId(d.map, d.key as never)}`);
          expect(new Set(ids).size).toBe(ids.length);
          // No batch hands a backend id still holding another backend to a new one (id reuse is
          // split across batches, so old slots are gone before the id names something else).
          for (const d of out.deltas) {
            if (d.map !== 'backends' || d.op !== 'upsert') continue;
            const before = maps.backends.get(String(d.key.id))?.value;
            if (before !== undefined)
              expect(`${before.address}:${before.port}/${before.proto}`).toBe(
                `${d.value.address}:${d.value.port}/${d.value.proto}`,
              );
          }
          for (const d of out.deltas) {
            applyDeltas(maps, [d]);
            expect(servingViolations(maps)).toEqual([]);
          }
        }
        expect(desiredToDeltas(maps)).toEqual(desiredToDeltas(projection.desired()));
        expect(outputs.reduce((n, o) => n + (o.kind === 'deltas' ? o.events : 0), 0)).toBe(timed.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('a resync’s full state plus the batches after it equal the final desired state', () => {
    fc.assert(
      fc.property(
        timedEventsArb,
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 200 }),
        (timed, windowMs, at) => {
          const { projection, outputs } = runStream(timed, windowMs, at);
          const i = outputs.findIndex((o) => o.kind === 'full');
          const full = outputs[i];
          if (full === undefined || full.kind !== 'full') return; // the log ended before the resync
          const maps = cloneDesiredMaps(full.maps);
          for (const out of outputs.slice(i + 1)) if (out.kind === 'deltas') applyDeltas(maps, out.deltas);
          expect(desiredToDeltas(maps)).toEqual(desiredToDeltas(projection.desired()));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
