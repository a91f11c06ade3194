import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { EventLog } from '../events/eventLog.js';
import { type KubeApiserver, startKubeApiserver } from '../kube/apiserverHarness.js';
import { AUDIT_CLIENT_CN, createKubePki } from '../kube/kubePki.js';
import { type Apiwatch, type ApiwatchOptions, startApiwatch } from './apiwatch.js';
import { type AuditReceiver, startAuditReceiver } from './auditReceiver.js';

export interface EmbeddedClusterOptions {
  /** The etcd the apiserver stores its objects in (the one holding the log is fine: own prefix). */
  readonly etcdEndpoints: readonly string[];
  readonly log: EventLog;
  readonly cluster: string;
  /** State dir (PKI, kubeconfig, apiserver log); a temporary one when absent (removed on stop). */
  readonly dir?: string;
  /** The apiserver's etcd prefix; keep it (with `dir`) to find the same objects after a restart. */
  readonly etcdPrefix?: string;
  readonly apiserverBinary?: string;
  readonly logger?: pino.Logger;
  /** Passed on to startApiwatch (backoff, delay, watch timeout, …). */
  readonly apiwatch?: Partial<Omit<ApiwatchOptions, 'log' | 'cluster' | 'kubeConfig' | 'logger'>>;
}

/** A local control plane: kube-apiserver, apiwatch's audit receiver, and apiwatch following it. */
export interface EmbeddedCluster {
  readonly apiserver: KubeApiserver;
  readonly audit: AuditReceiver;
  readonly apiwatch: Apiwatch;
  /** Admin kubeconfig (for kubectl and tests). */
  readonly kubeconfigPath: string;
  /** Stops apiwatch, the apiserver and the receiver, in that order, and removes a temporary dir. */
  stop(): Promise<void>;
}

/**
 * The embedded default when no kubeconfig is given: starts the audit receiver, then a
 * kube-apiserver (scripts/build-kube.sh's) on loopback whose audit webhook points at it, then
 * apiwatch following that apiserver into `log`. Everything listens on 127.0.0.1 with random ports.
 */
export async function startEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'cairn-cluster-')));
  const started: { stop(): Promise<void> }[] = [];
  try {
    await mkdir(join(dir, 'pki'), { recursive: true });
    const pki = await createKubePki(join(dir, 'pki'));
    const token = randomBytes(24).toString('hex');
    const audit = await startAuditReceiver({
      log: options.log,
      cluster: options.cluster,
      certFile: pki.auditServer.certFile,
      keyFile: pki.auditServer.keyFile,
      clientCaFile: pki.caFile,
      clientNames: [AUDIT_CLIENT_CN],
      token,
      logger,
    });
    started.push(audit);
    const apiserver = await startKubeApiserver({
      etcdEndpoints: options.etcdEndpoints,
      dir,
      pki,
      auditWebhook: { url: audit.url, token },
      ...(options.etcdPrefix ? { etcdPrefix: options.etcdPrefix } : {}),
      ...(options.apiserverBinary ? { binary: options.apiserverBinary } : {}),
    });
    started.push(apiserver);
    logger.info(
      { url: apiserver.url, kubeconfig: apiserver.kubeconfigPath, pid: apiserver.pid },
      'started kube-apiserver',
    );
    const apiwatch = await startApiwatch({
      ...options.apiwatch,
      log: options.log,
      cluster: options.cluster,
      kubeConfig: { kubeconfig: apiserver.kubeconfigPath },
      logger,
    });
    return {
      apiserver,
      audit,
      apiwatch,
      kubeconfigPath: apiserver.kubeconfigPath,
      async stop() {
        try {
          await apiwatch.stop();
          await apiserver.stop();
          await audit.stop();
        } finally {
          if (ownsDir) await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
