import { describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import { MemoryAppliedPositionStore } from '../../src/nodeagent/appliedPositionStore.js';
import { logHistory } from '../../src/replay/history.js';
import { distribution, stageTiming } from '../../src/replay/stageTiming.js';
import { namespaceEvents } from '../support/events.js';
import { incidentEvents } from './incidentEvents.js';

describe('stage timing', () => {
  it('percentiles are nearest-rank', () => {
    const d = distribution(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(d).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('joins audit write times and applied reports; the slow one is an outlier with its slow stage', async () => {
    const log = new MemoryEventLog();
    const now = Date.now();
    // Written just before they are appended; the incident's edit 10 s before (its append is late).
    const quick = namespaceEvents(40).map((e) => ({ ...e, timeMs: now - 5 }));
    await log.append([...quick, ...incidentEvents(now - 20_000).events]);
    const history = logHistory(log);
    const store = new MemoryAppliedPositionStore();
    const head = await log.head();
    const events = [];
    for await (const e of log.read()) events.push(e);
    // n1 applies each event 10 ms after its append, except position 20 (2 s later).
    for (const e of events) {
      const late = e.position === 20n ? 2_000 : 10;
      await store.report({
        node: 'n1',
        position: e.position,
        appliedAtMs: e.appendedAtMs + late,
        lagEvents: 0,
      });
    }
    const t = await stageTiming(history, 1n, head, new Map([['n1', await store.history('n1')]]));
    expect(t.events).toBe(events.filter((e) => e.type !== 'AuditRecorded').length);
    expect(t.stages['log→applied'].p50).toBe(10);
    expect(t.stages['log→applied'].max).toBe(2_000);
    expect(t.outliers.map((o) => [o.event.position, o.slowStage])).toContainEqual([20n, 'log→applied']);
    // bob's edit: written when the audit record says (40 ms before its own time), ~10 s before
    // its append: an outlier whose slow stage is the way to the log.
    const edit = events.find((e) => e.actor.name === 'bob')!;
    const out = t.outliers.find((o) => o.event.id === edit.id)!;
    expect(out.writeMs).toBe(edit.timeMs - 40);
    expect(out.slowStage).toBe('source→log');
  });

  it('the memory store keeps a bounded history', async () => {
    const store = new MemoryAppliedPositionStore();
    for (let i = 1; i <= 10_005; i++)
      await store.report({ node: 'n', position: BigInt(i), appliedAtMs: i, lagEvents: 0 });
    const h = await store.history('n');
    expect(h.length).toBe(10_000);
    expect(h[0]!.position).toBe(6n);
  });
});
