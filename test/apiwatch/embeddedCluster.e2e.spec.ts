import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/apiwatch/embeddedCluster.js';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { type EtcdServer, startEtcdServer } from '../../src/etcd/etcdServer.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { ADMIN_USER } from '../../src/kube/apiserverHarness.js';
import { kubectlPath } from '../../src/kube/kubeBinaries.js';
import { apiserverMissing, LogCollector } from './support.js';

const run = promisify(execFile);
const missing = apiserverMissing();

describe.skipIf(missing)('the embedded control plane (no kubeconfig given)', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let cluster: EmbeddedCluster;
  let collector: LogCollector;

  beforeAll(async () => {
    etcd = await startEtcdServer();
    client = connectEtcd({ endpoints: etcd.endpoints });
    const log = new EtcdEventLog({ client, endpoints: etcd.endpoints, prefix: '/cairn/' });
    collector = new LogCollector(log);
    // The apiserver shares the log's etcd, under its own prefix.
    cluster = await startEmbeddedCluster({ etcdEndpoints: etcd.endpoints, log, cluster: 'local' });
    await cluster.apiwatch.synced();
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    collector?.close();
    client?.close();
    await etcd?.stop();
  }, 60_000);

  it('turns a Service created with kubectl into an event, with the manager and the audited user', async () => {
    const kubectl = (...args: string[]) =>
      run(kubectlPath(), ['--kubeconfig', cluster.kubeconfigPath, ...args], { timeout: 30_000 });
    await kubectl('create', 'namespace', 'demo');
    await kubectl('-n', 'demo', 'create', 'service', 'clusterip', 'web', '--tcp=80:8080');
    const { stdout } = await kubectl('-n', 'demo', 'get', 'service', 'web', '-o', 'json');
    const svc = JSON.parse(stdout);
    const id = `Service/${svc.metadata.uid}/${svc.metadata.resourceVersion}`;
    await collector.waitForIds([id]);
    await collector.waitFor('its audit event', (events) => events.some((e) => e.causation === id));

    const event = collector.withId(id)[0]!;
    expect(event).toMatchObject({
      type: 'ServiceUpserted',
      cluster: 'local',
      actor: { manager: 'kubectl-create', operation: 'Update' },
      payload: {
        namespace: 'demo',
        name: 'web',
        clusterIPs: [svc.spec.clusterIP],
        ports: [{ port: 80, targetPort: '8080' }],
      },
    });
    const audit = collector.events.find((e) => e.causation === id)!;
    expect(audit).toMatchObject({ type: 'AuditRecorded', actor: { name: ADMIN_USER } });
    expect(audit.actor.userAgent).toMatch(/^kubectl/);
  });
});
