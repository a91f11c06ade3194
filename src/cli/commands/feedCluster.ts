import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pino from 'pino';
import { startApiwatch } from '../../apiwatch/apiwatch.js';
import { startEmbeddedCluster } from '../../apiwatch/embeddedCluster.js';
import type { AnyEvent } from '../../events/envelope.js';
import type { EventLog } from '../../events/eventLog.js';
import { kubeBinaryPath, missingKubeBinary } from '../../kube/kubeBinaries.js';

export interface FeedOptions {
  readonly log: EventLog;
  readonly cluster: string;
  readonly etcdEndpoints: readonly string[];
  readonly manifests: readonly string[];
  /** The manifests as events: what to wait for in the log. */
  readonly manifestEvents: readonly AnyEvent[];
  /** Follow this cluster instead of starting one (the manifests are not applied to it). */
  readonly kubeconfig?: string;
  /** Start the embedded kube-apiserver when its binary is built. */
  readonly kube: boolean;
  readonly logger: pino.Logger;
  readonly print: (line: string) => void;
}

/** How the cluster's objects reached the log, and what to stop on exit. */
export interface Feed {
  readonly how: 'kubeconfig' | 'embedded-apiserver' | 'manifests-as-events';
  stop(): Promise<void>;
}

/**
 * Brings the cluster's objects into the log. With `--kubeconfig`, apiwatch follows that cluster.
 * Otherwise the embedded default: a local kube-apiserver on the log's etcd, apiwatch following
 * it, and the manifests applied with kubectl — so the events are the real ones, with their
 * managers and users. Without a built kube-apiserver, the manifests are appended as the events
 * apiwatch would write.
 */
export async function feedCluster(options: FeedOptions): Promise<Feed> {
  const { log, logger, print } = options;
  if (options.kubeconfig) {
    const apiwatch = await startApiwatch({
      log,
      cluster: options.cluster,
      kubeConfig: { kubeconfig: options.kubeconfig },
      logger,
    });
    await apiwatch.synced();
    print(`# apiwatch follows the cluster of ${options.kubeconfig}`);
    return { how: 'kubeconfig', stop: () => apiwatch.stop() };
  }
  const missing = missingKubeBinary('kube-apiserver');
  if (!options.kube || missing) {
    if (options.kube)
      logger.warn({ reason: missing }, 'no kube-apiserver: appending the manifests as events instead');
    const results = await log.append([...options.manifestEvents]);
    logger.info(
      { events: results.length, written: results.filter((r) => r.written).length },
      'appended the manifests as events',
    );
    return { how: 'manifests-as-events', stop: async () => {} };
  }
  const cluster = await startEmbeddedCluster({
    etcdEndpoints: options.etcdEndpoints,
    log,
    cluster: options.cluster,
    logger,
  });
  try {
    await cluster.apiwatch.synced();
    print(`# kube-apiserver at ${cluster.apiserver.url}; kubeconfig ${cluster.kubeconfigPath}`);
    const kubectl = missingKubeBinary('kubectl') ? 'kubectl' : kubeBinaryPath('kubectl');
    for (const manifest of options.manifests) {
      print(`$ kubectl apply -f ${manifest}`);
      const { stdout } = await promisify(execFile)(
        kubectl,
        ['--kubeconfig', cluster.kubeconfigPath, 'apply', '-f', manifest],
        {
          encoding: 'utf8',
        },
      );
      for (const line of stdout.trim().split('\n')) print(line);
    }
    await waitForObjects(log, options.manifestEvents);
    return { how: 'embedded-apiserver', stop: () => cluster.stop() };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** Waits until apiwatch has appended an upsert for every object of the manifests. */
async function waitForObjects(
  log: EventLog,
  expected: readonly AnyEvent[],
  timeoutMs = 30_000,
): Promise<void> {
  const name = (e: AnyEvent) => {
    const p = e.payload as { namespace?: string; name: string };
    return `${e.type}:${p.namespace ?? ''}/${p.name}`;
  };
  const wanted = new Set(expected.map(name));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for await (const event of log.read()) wanted.delete(name(event));
    if (wanted.size === 0) return;
    if (Date.now() > deadline)
      throw new Error(`apiwatch did not record ${[...wanted].join(', ')} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
