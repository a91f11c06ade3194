/**
 * Replay equivalence on the in-memory log: for any log and any position P, replay to P (with or
 * without snapshots) equals what the live projection had at P, and folding on from a restored
 * snapshot emits exactly the live deltas (same ids). Diff(A, B) applied to state(A) gives
 * state(B); blame names exactly the events a brute-force scan finds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import type { MapDelta, MapEntry } from '../../src/maps/delta.js';
import { applyDeltas, cloneDesiredMaps } from '../../src/maps/keys.js';
import type { MapName } from '../../src/maps/model.js';
import { sameValue } from '../../src/maps/sameValue.js';
import { blame } from '../../src/replay/blame.js';
import { diffPoints } from '../../src/replay/diffPoints.js';
import { logHistory } from '../../src/replay/history.js';
import { foldForward, replayTo } from '../../src/replay/replayTo.js';
import { takeSnapshots } from '../../src/replay/takeSnapshots.js';
import { canonical, MAGLEV, recordLive } from '../replay/liveRecord.js';
import { replayLogArb } from '../replay/logArb.js';
import { collect } from '../support/events.js';

async function setUp(events: Parameters<MemoryEventLog['append']>[0]) {
  const log = new MemoryEventLog();
  await log.append(events);
  const stored: StoredEvent[] = await collect(log.read());
  return { log, stored, history: logHistory(log, 'memory'), live: recordLive('n1', stored) };
}

const caseArb = replayLogArb.chain((events) =>
  fc.record({
    events: fc.constant(events),
    p: fc.nat({ max: events.length }),
    q: fc.nat({ max: events.length }),
    every: fc.integer({ min: 1, max: 7 }),
  }),
);

describe('replay (memory log)', () => {
  it('replay to P equals the live state at P, with and without snapshots; folding on gives the live deltas', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ events, p, every }) => {
        const { stored, history, live } = await setUp(events);
        const at = BigInt(p);
        const plain = await replayTo(history, 'n1', at, { options: MAGLEV, useSnapshots: false });
        expect(canonical(plain.projection.desired())).toBe(live.states[p]);
        await takeSnapshots(history, 'n1', { every, options: MAGLEV });
        const snap = await replayTo(history, 'n1', at, { options: MAGLEV });
        expect(snap.snapshot).toBe(BigInt(Math.floor(p / every) * every));
        expect(canonical(snap.projection.desired())).toBe(live.states[p]);
        // Ids and allocators restored exactly: every later step emits the live deltas.
        const steps: string[] = [];
        await foldForward(history, snap.projection, BigInt(stored.length), {
          onStep: (_e, step) => steps.push(JSON.stringify(step.deltas)),
        });
        expect(steps).toEqual(live.steps.slice(p));
      }),
      { numRuns: 60 },
    );
  });

  it('diff(A, B) applied to state(A) gives state(B), and names only events between A and B', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ events, p, q, every }) => {
        const [a, b] = p <= q ? [p, q] : [q, p];
        const { history, live } = await setUp(events);
        await takeSnapshots(history, 'n1', { every, options: MAGLEV });
        const diff = await diffPoints(history, 'n1', BigInt(a), BigInt(b), { options: MAGLEV });
        const deltas = diff.changes.map((c) =>
          c.after === undefined
            ? { map: c.map, op: 'delete', key: c.before!.key }
            : { map: c.map, op: 'upsert', key: c.after.key, value: c.after.value },
        ) as MapDelta[];
        expect(canonical(applyDeltas(cloneDesiredMaps(live.maps[a]!), deltas))).toBe(live.states[b]);
        for (const c of diff.changes) {
          expect(c.causes.length).toBeGreaterThan(0);
          for (const e of c.causes) expect(e.position > BigInt(a) && e.position <= BigInt(b)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('blame names exactly the events that changed the entry since it was last created (brute force)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.nat(), async ({ events, p, every }, pick) => {
        const { history, live } = await setUp(events);
        const present: [MapName, string][] = [];
        for (const [map, entries] of Object.entries(live.maps[p]!))
          for (const id of (entries as ReadonlyMap<string, unknown>).keys())
            present.push([map as MapName, id]);
        fc.pre(present.length > 0);
        const [map, id] = present[pick % present.length]!;
        // Brute force: compare the full state before and after every event up to P.
        const valueAt = (i: number) => (live.maps[i]![map] as ReadonlyMap<string, MapEntry<MapName>>).get(id);
        let expected: number[] = [];
        for (let i = 1; i <= p; i++) {
          const x = valueAt(i - 1);
          const y = valueAt(i);
          if (x === undefined && y !== undefined) expected = [i];
          else if (x !== undefined && (y === undefined || !sameValue(x.value, y.value))) expected.push(i);
        }
        await takeSnapshots(history, 'n1', { every, options: MAGLEV });
        const result = await blame(history, 'n1', BigInt(p), (m, k) => m === map && k === id, {
          options: MAGLEV,
        });
        expect(result.chain.map((l) => Number(l.event.position))).toEqual(expected);
        expect(result.entries.map((e) => e.id)).toEqual([id]);
      }),
      { numRuns: 60 },
    );
  });
});
