import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { EtcdAppliedPositionStore } from '../../src/nodeagent/appliedPositionStore.js';

const endpoints = inject('etcdEndpoints');
const client = connectEtcd({ endpoints });
afterAll(() => client.close());

describe('applied history in etcd', () => {
  it('keeps every report in position order, trims to its limit, and list() still shows only the latest', async () => {
    const etcd = client.namespace(`/test/applied/${randomUUID()}/`);
    const store = new EtcdAppliedPositionStore(etcd, 20);
    for (let i = 1; i <= 45; i++)
      await store.report({ node: 'n1', position: BigInt(i), appliedAtMs: 1000 + i, lagEvents: 0 });
    const history = await store.history('n1');
    expect(history.length).toBeLessThanOrEqual(40);
    expect(history.length).toBeGreaterThanOrEqual(20);
    expect(history.map((r) => r.position)).toEqual(
      [...history.map((r) => r.position)].sort((a, b) => Number(a - b)),
    );
    expect(history.at(-1)).toMatchObject({ position: 45n, appliedAtMs: 1045 });
    expect((await store.list()).map((r) => [r.node, r.position])).toEqual([['n1', 45n]]);
  });
});
