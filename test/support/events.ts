import type { AnyEvent } from '../../src/events/envelope.js';
import { makeEvent } from '../../src/samples/sampleEvents.js';

/** A small, distinct event: namespace `ns-<n>` at resourceVersion `rv`. */
export function namespaceEvent(n: number, rv = 1, labels: Record<string, string> = {}): AnyEvent {
  const uid = `uid-ns-${n}`;
  return makeEvent(
    'NamespaceUpserted',
    { name: `ns-${n}`, uid, resourceVersion: String(rv), labels },
    { id: `Namespace/${uid}/${rv}`, timeMs: 1_700_000_000_000 + n },
  );
}

/** `count` distinct events. */
export function namespaceEvents(count: number, offset = 0): AnyEvent[] {
  return Array.from({ length: count }, (_, i) => namespaceEvent(offset + i));
}

/** The ids of events, for comparing what a log holds. */
export const ids = (events: readonly { id: string }[]): string[] => events.map((e) => e.id);

/** Collects an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
