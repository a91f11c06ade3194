import type pino from 'pino';
import type { AnyEvent } from '../events/envelope.js';
import type { EventLog } from '../events/eventLog.js';
import { RESOURCE_PATHS } from './followedResources.js';
import { advance, isNewerVersion, type KindState, recordDelete, recordUpsert } from './knownObjects.js';
import { isGoneError, type KubeApi, KubeApiError, type KubeList, type WatchEvent } from './kubeApi.js';
import { apiwatchMetrics } from './metrics.js';
import { deleteEvent, type FollowedKind, type KubeObject, upsertEvent } from './objectEvents.js';
import { objectProblems } from './objectProblems.js';

/** Restart delays after an error: exponential from `initialMs`, capped at `maxMs`, with jitter. */
export interface RestartBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Waits `ms` (or until `signal` aborts). Injected so tests need not wait real time. */
export type Delay = (ms: number, signal: AbortSignal) => Promise<void>;

export interface KindWatcherOptions {
  readonly kind: FollowedKind;
  readonly api: KubeApi;
  readonly log: EventLog;
  readonly cluster: string;
  /** This kind's part of what the log holds; updated only after an append succeeded. */
  readonly state: KindState;
  readonly backoff: RestartBackoff;
  readonly delay: Delay;
  /** Server-side timeout of one watch request; each watch asks for a random one in [t, 2t). */
  readonly watchTimeoutSeconds: number;
  /** Items per list page. */
  readonly pageSize: number;
  readonly logger: pino.Logger;
  /** Called with the reasons when an object version has parts the datapath cannot use. */
  readonly onProblems?: (kind: FollowedKind, reasons: readonly string[]) => void;
}

/** What one kind's informer did since start. */
export interface KindStats {
  /** Full lists (the first one, and one after each 410 Gone). */
  lists: number;
  /** Watch requests opened. */
  watches: number;
  /** 410 Gone answers (expired resourceVersion or continue token). */
  gone: number;
  /** Failed requests or appends, each followed by a restart with backoff. */
  errors: number;
  /** Events appended that the log did not hold yet. */
  appended: number;
  /** Events the log already held (a re-list or a replayed watch). */
  alreadyRecorded: number;
  /** Watch or list entries older than what the log holds, not written. */
  stale: number;
  /** Object versions with parts the datapath cannot use (recorded and reported). */
  invalid: number;
  /** Objects that could not become an event at all. */
  unconvertible: number;
  /** The resourceVersion the next watch starts from. */
  resourceVersion: string | undefined;
  lastError: string | undefined;
}

/**
 * One kind's informer: list, then watch from the list's resourceVersion, each change appended
 * to the log as one event before the watch reads on. It owns its restarts: after any error it
 * waits (backoff) and watches again from the last resourceVersion in the log; after 410 Gone it
 * lists again, emitting deletes for objects that vanished meanwhile and upserts for new
 * versions. Watches ask the server to end them after a while (and for bookmarks), so an idle
 * period longer than any timeout only means watching again from where the last one ended.
 */
export class KindWatcher {
  readonly stats: KindStats = {
    lists: 0,
    watches: 0,
    gone: 0,
    errors: 0,
    appended: 0,
    alreadyRecorded: 0,
    stale: 0,
    invalid: 0,
    unconvertible: 0,
    resourceVersion: undefined,
    lastError: undefined,
  };
  /** Resolves once the kind is listed, or its first watch from the log's resume point is open. */
  readonly synced: Promise<void>;
  private markSynced!: () => void;
  private attempt = 0;

  constructor(private readonly o: KindWatcherOptions) {
    this.synced = new Promise((resolve) => {
      this.markSynced = resolve;
    });
    this.stats.resourceVersion = o.state.resourceVersion;
  }

