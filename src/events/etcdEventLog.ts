import type { Etcd3, Namespace } from 'etcd3';
import type { Observable } from 'rxjs';
import {
  type AppendPlan,
  type BatchLimits,
  type EncodedEvent,
  ETCD_DEFAULT_LIMITS,
  planAppend,
} from './appendPlan.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, withBackoff } from './backoff.js';
import { EventCodec } from './codec.js';
import type { AnyEvent, Position, StoredEvent } from './envelope.js';
import { EtcdUnavailableError, LogCompactedError } from './errors.js';
import { EtcdSchemaRegistry } from './etcdSchemaRegistry.js';
import { loadEtcdSnapshot, saveEtcdSnapshot } from './etcdSnapshots.js';
import { tailEtcdLog } from './etcdTail.js';
import type { AppendResult, EventLog, Snapshot } from './eventLog.js';
import { indexKey, LOG_KEYS, MAX_SEGMENT_EVENTS, positionOfSegmentKey, segmentKey } from './logKeys.js';
import { loadSchemaSet, type SchemaSet } from './schemaSet.js';
import { encodeSegment } from './segment.js';
import { segmentEvents } from './segmentEvents.js';
import { SkippedEvents } from './skippedEvents.js';

export interface EtcdEventLogOptions {
  /** A connected client (see connectEtcd); the log does not close it. */
  readonly client: Etcd3;
  /** The endpoints, to name them in errors. */
  readonly endpoints: readonly string[];
  /** Key prefix of this log, e.g. `/cairn/`. Several logs can share one etcd. */
  readonly prefix?: string;
  readonly schemas?: SchemaSet;
  readonly limits?: BatchLimits;
  readonly backoff?: BackoffPolicy;
  /** Segments fetched per range request while reading. */
  readonly pageSegments?: number;
  readonly now?: () => number;
}

interface Head {
  readonly position: Position;
  /** mod_revision of the head key ('0' when the log is empty): the append transaction's guard. */
  readonly modRevision: string;
}

/**
 * The event log on etcd. Appends allocate positions with a compare-and-swap on the head key in
 * the same transaction that writes the segment and the idempotency index, so concurrent writers
 * get one total order; reads walk the `log/` keys in key order, which is position order.
 */
export class EtcdEventLog implements EventLog {
  readonly skipped = new SkippedEvents();
  readonly codec: EventCodec;
  readonly etcd: Namespace;
  /** The key prefix of this log in etcd. */
  readonly prefix: string;
  private readonly limits: BatchLimits;
  private readonly backoff: BackoffPolicy;
  private readonly now: () => number;
  private readonly pageSegments: number;
  private expectedHead: Head | undefined;
  private appendQueue: Promise<unknown> = Promise.resolve();
  /** Append transactions committed by this instance (for tests of batch splitting). */
  batchesCommitted = 0;

  constructor(private readonly options: EtcdEventLogOptions) {
    this.prefix = options.prefix ?? '/cairn/';
    this.etcd = options.client.namespace(this.prefix);
    const limits = options.limits ?? ETCD_DEFAULT_LIMITS;
    this.limits = { ...limits, maxEventsPerBatch: Math.min(limits.maxEventsPerBatch, MAX_SEGMENT_EVENTS) };
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.now = options.now ?? Date.now;
    this.pageSegments = options.pageSegments ?? 64;
    this.codec = new EventCodec(options.schemas ?? loadSchemaSet(), new EtcdSchemaRegistry(this.etcd));
  }

