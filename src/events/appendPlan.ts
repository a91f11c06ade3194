import type { EventCodec } from './codec.js';
import type { AnyEvent } from './envelope.js';
import { OversizedEventError } from './errors.js';

/** etcd's limits that one append transaction must respect. */
export interface BatchLimits {
  /** Events per transaction: etcd allows 128 ops; one segment put and one head put leave 126. */
  readonly maxEventsPerBatch: number;
  /** Bytes of event data per transaction, under etcd's 1.5 MiB request limit with room for keys. */
  readonly maxBatchBytes: number;
}

export const ETCD_DEFAULT_LIMITS: BatchLimits = { maxEventsPerBatch: 126, maxBatchBytes: 1024 * 1024 };

/** An event ready to append: its idempotency key and its bytes. */
export interface EncodedEvent {
  /** The event's index key: cluster and id, unique in the log. */
  readonly indexKey: string;
  readonly bytes: Buffer;
}

export interface AppendPlan {
  /** Distinct events, in first-appearance order, split into batches within the limits. */
  readonly batches: readonly (readonly EncodedEvent[])[];
  /** For each input event, the index key whose position answers it (duplicates share one). */
  readonly keyOfInput: readonly string[];
}

/** The index key of an event: ids are unique within a cluster. */
export function indexKeyOf(event: AnyEvent): string {
  return `${event.cluster}/${event.id}`;
}

/**
 * Encodes events, drops repeats within the input (the first wins), and splits the rest into
 * batches. Throws InvalidEventError or OversizedEventError before anything is written.
 */
export function planAppend(events: readonly AnyEvent[], codec: EventCodec, limits: BatchLimits): AppendPlan {
  const seen = new Set<string>();
  const distinct: EncodedEvent[] = [];
  const keyOfInput: string[] = [];
  for (const event of events) {
    const indexKey = indexKeyOf(event);
    keyOfInput.push(indexKey);
    if (seen.has(indexKey)) continue;
    seen.add(indexKey);
    const bytes = codec.encode(event);
    const size = bytes.length + indexKey.length;
    if (size > limits.maxBatchBytes) throw new OversizedEventError(event.id, size, limits.maxBatchBytes);
    distinct.push({ indexKey, bytes });
  }
  return { batches: splitBatches(distinct, limits), keyOfInput };
}

/** Splits events into consecutive batches of at most maxEventsPerBatch events and maxBatchBytes bytes. */
export function splitBatches(events: readonly EncodedEvent[], limits: BatchLimits): EncodedEvent[][] {
  const batches: EncodedEvent[][] = [];
  let current: EncodedEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = event.bytes.length + event.indexKey.length;
    if (
      current.length > 0 &&
      (current.length >= limits.maxEventsPerBatch || bytes + size > limits.maxBatchBytes)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
