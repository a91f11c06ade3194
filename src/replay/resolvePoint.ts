import type { Position } from '../events/envelope.js';
import { eventAt, type History } from './history.js';

/** A History that can map a time to a position itself (an indexed file does). */
type TimedHistory = History & { positionAtTime?: (ms: number) => Promise<Position> };

/**
 * The last position appended at or before `ms` (0n when the log starts later): a binary search
 * over the events' append times, which grow with the position (one writer commits at a time).
 */
export async function positionAtTime(history: TimedHistory, ms: number): Promise<Position> {
  if (history.positionAtTime) return history.positionAtTime(ms);
  let lo = await history.first();
  let hi = await history.head();
  if (hi < lo) return 0n;
  const first = await eventAt(history, lo);
  if (first === undefined || first.appendedAtMs > ms) return lo - 1n;
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    const e = await eventAt(history, mid);
    if (e !== undefined && e.appendedAtMs <= ms) lo = mid;
    else hi = mid - 1n;
  }
  return lo;
}

/**
 * A point of the log from the command line: a position (`1234`), `head`, or an RFC 3339 time
 * (`2026-11-22T03:12:00Z`: the state right after the last event appended by then).
 */
export async function resolvePoint(history: History, spec: string): Promise<Position> {
  if (/^\d+$/.test(spec)) return BigInt(spec);
  if (spec === 'head') return history.head();
  const ms = Date.parse(spec);
  if (!/^\d{4}-\d\d-\d\dT/.test(spec) || Number.isNaN(ms))
    throw new Error(
      `not a log position or RFC 3339 time: ${JSON.stringify(spec)} (e.g. 1234 or 2026-11-22T03:12:00Z)`,
    );
  return positionAtTime(history, ms);
}
