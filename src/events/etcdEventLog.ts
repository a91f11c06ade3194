import { randomUUID } from 'node:crypto';
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
  /** Append transactions sent at once (1 turns pipelining off). */
  readonly pipelineDepth?: number;
  readonly now?: () => number;
}

/**
 * The head key's value: the last position, and a token unique to the transaction that wrote it.
 * Appends compare the whole value, so a pipelined transaction commits only after the one
 * before it did. `token` is '' for an empty log.
 */
interface Head {
  readonly position: Position;
  readonly token: string;
}

const EMPTY_HEAD: Head = { position: 0n, token: '' };

function parseHead(value: string): Head {
  return { position: BigInt(value.split(' ')[0]!), token: value };
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
  private readonly writerId = randomUUID();
  private transactions = 0;
  /** Append transactions in flight at once: etcd folds concurrent proposals into one disk sync. */
  private readonly pipelineDepth: number;
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
    this.pipelineDepth = options.pipelineDepth ?? 4;
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
    for (let next = 0; next < plan.batches.length; ) {
      const window = plan.batches.slice(next, next + this.pipelineDepth);
      const committed = await this.commitPipelined(window);
      window.forEach((batch, k) => {
        const first = committed[k];
        if (first === undefined) return;
        batch.forEach((event, i) => {
          outcome.set(event.indexKey, { position: first + BigInt(i), written: true });
        });
      });
      // The first batch that did not commit met a duplicate, another writer, or an error:
      // the careful path re-reads the head and the index, then commits what is new.
      for (let k = 0; k < window.length; k++) {
        if (committed[k] !== undefined) continue;
        for (const [key, result] of await this.retrying(() => this.commitBatch(window[k]!)))
          outcome.set(key, result);
      }
      next += window.length;
    }
    const reported = new Set<string>();
    return plan.keyOfInput.map((key) => {
      const result = outcome.get(key)!;
      const first = !reported.has(key);
      reported.add(key);
      return first ? result : { position: result.position, written: false };
    });
  }

  /**
   * Sends up to `pipelineDepth` transactions at once, each guarded by the head token the previous
   * one writes, so they can only commit in order, and etcd folds them into fewer disk syncs.
   * Returns the first position of each batch that committed.
   */
  private async commitPipelined(
    window: readonly (readonly EncodedEvent[])[],
  ): Promise<(Position | undefined)[]> {
    let head: Head;
    try {
      head = this.expectedHead ??= await this.readHead();
    } catch {
      return window.map(() => undefined);
    }
    let expected = head;
    const attempts = window.map((batch) => {
      const first = expected.position + 1n;
      const next = this.nextHead(first + BigInt(batch.length - 1));
      const attempt = this.guarded(expected, batch, first, next)
        .commit()
        .then((r) => (r.succeeded ? first : undefined))
        .catch(() => undefined);
      expected = next;
      return { attempt, next };
    });
    const firsts = await Promise.all(attempts.map((a) => a.attempt));
    let lastCommitted: Head | undefined;
    firsts.forEach((first, k) => {
      if (first !== undefined) {
        this.batchesCommitted++;
        lastCommitted = attempts[k]!.next;
      }
    });
    this.expectedHead = firsts.every((f) => f !== undefined) ? lastCommitted : undefined;
    return firsts;
  }

  /** Writes one batch, skipping events already indexed; re-reads the head after losing a race. */
  private async commitBatch(batch: readonly EncodedEvent[]): Promise<Map<string, AppendResult>> {
    const results = new Map<string, AppendResult>();
    let pending = [...batch];
    for (;;) {
      this.expectedHead ??= await this.readHead();
      const head = this.expectedHead;
      const first = head.position + 1n;
      const next = this.nextHead(first + BigInt(pending.length - 1));
      const response = await this.guarded(head, pending, first, next)
        .else(
          this.etcd.get(LOG_KEYS.head),
          ...pending.map((event) => this.etcd.get(indexKey(event.indexKey))),
        )
        .commit();
      if (response.succeeded) {
        this.batchesCommitted++;
        this.expectedHead = next;
        pending.forEach((event, i) => {
          results.set(event.indexKey, { position: first + BigInt(i), written: true });
        });
        return results;
      }
      // Lost a race or met duplicates: learn the head and which events the log already holds.
      const [headRange, ...indexRanges] = response.responses.map((r) => r.response_range?.kvs[0]);
      this.expectedHead = headRange ? parseHead(headRange.value.toString()) : EMPTY_HEAD;
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

  /**
   * The append transaction: if the head is still `head` and none of the events is indexed,
   * write the segment, the index entries and the new head.
   */
  private guarded(head: Head, batch: readonly EncodedEvent[], first: Position, next: Head) {
    const guard =
      head.token === ''
        ? this.etcd.if(LOG_KEYS.head, 'Create', '==', 0)
        : this.etcd.if(LOG_KEYS.head, 'Value', '==', head.token);
    for (const event of batch) guard.and(indexKey(event.indexKey), 'Create', '==', 0);
    const segment = encodeSegment(this.codec.schemas, {
      appendedAtMs: this.now(),
      events: batch.map((e) => e.bytes),
    });
    return guard.then(
      this.etcd.put(segmentKey(first)).value(segment),
      ...batch.map((event, i) =>
        this.etcd.put(indexKey(event.indexKey)).value((first + BigInt(i)).toString()),
      ),
      this.etcd.put(LOG_KEYS.head).value(next.token),
    );
  }

  /** A head value only this transaction writes: the position and a unique token. */
  private nextHead(position: Position): Head {
    return { position, token: `${position} ${this.writerId}.${this.transactions++}` };
  }

  private async readHead(): Promise<Head> {
    const value = await this.etcd.get(LOG_KEYS.head).string();
    return value === null ? EMPTY_HEAD : parseHead(value);
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
    return {
      position: kv ? parseHead(kv.value.toString()).position : 0n,
      revision: response.header.revision,
    };
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
