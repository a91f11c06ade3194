import { randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import { afterAll, inject } from 'vitest';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { describeEventLogContract } from './eventLogContract.js';

const endpoints = inject('etcdEndpoints');
const clients: Etcd3[] = [];
afterAll(() => {
  for (const client of clients) client.close();
});

describeEventLogContract('etcd', async (limits) => {
  const client = connectEtcd({ endpoints });
  clients.push(client);
  // Each test gets its own log under a fresh prefix of the shared test etcd.
  const log = new EtcdEventLog({
    client,
    endpoints,
    prefix: `/test/${randomUUID()}/`,
    ...(limits ? { limits } : {}),
  });
  return {
    log,
    batches: () => log.batchesCommitted,
    corrupt: (first, bytes) => log.corruptSegment(first, bytes),
  };
});
