import type { Position, StoredEvent } from '../events/envelope.js';
import type { AuditRecorded } from '../events/payloads.js';
import type { History } from './history.js';

/** How far around an object event its audit record is looked for, in positions. */
const BEFORE = 200n;
const AFTER = 2_000n;

/**
 * The API server's audit record of each event's write, when apiwatch recorded one: the
 * AuditRecorded events whose causation names the event, searched near it in the log (the audit
 * webhook reports a write shortly before or after the watch delivers its object).
 */
export async function auditRecordsFor(
  history: History,
  events: readonly StoredEvent[],
): Promise<Map<string, AuditRecorded>> {
  const wanted = new Set(events.filter((e) => e.source === 'apiwatch').map((e) => e.id));
  const out = new Map<string, AuditRecorded>();
  if (wanted.size === 0) return out;
  const head = await history.head();
  const first = await history.first();
  const windows: [Position, Position][] = [];
  for (const p of [...new Set(events.map((e) => e.position))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const from = p - BEFORE < first ? first : p - BEFORE;
    const to = p + AFTER > head ? head : p + AFTER;
    const last = windows[windows.length - 1];
    if (last && from <= last[1] + 1n) last[1] = to > last[1] ? to : last[1];
    else windows.push([from, to]);
  }
  for (const [from, to] of windows) {
    for await (const e of history.read(from, to)) {
      if (e.type === 'AuditRecorded' && e.causation !== null && wanted.has(e.causation))
        out.set(e.causation, e.payload);
    }
  }
  return out;
}

/** Who made a change, for people: the audit user when known, else the actor and its manager. */
export function whoOf(event: StoredEvent, audit?: AuditRecorded): string {
  const actor = event.actor.manager ? `${event.actor.name} (${event.actor.manager})` : event.actor.name;
  if (audit === undefined) return actor;
  const user = audit.impersonatedUser ? `${audit.impersonatedUser} as ${audit.user}` : audit.user;
  return `${user} via ${actor}`;
}
