import { randomUUID } from 'node:crypto';
import { firstValueFrom, type Subscription, take, toArray } from 'rxjs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { type EtcdServer, startEtcdServer } from '../../src/etcd/etcdServer.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { isEtcdUnavailableError } from '../../src/events/errors.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { collect, ids, namespaceEvents } from '../support/events.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function until(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(check, 20);
    };
    check();
  });
}

describe('etcd event log under failures', () => {
  it('a tail survives etcd being killed and restarted on the same data dir: nothing lost, nothing repeated', async () => {
    let etcd: EtcdServer = await startEtcdServer();
    const { dataDir, clientPort, peerPort } = etcd;
    cleanups.push(async () => {
      await etcd.stop();
    });
    const client = connectEtcd({ endpoints: etcd.endpoints, callTimeoutMs: 1_000 });
    cleanups.push(() => client.close());
    const log = new EtcdEventLog({ client, endpoints: etcd.endpoints, prefix: '/cairn/' });

    const received: StoredEvent[] = [];
    const subscription: Subscription = log.tail(1n).subscribe({ next: (e) => received.push(e) });
    cleanups.push(() => subscription.unsubscribe());

    await log.append(namespaceEvents(50));
    await until(() => received.length === 50);

    await etcd.kill();
    etcd = await startEtcdServer({ dataDir, clientPort, peerPort });
    await log.append(namespaceEvents(70, 50));
    await until(() => received.length >= 120);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(received.map((e) => e.position)).toEqual(Array.from({ length: 120 }, (_, i) => BigInt(i + 1)));
    expect(ids(received)).toEqual(ids(namespaceEvents(120)));
  });

  it('fails an append with a typed error naming the endpoints when etcd is unreachable, and writes nothing', async () => {
    const etcd = await startEtcdServer();
    cleanups.push(() => etcd.stop());
    const client = connectEtcd({ endpoints: etcd.endpoints, callTimeoutMs: 500 });
    cleanups.push(() => client.close());
    const log = new EtcdEventLog({
      client,
      endpoints: etcd.endpoints,
      backoff: { attempts: 3, initialMs: 20, maxMs: 100 },
    });
    await log.append(namespaceEvents(2));
    await etcd.kill();
    const error = await log.append(namespaceEvents(2, 2)).catch((e: unknown) => e);
    expect(isEtcdUnavailableError(error)).toBe(true);
    expect(String(error)).toContain(etcd.endpoints[0]);

    const restarted = await startEtcdServer({
      dataDir: etcd.dataDir,
      clientPort: etcd.clientPort,
      peerPort: etcd.peerPort,
    });
    cleanups.push(() => restarted.stop());
    expect(await log.head()).toBe(2n);
  });

  it('concurrent writers get one total order that every reader sees', async () => {
    const endpoints = inject('etcdEndpoints');
    const prefix = `/test/${randomUUID()}/`;
    const clients = [connectEtcd({ endpoints }), connectEtcd({ endpoints }), connectEtcd({ endpoints })];
    cleanups.push(() => {
      for (const c of clients) c.close();
    });
    const [a, b, reader] = clients.map((client) => new EtcdEventLog({ client, endpoints, prefix }));
    const fromA = namespaceEvents(200, 0);
    const fromB = namespaceEvents(200, 1_000);
    const tailed = firstValueFrom(reader!.tail(1n).pipe(take(400), toArray()));
    await Promise.all([
      (async () => {
        for (let i = 0; i < fromA.length; i += 10) await a!.append(fromA.slice(i, i + 10));
      })(),
      (async () => {
        for (let i = 0; i < fromB.length; i += 7) await b!.append(fromB.slice(i, i + 7));
      })(),
    ]);
    const read = await collect(reader!.read());
    expect(read.map((e) => e.position)).toEqual(Array.from({ length: 400 }, (_, i) => BigInt(i + 1)));
    expect(new Set(ids(read)).size).toBe(400);
    // Each writer's events keep their own order.
    expect(ids(read).filter((id) => fromA.some((e) => e.id === id))).toEqual(ids(fromA));
    expect(ids(read).filter((id) => fromB.some((e) => e.id === id))).toEqual(ids(fromB));
    expect(ids(await tailed)).toEqual(ids(read));
    expect(ids(await collect(a!.read()))).toEqual(ids(read));
  });

  it('pipelined appends from two writers, with events in common, hold each event once in a per-writer order', async () => {
    const endpoints = inject('etcdEndpoints');
    const prefix = `/test/${randomUUID()}/`;
    const clients = [connectEtcd({ endpoints }), connectEtcd({ endpoints })];
    cleanups.push(() => {
      for (const c of clients) c.close();
    });
    const limits = { maxEventsPerBatch: 8, maxBatchBytes: 1 << 20 };
    const [a, b] = clients.map(
      (client) => new EtcdEventLog({ client, endpoints, prefix, limits, pipelineDepth: 4 }),
    );
    const fromA = namespaceEvents(300, 0);
    const fromB = namespaceEvents(300, 200); // 100 events in common with A
    const [resultsA, resultsB] = await Promise.all([a!.append(fromA), b!.append(fromB)]);
    const read = await collect(a!.read());
    expect(read.length).toBe(500);
    expect(new Set(ids(read)).size).toBe(500);
    const positionOf = new Map(read.map((e) => [e.id, e.position]));
    expect(resultsA.map((r) => r.position)).toEqual(fromA.map((e) => positionOf.get(e.id)));
    expect(resultsB.map((r) => r.position)).toEqual(fromB.map((e) => positionOf.get(e.id)));
    // Each event was reported written by exactly one writer.
    const writtenBy = [...resultsA, ...resultsB].filter((r) => r.written).length;
    expect(writtenBy).toBe(500);
    // Each writer's new events keep its call order.
    const order = (events: typeof fromA, results: typeof resultsA) =>
      events.filter((_, i) => results[i]!.written).map((e) => positionOf.get(e.id)!);
    for (const positions of [order(fromA, resultsA), order(fromB, resultsB)]) {
      expect(positions).toEqual([...positions].sort((x, y) => (x < y ? -1 : 1)));
    }
  });
});

describe('large snapshots', () => {
  it('saves and loads a 9 MiB snapshot (chunked both ways, past gRPC 4 MiB message limit)', async () => {
    const endpoints = inject('etcdEndpoints');
    const client = connectEtcd({ endpoints });
    cleanups.push(() => client.close());
    const log = new EtcdEventLog({ client, endpoints, prefix: `/test/${randomUUID()}/` });
    const state = Buffer.alloc(9 * 1024 * 1024);
    for (let i = 0; i < state.length; i += 4096) state.writeUInt32LE(i, i);
    await log.saveSnapshot('big', 42n, state);
    const loaded = await log.loadSnapshot('big');
    expect(loaded?.position).toBe(42n);
    expect(Buffer.from(loaded!.state).equals(state)).toBe(true);
  });
});
