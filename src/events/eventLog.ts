import type { Observable } from 'rxjs';
import type { EventCodec } from './codec.js';
import type { AnyEvent, Position, StoredEvent } from './envelope.js';
import type { SkippedEvents } from './skippedEvents.js';

/** Where an appended event landed. `written` is false when the log already held it. */
export interface AppendResult {
  readonly position: Position;
  readonly written: boolean;
}

/** A projection's state saved at a log position. */
export interface Snapshot {
  readonly position: Position;
  readonly state: Uint8Array;
}

/**
 * The append-only event log. Positions are 1, 2, 3, … in the one total order every reader and
 * every replay sees. Implementations: etcd (EtcdEventLog) and memory (MemoryEventLog), both held
 * to one contract test suite.
 */
export interface EventLog {
  /**
   * Appends events in order. Idempotent: an event whose cluster/id is already in the log (or
   * earlier in the same call) is not written again and gets the first one's position.
   */
  append(events: readonly AnyEvent[]): Promise<readonly AppendResult[]>;
  /** Events with from <= position <= to (to defaults to the head when the read starts), in order. */
  read(from?: Position, to?: Position): AsyncIterable<StoredEvent>;
  /**
   * Events from `from` on, then each new one as it is appended; never ends by itself. Survives
   * lost connections without losing or repeating an event; errors with LogCompactedError when
   * `from` was compacted away.
   */
  tail(from?: Position): Observable<StoredEvent>;
  /** The position of the last event (0n for an empty log). */
  head(): Promise<Position>;
  /** The first position still readable (positions before it were compacted). */
  firstPosition(): Promise<Position>;
  /** Saves a projection snapshot taken after folding every event up to `position`. */
  saveSnapshot(name: string, position: Position, state: Uint8Array): Promise<void>;
  /** The latest snapshot of that name at or before `atOrBefore` (default: the latest). */
  loadSnapshot(name: string, atOrBefore?: Position): Promise<Snapshot | undefined>;
  /** Drops events before `before`; reading them afterwards fails with LogCompactedError. */
  compact(before: Position): Promise<void>;
  /** The codec the log encodes and decodes events with (export files reuse it). */
  readonly codec: EventCodec;
  /** Events readers skipped because they could not be decoded. */
  readonly skipped: SkippedEvents;
  close(): Promise<void>;
}
