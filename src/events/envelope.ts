import type { EventPayloads, EventType } from './payloads.js';

/** A log position: the sequence number of an event, 1 for the first event of a log. */
export type Position = bigint;

export type EventSource = 'apiwatch' | 'cni' | 'operator' | 'remote';

/** Who made a change: a Kubernetes user or field manager, a node's CNI plugin, an operator. */
export interface Actor {
  readonly name: string;
  readonly manager: string | null;
  readonly operation: string | null;
  readonly userAgent: string | null;
  readonly timeMs: number | null;
}

/** An event as its source writes it. `id` is derived from what it records, so re-appending it is a no-op. */
export interface EventEnvelope<T extends EventType = EventType> {
  readonly id: string;
  readonly cluster: string;
  readonly source: EventSource;
  readonly actor: Actor;
  /** Wall time of the change at its source, epoch milliseconds. */
  readonly timeMs: number;
  /** Id of the event or request this event answers, if any. */
  readonly causation: string | null;
  readonly type: T;
  readonly payload: EventPayloads[T];
}

/** Any event, narrowed by its `type`. */
export type AnyEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

/** An event read back from the log. */
export type StoredEvent = AnyEvent & {
  readonly position: Position;
  /** When the log accepted the event, epoch milliseconds. */
  readonly appendedAtMs: number;
  /** Hex CRC-64-AVRO fingerprint of the payload's writer schema. */
  readonly schemaFingerprint: string;
};

/** An actor with only a name. */
export function actorNamed(name: string): Actor {
  return { name, manager: null, operation: null, userAgent: null, timeMs: null };
}