  /** Runs until `signal` aborts; never throws. */
  async run(signal: AbortSignal): Promise<void> {
    let mustList = this.o.state.resourceVersion === undefined;
    let checked = mustList;
    while (!signal.aborted) {
      try {
        if (!checked) {
          mustList = await this.resumePointAhead(signal);
          checked = true;
          if (!mustList) this.markSynced();
        }
        if (mustList) {
          await this.relist(signal);
          mustList = false;
          this.attempt = 0;
          this.markSynced();
        }
        await this.watchOnce(signal);
      } catch (error) {
        if (signal.aborted) break;
        if (isGoneError(error) || isTooLargeError(error)) {
          // The resourceVersion is older (or newer) than the server can serve: list again, now.
          this.stats.gone++;
          this.o.logger.info({ kind: this.o.kind, reason: (error as Error).message }, 'apiwatch: re-listing');
          mustList = true;
          continue;
        }
        this.stats.errors++;
        this.stats.lastError = (error as Error)?.message ?? String(error);
        apiwatchMetrics.errors.inc({ kind: this.o.kind });
        const wait = restartDelay(this.o.backoff, this.attempt++);
        this.o.logger.warn(
          { kind: this.o.kind, error: this.stats.lastError, retryInMs: Math.round(wait) },
          'apiwatch: informer failed; restarting',
        );
        await this.o.delay(wait, signal).catch(() => undefined);
      }
    }
  }

  /**
   * Whether the log's resume point is ahead of the server (a restored etcd, another cluster
   * under the same name): a watch from there would wait for versions that never come, so list.
   * A one-item list is a consistent read that tells the server's current version.
   */
  private async resumePointAhead(signal: AbortSignal): Promise<boolean> {
    const page = await this.o.api.getJson<KubeList>(RESOURCE_PATHS[this.o.kind], { limit: '1' }, signal);
    const current = page.metadata?.resourceVersion ?? null;
    const resume = this.o.state.resourceVersion ?? '';
    const ahead = /^\d+$/.test(resume) && /^\d+$/.test(current ?? '') && BigInt(resume) > BigInt(current!);
    if (ahead) {
      this.o.logger.warn(
        { kind: this.o.kind, resumeFrom: this.o.state.resourceVersion, server: current },
        'apiwatch: the log is ahead of the API server; re-listing',
      );
    }
    return ahead;
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const { kind, state } = this.o;
    this.stats.lists++;
    apiwatchMetrics.relists.inc({ kind });
    const items: KubeObject[] = [];
    let listVersion: string | undefined;
    let next: string | undefined;
    do {
      const query: Record<string, string> = { limit: String(this.o.pageSize) };
      if (next) query.continue = next;
      const page = await this.o.api.getJson<KubeList>(RESOURCE_PATHS[kind], query, signal);
      for (const item of page.items ?? []) items.push({ ...item, kind });
      listVersion ??= page.metadata?.resourceVersion;
      next = page.metadata?.continue || undefined;
    } while (next);

    // Deletes first: an object deleted and re-created under the same name has a new uid, and a
    // projection keyed by name must see the old one go before the new one comes.
    const listed = new Set(items.map((i) => i.metadata?.uid));
    const events: AnyEvent[] = [];
    for (const [uid, known] of state.objects) {
      if (listed.has(uid)) continue;
      const vanished: KubeObject = {
        kind,
        metadata: {
          uid,
          name: known.name,
          ...(known.namespace !== null ? { namespace: known.namespace } : {}),
          ...(known.resourceVersion !== null ? { resourceVersion: known.resourceVersion } : {}),
        },
      };
      events.push(
        deleteEvent(vanished, {
          cluster: this.o.cluster,
          fallbackActor: 'unknown (deleted while not watched)',
        }),
      );
    }
    for (const item of items) {
      const event = this.upsertOf(item);
      if (event) events.push(event);
    }
    for (let i = 0; i < events.length; i += 500) await this.commit(events.slice(i, i + 500));
    // The list is authoritative: watch from its version, even if an old resume point was newer.
    state.resourceVersion = listVersion;
    this.stats.resourceVersion = listVersion;
  }

