import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import type { AnyEvent } from '../../src/events/envelope.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import type { EventLog } from '../../src/events/eventLog.js';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import { collect, ids, namespaceEvent } from '../support/events.js';

const endpoints = inject('etcdEndpoints');
const client = connectEtcd({ endpoints });
afterAll(() => client.close());

/** Appends: each a list of event numbers from a small pool, so duplicates are frequent. */
const appendsArb = fc.array(fc.array(fc.nat({ max: 24 }), { maxLength: 12 }), { minLength: 1, maxLength: 8 });
const batchSizeArb = fc.integer({ min: 1, max: 9 });

async function holdsEachOnceInFirstAppendOrder(log: EventLog, appends: number[][]): Promise<void> {
  const expectedOrder: string[] = [];
  for (const numbers of appends) {
    const events: AnyEvent[] = numbers.map((n) => namespaceEvent(n));
    const results = await log.append(events);
    for (const event of events) if (!expectedOrder.includes(event.id)) expectedOrder.push(event.id);
    // Every input gets the position its event holds in the log.
    results.forEach((result, i) => {
      expect(result.position).toBe(BigInt(expectedOrder.indexOf(events[i]!.id) + 1));
    });
  }
  const read = await collect(log.read());
  expect(ids(read)).toEqual(expectedOrder);
  expect(read.map((e) => e.position)).toEqual(expectedOrder.map((_, i) => BigInt(i + 1)));
}

describe('property: idempotent appends', () => {
  it('memory log: each distinct event exactly once, in first-append order, for any batching', async () => {
    await fc.assert(
      fc.asyncProperty(appendsArb, batchSizeArb, async (appends, batch) => {
        const log = new MemoryEventLog({ limits: { maxEventsPerBatch: batch, maxBatchBytes: 1 << 20 } });
        await holdsEachOnceInFirstAppendOrder(log, appends);
      }),
      { numRuns: 500 },
    );
  });

  it('etcd log: each distinct event exactly once, in first-append order, for any batching', async () => {
    await fc.assert(
      fc.asyncProperty(appendsArb, batchSizeArb, async (appends, batch) => {
        const log = new EtcdEventLog({
          client,
          endpoints,
          prefix: `/test/${randomUUID()}/`,
          limits: { maxEventsPerBatch: batch, maxBatchBytes: 1 << 20 },
        });
        await holdsEachOnceInFirstAppendOrder(log, appends);
      }),
      { numRuns: 40 },
    );
  });
});
