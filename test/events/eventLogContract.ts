import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type BatchLimits, indexKeyOf } from '../../src/events/appendPlan.js';
import { EventCodec } from '../../src/events/codec.js';
import type { Position, StoredEvent } from '../../src/events/envelope.js';
import { isInvalidEventError, isLogCompactedError, isOversizedEventError } from '../../src/events/errors.js';
import type { EventLog } from '../../src/events/eventLog.js';
import { MemorySchemaRegistry } from '../../src/events/schemaRegistry.js';
import { loadSchemaSet } from '../../src/events/schemaSet.js';
import { collect, ids, namespaceEvent, namespaceEvents } from '../support/events.js';

/** A log under test, with the hooks the contract needs. */
export interface LogUnderTest {
  readonly log: EventLog;
  /** Append transactions committed so far. */
  batches(): number;
  /** Replaces the stored segment starting at `first` with `bytes`. */
  corrupt(first: Position, bytes: Buffer): Promise<void>;
}

export type OpenLog = (limits?: BatchLimits) => Promise<LogUnderTest>;

/** The one contract every EventLog implementation passes. */
export function describeEventLogContract(name: string, open: OpenLog): void {
  describe(`EventLog contract: ${name}`, () => {
    it('gives positions 1..n in append order and reads them back in that order', async () => {
      const { log } = await open();
      const events = namespaceEvents(10);
      const results = await log.append(events);
      expect(results.map((r) => r.position)).toEqual(events.map((_, i) => BigInt(i + 1)));
      expect(results.every((r) => r.written)).toBe(true);
      const read = await collect(log.read());
      expect(ids(read)).toEqual(ids(events));
      expect(read.map((e) => e.position)).toEqual(results.map((r) => r.position));
      expect(read[3]!.payload).toEqual(events[3]!.payload);
      expect(read[3]!.actor).toEqual(events[3]!.actor);
      expect(await log.head()).toBe(10n);
    });

    it('re-appending an event is a no-op that returns the first position', async () => {
      const { log } = await open();
      await log.append(namespaceEvents(3));
      const again = await log.append([namespaceEvent(1), namespaceEvent(3), namespaceEvent(1)]);
      expect(again).toEqual([
        { position: 2n, written: false },
        { position: 4n, written: true },
        { position: 2n, written: false },
      ]);
      expect(ids(await collect(log.read()))).toEqual(
        ['0', '1', '2', '3'].map((n) => `Namespace/uid-ns-${n}/1`),
      );
    });

    it('splits batches at the event-count limit', async () => {
      const { log, batches } = await open({ maxEventsPerBatch: 5, maxBatchBytes: 1 << 20 });
      const before = batches();
      await log.append(namespaceEvents(23));
      expect(batches() - before).toBe(5);
      expect(ids(await collect(log.read()))).toEqual(ids(namespaceEvents(23)));
    });

    it('splits batches at the byte limit, and 126 events per etcd transaction by default', async () => {
      const small = await open({ maxEventsPerBatch: 126, maxBatchBytes: 1_000 });
      const before = small.batches();
      const events = namespaceEvents(40);
      await small.log.append(events);
      // Greedy packing of the encoded sizes under 1,000 bytes, computed independently here.
      const codec = new EventCodec(loadSchemaSet(), new MemorySchemaRegistry());
      let expected = 0;
      let used = Number.POSITIVE_INFINITY;
      for (const event of events) {
        const size = codec.encode(event).length + indexKeyOf(event).length;
        if (used + size > 1_000) {
          expected++;
          used = 0;
        }
        used += size;
      }
      expect(expected).toBeGreaterThan(1);
      expect(small.batches() - before).toBe(expected);
      expect(ids(await collect(small.log.read()))).toEqual(ids(events));

      const big = await open();
      const start = big.batches();
      await big.log.append(namespaceEvents(300));
      expect(big.batches() - start).toBe(3);
      expect(await big.log.head()).toBe(300n);
    });

    it('rejects an oversized event before writing anything', async () => {
      const { log } = await open({ maxEventsPerBatch: 126, maxBatchBytes: 2_000 });
      const huge = namespaceEvent(99, 1, { blob: 'x'.repeat(5_000) });
      await expect(log.append([namespaceEvent(1), huge])).rejects.toSatisfy(isOversizedEventError);
      expect(await log.head()).toBe(0n);
    });

    it('rejects an event that does not match its schema, naming the event and field', async () => {
      const { log } = await open();
      const bad = { ...namespaceEvent(7), payload: { name: 'x', uid: 'u', resourceVersion: 3, labels: {} } };
      const error = await log.append([bad as never]).catch((e: unknown) => e);
      expect(isInvalidEventError(error)).toBe(true);
      expect(String(error)).toContain('Namespace/uid-ns-7/1');
      expect(String(error)).toContain('resourceVersion');
      expect(await log.head()).toBe(0n);
    });

    it('reads a range [from, to]', async () => {
      const { log } = await open({ maxEventsPerBatch: 4, maxBatchBytes: 1 << 20 });
      await log.append(namespaceEvents(20));
      const range = await collect(log.read(6n, 13n));
      expect(range.map((e) => e.position)).toEqual([6n, 7n, 8n, 9n, 10n, 11n, 12n, 13n]);
      expect(await collect(log.read(21n))).toEqual([]);
    });

    it('tails from a position: existing events, then new ones as they are appended', async () => {
      const { log } = await open();
      await log.append(namespaceEvents(5));
      const received = firstValueFrom(log.tail(3n).pipe(take(6), toArray()));
      await log.append(namespaceEvents(4, 5));
      const events = await received;
      expect(events.map((e) => e.position)).toEqual([3n, 4n, 5n, 6n, 7n, 8n]);
      expect(ids(events)).toEqual(ids(namespaceEvents(6, 2)));
    });

    it('a snapshot plus the tail after it equals folding the full log', async () => {
      const { log } = await open();
      const fold = (state: Map<string, string>, event: StoredEvent) =>
        event.type === 'NamespaceUpserted'
          ? state.set(event.payload.name, event.payload.resourceVersion)
          : state;
      await log.append([...namespaceEvents(6), namespaceEvent(2, 2)]);
      const atSeven = new Map<string, string>();
      for await (const event of log.read()) fold(atSeven, event);
      await log.saveSnapshot('namespaces', 7n, Buffer.from(JSON.stringify([...atSeven])));
      await log.append([namespaceEvent(3, 2), ...namespaceEvents(3, 6)]);

      const snapshot = await log.loadSnapshot('namespaces');
      expect(snapshot?.position).toBe(7n);
      const resumed = new Map<string, string>(JSON.parse(Buffer.from(snapshot!.state).toString()));
      const rest = await firstValueFrom(log.tail(snapshot!.position + 1n).pipe(take(4), toArray()));
      for (const event of rest) fold(resumed, event);

      const full = new Map<string, string>();
      for await (const event of log.read()) fold(full, event);
      expect([...resumed].sort()).toEqual([...full].sort());
      expect(await log.loadSnapshot('namespaces', 6n)).toBeUndefined();
    });

    it('reports reading a compacted position as a typed error', async () => {
      const { log } = await open({ maxEventsPerBatch: 3, maxBatchBytes: 1 << 20 });
      await log.append(namespaceEvents(12));
      await log.compact(8n);
      expect(await log.firstPosition()).toBe(8n);
      await expect(collect(log.read(2n))).rejects.toSatisfy(isLogCompactedError);
      await expect(firstValueFrom(log.tail(1n))).rejects.toSatisfy(isLogCompactedError);
      expect((await collect(log.read(8n))).map((e) => e.position)).toEqual([8n, 9n, 10n, 11n, 12n]);
      // The idempotency guard outlives compaction.
      expect(await log.append([namespaceEvent(0)])).toEqual([{ position: 1n, written: false }]);
    });

    it('skips and counts an undecodable segment, and keeps reading', async () => {
      const { log, corrupt } = await open({ maxEventsPerBatch: 2, maxBatchBytes: 1 << 20 });
      await log.append(namespaceEvents(6));
      await corrupt(3n, Buffer.from('not avro at all'));
      const seen: string[] = [];
      const stop = log.skipped.onSkip((s) => seen.push(`${s.position}: ${s.reason}`));
      const read = await collect(log.read());
      stop();
      expect(read.map((e) => e.position)).toEqual([1n, 2n, 5n, 6n]);
      expect(log.skipped.count).toBe(1);
      expect(seen[0]).toMatch(/^3: not a log segment/);
      const tailed = await firstValueFrom(log.tail(1n).pipe(take(4), toArray()));
      expect(tailed.map((e) => e.position)).toEqual([1n, 2n, 5n, 6n]);
    });
  });
}
