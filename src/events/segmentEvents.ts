import type { EventCodec } from './codec.js';
import type { Position, StoredEvent } from './envelope.js';
import { decodeSegment } from './segment.js';
import type { SkippedEvents } from './skippedEvents.js';

/**
 * The events of one stored segment whose first event has position `first`, decoded; events that
 * do not decode are reported to `skipped` with their key and position, and left out.
 * `count` is how many positions the segment spans when known (a segment too damaged to read
 * still accounts for its positions).
 */
export async function segmentEvents(
  codec: EventCodec,
  key: string,
  first: Position,
  bytes: Buffer,
  skipped: SkippedEvents,
): Promise<StoredEvent[]> {
  const decoded = decodeSegment(codec.schemas, bytes);
  if (!decoded.ok) {
    skipped.report({ key, position: first, reason: decoded.reason });
    return [];
  }
  const { appendedAtMs, events } = decoded.segment;
  const out: StoredEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const position = first + BigInt(i);
    const bytesOfEvent = events[i]!;
    let result = codec.decodeKnown(bytesOfEvent, position, appendedAtMs);
    if (!result.ok && result.missingSchemas.length > 0)
      result = await codec.decode(bytesOfEvent, position, appendedAtMs);
    if (result.ok) out.push(result.event);
    else skipped.report({ key, position, reason: result.reason });
  }
  return out;
}
