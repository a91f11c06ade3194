import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import pino from 'pino';
import { type Apiwatch, type ApiwatchOptions, startApiwatch } from '../../src/apiwatch/apiwatch.js';
import { type AuditReceiver, startAuditReceiver } from '../../src/apiwatch/auditReceiver.js';
import type { FollowedKind } from '../../src/apiwatch/objectEvents.js';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { type EtcdServer, startEtcdServer } from '../../src/etcd/etcdServer.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { type KubeApiserver, startKubeApiserver } from '../../src/kube/apiserverHarness.js';
import { AUDIT_CLIENT_CN, createKubePki, type KubePki } from '../../src/kube/kubePki.js';
import { KubeWriter, LogCollector } from './support.js';

export const CLUSTER = 'e2e';

/**
 * One test file's real control plane: its own etcd (tests compact it and restart the apiserver),
 * a kube-apiserver whose audit webhook points at apiwatch's receiver, the event log, a writer
 * acting as the admin user, and a collector of everything appended.
 */
export interface Fixture {
  readonly etcd: EtcdServer;
  readonly client: Etcd3;
  readonly log: EtcdEventLog;
  readonly pki: KubePki;
  readonly auditToken: string;
  readonly audit: AuditReceiver;
  readonly apiserver: KubeApiserver;
  readonly writer: KubeWriter;
  readonly collector: LogCollector;
  /** Problems apiwatch reported, by kind. */
  readonly problems: { kind: FollowedKind; reasons: readonly string[] }[];
  /** Starts an apiwatch on the fixture's log and apiserver (fast backoff, short watch timeouts). */
  apiwatch(options?: Partial<ApiwatchOptions>): Promise<Apiwatch>;
  stop(): Promise<void>;
}

export async function startFixture(fieldManager: string): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-apiwatch-e2e-'));
  const etcd = await startEtcdServer();
  const client = connectEtcd({ endpoints: etcd.endpoints });
  const log = new EtcdEventLog({ client, endpoints: etcd.endpoints, prefix: '/cairn/' });
  await mkdir(join(dir, 'pki'));
  const pki = await createKubePki(join(dir, 'pki'));
  const auditToken = randomBytes(16).toString('hex');
  const logger = pino({ level: process.env.CAIRN_TEST_LOG_LEVEL ?? 'silent' });
  const audit = await startAuditReceiver({
    logger,
    log,
    cluster: CLUSTER,
    certFile: pki.auditServer.certFile,
    keyFile: pki.auditServer.keyFile,
    clientCaFile: pki.caFile,
    clientNames: [AUDIT_CLIENT_CN],
    token: auditToken,
  });
  const apiserver = await startKubeApiserver({
    etcdEndpoints: etcd.endpoints,
    dir,
    pki,
    auditWebhook: { url: audit.url, token: auditToken },
    auditBatchMaxWaitMs: 100,
  });
  const collector = new LogCollector(log);
  const problems: Fixture['problems'] = [];
  const running: Apiwatch[] = [];
  return {
    etcd,
    client,
    log,
    pki,
    auditToken,
    audit,
    apiserver,
    writer: new KubeWriter(apiserver, fieldManager),
    collector,
    problems,
    async apiwatch(options = {}) {
      const apiwatch = await startApiwatch({
        log,
        cluster: CLUSTER,
        kubeConfig: { kubeconfig: apiserver.kubeconfigPath },
        backoff: { initialMs: 50, maxMs: 500 },
        watchTimeoutSeconds: 5,
        logger,
        onProblems: (kind, reasons) => problems.push({ kind, reasons }),
        ...options,
      });
      running.push(apiwatch);
      return apiwatch;
    },
    async stop() {
      for (const a of running) await a.stop();
      collector.close();
      await apiserver.stop();
      await audit.stop();
      client.close();
      await etcd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