  append(events: readonly AnyEvent[]): Promise<readonly AppendResult[]> {
    // Appends of one instance run one after another: its batches keep their call order.
    const run = this.appendQueue.then(() => this.appendNow(events));
    this.appendQueue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(events: readonly AnyEvent[]): Promise<readonly AppendResult[]> {
    const plan: AppendPlan = planAppend(events, this.codec, this.limits);
    if (plan.batches.length === 0) return [];
    await this.retrying(() => this.codec.registerWriterSchemas());
    const outcome = new Map<string, AppendResult>();
    for (const batch of plan.batches) {
      for (const [key, result] of await this.retrying(() => this.commitBatch(batch)))
        outcome.set(key, result);
    }
    const reported = new Set<string>();
    return plan.keyOfInput.map((key) => {
      const result = outcome.get(key)!;
      const first = !reported.has(key);
      reported.add(key);
      return first ? result : { position: result.position, written: false };
    });
  }

  /** Writes one batch, skipping events already indexed; re-reads the head after losing a race. */
  private async commitBatch(batch: readonly EncodedEvent[]): Promise<Map<string, AppendResult>> {
    const results = new Map<string, AppendResult>();
    let pending = [...batch];
    for (;;) {
      this.expectedHead ??= await this.readHead();
      const head = this.expectedHead;
      const first = head.position + 1n;
      const last = first + BigInt(pending.length - 1);
      const segment = encodeSegment(this.codec.schemas, {
        appendedAtMs: this.now(),
        events: pending.map((e) => e.bytes),
      });
      const guard =
        head.modRevision === '0'
          ? this.etcd.if(LOG_KEYS.head, 'Create', '==', 0)
          : this.etcd.if(LOG_KEYS.head, 'Mod', '==', head.modRevision);
      for (const event of pending) guard.and(indexKey(event.indexKey), 'Create', '==', 0);
      const response = await guard
        .then(
          this.etcd.put(segmentKey(first)).value(segment),
          ...pending.map((event, i) =>
            this.etcd.put(indexKey(event.indexKey)).value((first + BigInt(i)).toString()),
          ),
          this.etcd.put(LOG_KEYS.head).value(last.toString()),
        )
        .else(
          this.etcd.get(LOG_KEYS.head),
          ...pending.map((event) => this.etcd.get(indexKey(event.indexKey))),
        )
        .commit();
      if (response.succeeded) {
        this.batchesCommitted++;
        this.expectedHead = { position: last, modRevision: response.header.revision };
        pending.forEach((event, i) => {
          results.set(event.indexKey, { position: first + BigInt(i), written: true });
        });
        return results;
      }
      // Lost a race or met duplicates: learn the head and which events the log already holds.
      const [headRange, ...indexRanges] = response.responses.map((r) => r.response_range?.kvs[0]);
      this.expectedHead = headRange
        ? { position: BigInt(headRange.value.toString()), modRevision: headRange.mod_revision }
        : { position: 0n, modRevision: '0' };
      const still: EncodedEvent[] = [];
      pending.forEach((event, i) => {
        const existing = indexRanges[i];
        if (existing)
          results.set(event.indexKey, { position: BigInt(existing.value.toString()), written: false });
        else still.push(event);
      });
      if (still.length === 0) return results;
      pending = still;
    }
  }

  private async readHead(): Promise<Head> {
    const response = await this.etcd.get(LOG_KEYS.head).exec();
    const kv = response.kvs[0];
    return kv
      ? { position: BigInt(kv.value.toString()), modRevision: kv.mod_revision }
      : { position: 0n, modRevision: '0' };
  }

  async *read(from: Position = 1n, to?: Position): AsyncIterable<StoredEvent> {
    const firstReadable = await this.firstPosition();
    if (from < firstReadable) throw new LogCompactedError(from, firstReadable);
    const end = to ?? (await this.head());
    if (from > end) return;
    // The segment holding `from` starts at most MAX_SEGMENT_EVENTS - 1 positions earlier.
    const lowest = from - BigInt(MAX_SEGMENT_EVENTS - 1);
    let start = segmentKey(lowest < 1n ? 1n : lowest);
    const stop = `${segmentKey(end)}\0`;
    for (;;) {
      const page = await this.retrying(() =>
        this.etcd.getAll().inRange({ start, end: stop }).limit(this.pageSegments).exec(),
      );
      for (const kv of page.kvs) {
        const key = kv.key.toString();
        const first = positionOfSegmentKey(key);
        if (first === undefined) continue;
        for (const event of await segmentEvents(this.codec, key, first, kv.value, this.skipped)) {
          if (event.position < from) continue;
          if (event.position > end) return;
          yield event;
        }
      }
      if (!page.more || page.kvs.length === 0) return;
      start = `${page.kvs.at(-1)!.key.toString()}\0`;
    }
  }

  tail(from: Position = 1n): Observable<StoredEvent> {
    return tailEtcdLog(this, from, this.backoff);
  }

  async head(): Promise<Position> {
    return (await this.retrying(() => this.readHead())).position;
  }

  /** The head and the etcd revision at which it was read: a watch from revision + 1 misses nothing. */
  async headAtRevision(): Promise<{ readonly position: Position; readonly revision: string }> {
    const response = await this.retrying(() => this.etcd.get(LOG_KEYS.head).exec());
    const kv = response.kvs[0];
    return { position: kv ? BigInt(kv.value.toString()) : 0n, revision: response.header.revision };
  }

  async firstPosition(): Promise<Position> {
    const value = await this.retrying(() => this.etcd.get(LOG_KEYS.compacted).string());
    return value === null ? 1n : BigInt(value);
  }

  saveSnapshot(name: string, position: Position, state: Uint8Array): Promise<void> {
    return this.retrying(() => saveEtcdSnapshot(this.etcd, name, position, state));
  }

  loadSnapshot(name: string, atOrBefore?: Position): Promise<Snapshot | undefined> {
    return this.retrying(() => loadEtcdSnapshot(this.etcd, name, atOrBefore));
  }

  /**
   * Drops segments that end before `before` and marks `before` as the first readable position;
   * then compacts etcd's history to release the space. Index keys stay, so an old event appended
   * again is still recognised.
   */
  async compact(before: Position): Promise<void> {
    const current = await this.firstPosition();
    if (before <= current) return;
    await this.retrying(() => this.etcd.put(LOG_KEYS.compacted).value(before.toString()).exec());
    const wholeSegmentsBefore = before - BigInt(MAX_SEGMENT_EVENTS - 1);
    if (wholeSegmentsBefore > 1n) {
      await this.retrying(() =>
        this.etcd
          .delete()
          .inRange({ start: LOG_KEYS.logPrefix, end: segmentKey(wholeSegmentsBefore) })
          .exec(),
      );
    }
    const { revision } = await this.headAtRevision();
    await this.retrying(() => this.options.client.kv.compact({ revision, physical: true }));
  }

  /** Does nothing to the client, which the caller owns. */
  async close(): Promise<void> {}

  /** Runs an etcd operation with backoff; a typed error names the endpoints when it gives up. */
  retrying<T>(operation: () => Promise<T>): Promise<T> {
    return withBackoff(
      this.backoff,
      operation,
      (error, attempts) => {
        this.expectedHead = undefined;
        return new EtcdUnavailableError(this.options.endpoints, attempts, error);
      },
      isTransient,
    );
  }

  /** Test hook: overwrites the stored segment that starts at `first` (simulated corruption). */
  async corruptSegment(first: Position, bytes: Buffer): Promise<void> {
    await this.etcd.put(segmentKey(first)).value(bytes);
  }
}

/** Errors worth retrying: connection and server trouble, not our own logic errors. */
function isTransient(error: unknown): boolean {
  if (error instanceof LogCompactedError) return false;
  const name = (error as Error)?.name ?? '';
  const message = (error as Error)?.message ?? '';
  if (name.startsWith('GRPC') || name.startsWith('Etcd'))
    return !/Permission|Authentication|InvalidAuth/.test(name);
  return /ECONNREFUSED|ECONNRESET|UNAVAILABLE|deadline|timeout|socket|connect/i.test(message);
}