  private async watchOnce(signal: AbortSignal): Promise<void> {
    const { kind, state } = this.o;
    const timeout = Math.round(this.o.watchTimeoutSeconds * (1 + Math.random()));
    const query = {
      resourceVersion: state.resourceVersion ?? '',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeout),
    };
    this.stats.watches++;
    // A watch that says nothing for its whole timeout plus grace is a dead connection.
    const stream = this.o.api.watch(RESOURCE_PATHS[kind], query, signal, (timeout + 30) * 1000);
    for await (const batch of stream) {
      this.attempt = 0;
      this.markSynced();
      let events: AnyEvent[] = [];
      let version: string | undefined;
      for (const w of batch) {
        if (w.type === 'ERROR') {
          await this.commit(events, version);
          throw watchError(w, kind);
        }
        version = w.object?.metadata?.resourceVersion ?? version;
        if (w.type === 'ADDED' || w.type === 'MODIFIED') {
          const event = this.upsertOf({ ...w.object, kind });
          if (event) events.push(event);
        } else if (w.type === 'DELETED') {
          const event = this.deleteOf({ ...w.object, kind });
          if (event) events.push(event);
        }
        if (events.length >= 500) {
          await this.commit(events, version);
          events = [];
        }
      }
      await this.commit(events, version);
    }
  }

  /** The upsert event of `object`, or undefined when the log holds it or a newer version. */
  private upsertOf(object: KubeObject): AnyEvent | undefined {
    const { state, kind } = this.o;
    const uid = object.metadata?.uid;
    const version = object.metadata?.resourceVersion ?? null;
    if (uid !== undefined) {
      const known = state.objects.get(uid);
      if (state.deleted.has(uid) || (known && !isNewerVersion(version, known.resourceVersion))) {
        if (!known || known.resourceVersion !== version) this.stats.stale++;
        return undefined;
      }
    }
    let event: AnyEvent;
    try {
      event = upsertEvent(object, { cluster: this.o.cluster });
    } catch (error) {
      this.unconvertible(object, error);
      return undefined;
    }
    const problems = objectProblems(event);
    if (problems.length > 0) {
      this.stats.invalid++;
      apiwatchMetrics.invalidObjects.inc({ kind });
      this.o.logger.warn(
        { kind, id: event.id, problems },
        'apiwatch: object has parts the datapath cannot use',
      );
      this.o.onProblems?.(kind, problems);
    }
    return event;
  }

  private deleteOf(object: KubeObject): AnyEvent | undefined {
    const uid = object.metadata?.uid;
    if (uid !== undefined && this.o.state.deleted.has(uid)) return undefined;
    try {
      return deleteEvent(object, { cluster: this.o.cluster });
    } catch (error) {
      this.unconvertible(object, error);
      return undefined;
    }
  }

  private unconvertible(object: KubeObject, error: unknown): void {
    this.stats.unconvertible++;
    apiwatchMetrics.unconvertible.inc({ kind: this.o.kind });
    this.o.logger.warn(
      { kind: this.o.kind, name: object.metadata?.name, error: (error as Error)?.message },
      'apiwatch: object skipped: it cannot become an event',
    );
  }

  /** Appends `events` in order, then (only then) records them and `version` as what the log holds. */
  private async commit(events: readonly AnyEvent[], version?: string): Promise<void> {
    const { state, kind } = this.o;
    if (events.length > 0) {
      const results = await this.o.log.append(events);
      const written = results.filter((r) => r.written).length;
      this.stats.appended += written;
      this.stats.alreadyRecorded += results.length - written;
      apiwatchMetrics.events.inc({ kind }, written);
      for (const event of events) {
        const p = event.payload as {
          namespace?: string;
          name: string;
          uid: string;
          resourceVersion: string | null;
        };
        if (event.type.endsWith('Deleted')) recordDelete(state, p.uid, p.resourceVersion);
        else
          recordUpsert(state, p.uid, {
            namespace: p.namespace ?? null,
            name: p.name,
            resourceVersion: p.resourceVersion,
          });
      }
    }
    advance(state, version);
    this.stats.resourceVersion = state.resourceVersion;
  }
}

/** The error a watch stream's ERROR entry stands for (a Status: 410 Gone, 500, …). */
function watchError(w: WatchEvent, kind: FollowedKind): KubeApiError {
  const status = w.object as { code?: number; reason?: string; message?: string };
  return new KubeApiError(
    status.code ?? 500,
    status.reason,
    `watch ${kind}: ${status.code ?? '?'} ${status.reason ?? ''} ${status.message ?? ''}`.trim(),
  );
}

/** "Too large resource version": the server is behind the version asked for (a restored etcd). */
function isTooLargeError(error: unknown): boolean {
  return error instanceof KubeApiError && /too large resource version/i.test(error.message);
}

/** Exponential backoff with jitter: half fixed, half random. */
export function restartDelay(policy: RestartBackoff, attempt: number): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
