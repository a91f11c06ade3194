import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import type { EventLog } from '../events/eventLog.js';
import { type Delay, type KindStats, KindWatcher, type RestartBackoff } from './kindWatcher.js';
import { emptyKnownObjects, foldKnownObjects, type KnownObjects } from './knownObjects.js';
import { type KubeApi, type KubeConfigSource, kubeApi, loadKubeConfig } from './kubeApi.js';
import { FOLLOWED_KINDS, type FollowedKind } from './objectEvents.js';

export interface ApiwatchOptions {
  /** The log the events go to. */
  readonly log: EventLog;
  /** The cluster name recorded in every event (and the one whose events apiwatch resumes from). */
  readonly cluster: string;
  /** Which API server: a loaded KubeConfig, or where to load one from (default: $KUBECONFIG, ~/.kube/config). */
  readonly kubeConfig?: KubeConfig | KubeConfigSource;
  /** Kinds to follow (default: all six). */
  readonly kinds?: readonly FollowedKind[];
  /** Restart delays after an error (default 200 ms doubling up to 30 s). */
  readonly backoff?: RestartBackoff;
  /** How restart delays are waited (default: real time). */
  readonly delay?: Delay;
  /** Server-side timeout of one watch; each asks for a random one in [t, 2t) (default 300 s, as client-go). */
  readonly watchTimeoutSeconds?: number;
  /** Items per list page (default 500). */
  readonly pageSize?: number;
  readonly logger?: pino.Logger;
  /** Called with the reasons when an object version has parts the datapath cannot use. */
  readonly onProblems?: (kind: FollowedKind, reasons: readonly string[]) => void;
}

/** A running apiwatch: one informer per kind, appending to the log. */
export interface Apiwatch {
  /** Resolves once every kind is listed or watching from where the log ends. */
  synced(): Promise<void>;
  /** Per-kind counters (lists, watches, 410s, errors, events appended, …). */
  stats(): Readonly<Record<FollowedKind, Readonly<KindStats>>>;
  /** Stops every informer; an append in flight completes first. */
  stop(): Promise<void>;
}

/**
 * Starts apiwatch: folds the log into what it already holds about `cluster` (objects and the
 * newest resourceVersion of each kind), then runs one informer per kind. A restart therefore
 * resumes watching where the log ends — every change made meanwhile arrives once — and when
 * the server no longer has that version (410 Gone), a re-list writes creates, updates and
 * deletes for what changed. Event ids make anything seen twice a no-op.
 */
export async function startApiwatch(options: ApiwatchOptions): Promise<Apiwatch> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const config =
    options.kubeConfig && 'getCurrentCluster' in options.kubeConfig
      ? options.kubeConfig
      : loadKubeConfig((options.kubeConfig as KubeConfigSource | undefined) ?? {});
  const api: KubeApi = kubeApi(config);
  const known = await loadKnownObjects(options.log, options.cluster);
  const controller = new AbortController();
  const watchers = (options.kinds ?? FOLLOWED_KINDS).map(
    (kind) =>
      new KindWatcher({
        kind,
        api,
        log: options.log,
        cluster: options.cluster,
        state: known.get(kind)!,
        backoff: options.backoff ?? { initialMs: 200, maxMs: 30_000 },
        delay: options.delay ?? ((ms, signal) => sleep(ms, undefined, { signal })),
        watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
        pageSize: options.pageSize ?? 500,
        logger,
        ...(options.onProblems ? { onProblems: options.onProblems } : {}),
      }),
  );
  logger.info({ server: api.server, cluster: options.cluster, kinds: watchers.length }, 'apiwatch: starting');
  const running = watchers.map((w) => w.run(controller.signal));
  return {
    synced: async () => {
      await Promise.all(watchers.map((w) => w.synced));
    },
    stats: () =>
      Object.fromEntries(
        watchers.map((w, i) => [(options.kinds ?? FOLLOWED_KINDS)[i], { ...w.stats }]),
      ) as Record<FollowedKind, KindStats>,
    async stop() {
      controller.abort();
      await Promise.all(running);
    },
  };
}

/** Folds every readable event of the log into what it holds about `cluster`'s objects. */
export async function loadKnownObjects(log: EventLog, cluster: string): Promise<KnownObjects> {
  const known = emptyKnownObjects();
  for await (const event of log.read(await log.firstPosition())) foldKnownObjects(known, event, cluster);
  return known;
}
