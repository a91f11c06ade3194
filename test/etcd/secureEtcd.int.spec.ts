import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { startEtcdServer } from '../../src/etcd/etcdServer.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { makeCertificates } from '../support/certificates.js';
import { collect, ids, namespaceEvents } from '../support/events.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('an existing, secured etcd cluster', () => {
  it('with mutual TLS and user/password auth: the log appends and reads; wrong credentials are refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const certs = makeCertificates(dir);
    const etcd = await startEtcdServer({
      tls: {
        caFile: certs.caFile,
        certFile: certs.serverCertFile,
        keyFile: certs.serverKeyFile,
        clientCertFile: certs.clientCertFile,
        clientKeyFile: certs.clientKeyFile,
      },
    });
    cleanups.push(() => etcd.stop());
    expect(etcd.endpoints[0]).toMatch(/^https:/);
    const tls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };

    // Turn authentication on, as an operator would.
    const admin = connectEtcd({ endpoints: etcd.endpoints, ...tls });
    await admin.user('root').create('root-secret');
    await admin.role('root').create();
    await admin.user('root').addRole('root');
    await admin.role('cairn').create();
    await admin.role('cairn').grant({ permission: 'Readwrite', range: admin.range({ prefix: '/cairn/' }) });
    await admin.user('cairn').create('cairn-secret');
    await admin.user('cairn').addRole('cairn');
    await admin.auth.authEnable({});
    admin.close();

    const client = connectEtcd({
      endpoints: etcd.endpoints,
      ...tls,
      username: 'cairn',
      password: 'cairn-secret',
    });
    cleanups.push(() => client.close());
    const log = new EtcdEventLog({ client, endpoints: etcd.endpoints, prefix: '/cairn/' });
    await log.append(namespaceEvents(20));
    expect(ids(await collect(log.read()))).toEqual(ids(namespaceEvents(20)));

    const wrong = connectEtcd({ endpoints: etcd.endpoints, ...tls, username: 'cairn', password: 'nope' });
    cleanups.push(() => wrong.close());
    const denied = new EtcdEventLog({
      client: wrong,
      endpoints: etcd.endpoints,
      prefix: '/cairn/',
      backoff: { attempts: 2, initialMs: 10, maxMs: 20 },
    });
    await expect(denied.head()).rejects.toThrow();

    const noCert = connectEtcd({ endpoints: etcd.endpoints, caFile: certs.caFile, callTimeoutMs: 1_000 });
    cleanups.push(() => noCert.close());
    await expect(noCert.get('/cairn/head').string()).rejects.toThrow();
  });
});
