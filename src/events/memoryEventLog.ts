import { Observable, Subject } from 'rxjs';
import { type BatchLimits, ETCD_DEFAULT_LIMITS, planAppend } from './appendPlan.js';
import { EventCodec } from './codec.js';
import type { AnyEvent, Position, StoredEvent } from './envelope.js';
import { LogCompactedError } from './errors.js';
import type { AppendResult, EventLog, Snapshot } from './eventLog.js';
import { MemorySchemaRegistry } from './schemaRegistry.js';
import { loadSchemaSet, type SchemaSet } from './schemaSet.js';
import { encodeSegment } from './segment.js';
import { segmentEvents } from './segmentEvents.js';
import { SkippedEvents } from './skippedEvents.js';

interface StoredSegment {
  readonly first: Position;
  readonly count: number;
  readonly bytes: Buffer;
}

export interface MemoryEventLogOptions {
  readonly schemas?: SchemaSet;
  readonly registry?: MemorySchemaRegistry;
  readonly limits?: BatchLimits;
  readonly now?: () => number;
}

/**
 * The event log in memory, for fast tests and laptops: it stores the same encoded segments as
 * the etcd log and passes the same contract suite. Not durable.
 */
export class MemoryEventLog implements EventLog {
  readonly skipped = new SkippedEvents();
  readonly codec: EventCodec;
  /** Segments in position order; `batchesCommitted` counts them for batch-split tests. */
  private readonly segments: StoredSegment[] = [];
  private readonly index = new Map<string, Position>();
  private readonly snapshots = new Map<string, Snapshot[]>();
  private readonly appended = new Subject<void>();
  private readonly limits: BatchLimits;
  private readonly now: () => number;
  private last: Position = 0n;
  private first: Position = 1n;

  constructor(options: MemoryEventLogOptions = {}) {
    this.codec = new EventCodec(
      options.schemas ?? loadSchemaSet(),
      options.registry ?? new MemorySchemaRegistry(),
    );
    this.limits = options.limits ?? ETCD_DEFAULT_LIMITS;
    this.now = options.now ?? Date.now;
  }

  /** How many append transactions (segments) the log holds. */
  get batchesCommitted(): number {
    return this.segments.length;
  }

  async append(events: readonly AnyEvent[]): Promise<readonly AppendResult[]> {
    const plan = planAppend(events, this.codec, this.limits);
    await this.codec.registerWriterSchemas();
    const writtenNow = new Set<string>();
    for (const batch of plan.batches) {
      const fresh = batch.filter((event) => !this.index.has(event.indexKey));
      if (fresh.length === 0) continue;
      const first = this.last + 1n;
      fresh.forEach((event, i) => {
        this.index.set(event.indexKey, first + BigInt(i));
        writtenNow.add(event.indexKey);
      });
      const bytes = encodeSegment(this.codec.schemas, {
        appendedAtMs: this.now(),
        events: fresh.map((e) => e.bytes),
      });
      this.segments.push({ first, count: fresh.length, bytes });
      this.last = first + BigInt(fresh.length - 1);
    }
    if (writtenNow.size > 0) this.appended.next();
    const reported = new Set<string>();
    return plan.keyOfInput.map((key) => {
      const written = writtenNow.has(key) && !reported.has(key);
      reported.add(key);
      return { position: this.index.get(key)!, written };
    });
  }

  async *read(from: Position = 1n, to?: Position): AsyncIterable<StoredEvent> {
    this.checkNotCompacted(from);
    const end = to ?? this.last;
    for (const segment of this.segmentsFrom(from)) {
      if (segment.first > end) return;
      for (const event of await this.decode(segment)) {
        if (event.position < from || event.position < this.first) continue;
        if (event.position > end) return;
        yield event;
      }
    }
  }

  tail(from: Position = 1n): Observable<StoredEvent> {
    return new Observable<StoredEvent>((subscriber) => {
      let next = from;
      let pumping = false;
      let again = false;
      const pump = async () => {
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            const end = this.last;
            for await (const event of this.read(next, end)) {
              if (subscriber.closed) return;
              subscriber.next(event);
              next = event.position + 1n;
            }
            // Positions of skipped events at the end still advance the cursor.
            if (end >= next) next = end + 1n;
          } while (again && !subscriber.closed);
        } catch (error) {
          subscriber.error(error);
        } finally {
          pumping = false;
        }
      };
      const subscription = this.appended.subscribe(() => void pump());
      void pump();
      return () => subscription.unsubscribe();
    });
  }

  async head(): Promise<Position> {
    return this.last;
  }

  async firstPosition(): Promise<Position> {
    return this.first;
  }

  async saveSnapshot(name: string, position: Position, state: Uint8Array): Promise<void> {
    const list = this.snapshots.get(name) ?? [];
    list.push({ position, state: Uint8Array.from(state) });
    list.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    this.snapshots.set(name, list);
  }

  async loadSnapshot(name: string, atOrBefore?: Position): Promise<Snapshot | undefined> {
    const list = this.snapshots.get(name) ?? [];
    const fitting = list.filter((s) => atOrBefore === undefined || s.position <= atOrBefore);
    return fitting.at(-1);
  }

  async compact(before: Position): Promise<void> {
    if (before <= this.first) return;
    this.first = before;
    while (this.segments.length > 0) {
      const segment = this.segments[0]!;
      if (segment.first + BigInt(segment.count) > before) break;
      this.segments.shift();
    }
  }

  async close(): Promise<void> {
    this.appended.complete();
  }

  private checkNotCompacted(from: Position): void {
    if (from < this.first) throw new LogCompactedError(from, this.first);
  }

  private segmentsFrom(from: Position): StoredSegment[] {
    // Binary search for the segment holding `from`.
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segments[mid]!;
      if (s.first + BigInt(s.count) <= from) lo = mid + 1;
      else hi = mid;
    }
    return this.segments.slice(lo);
  }

  private decode(segment: StoredSegment): Promise<StoredEvent[]> {
    return segmentEvents(this.codec, `memory/${segment.first}`, segment.first, segment.bytes, this.skipped);
  }

  /** Test hook: replaces the stored bytes of the segment holding `position` (corruption). */
  corruptSegmentAt(position: Position, bytes: Buffer): void {
    const index = this.segments.findIndex((s) => s.first <= position && position < s.first + BigInt(s.count));
    if (index < 0) throw new Error(`no segment holds position ${position}`);
    const segment = this.segments[index]!;
    this.segments[index] = { ...segment, bytes };
  }
}
