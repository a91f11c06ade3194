import type { Position } from './envelope.js';

/**
 * The etcd key layout of one log, under its prefix. Log keys sort in position order, so a range
 * read in key order is log order (no server-side sort over the prefix).
 *
 *   head                          last position written (decimal)
 *   compacted                     first readable position (decimal), after a compaction
 *   log/<16 hex first position>   a segment: the events of one append transaction
 *   idx/<cluster>/<event id>      position of that event (decimal): the idempotency guard
 *   schemas/<16 hex fingerprint>  a writer schema (JSON)
 *   snapmeta/<name>/<16 hex pos>  a snapshot's manifest; its chunks under snapdata/<name>/<pos>/
 */
export const LOG_KEYS = {
  head: 'head',
  compacted: 'compacted',
  logPrefix: 'log/',
  indexPrefix: 'idx/',
  schemaPrefix: 'schemas/',
} as const;

/** Events in one segment, at most: one etcd transaction holds 128 ops, two are not events. */
export const MAX_SEGMENT_EVENTS = 126;

export const hex16 = (position: Position): string => position.toString(16).padStart(16, '0');

export const segmentKey = (first: Position): string => `${LOG_KEYS.logPrefix}${hex16(first)}`;

export const indexKey = (eventIndexKey: string): string => `${LOG_KEYS.indexPrefix}${eventIndexKey}`;

/** The first position of a segment key, or undefined for a key that is not one. */
export function positionOfSegmentKey(key: string): Position | undefined {
  const hex = key.slice(LOG_KEYS.logPrefix.length);
  return /^[0-9a-f]{16}$/.test(hex) ? BigInt(`0x${hex}`) : undefined;
}

export const snapshotMetaPrefix = (name: string): string => `snapmeta/${encodeURIComponent(name)}/`;
export const snapshotDataPrefix = (name: string, position: Position): string =>
  `snapdata/${encodeURIComponent(name)}/${hex16(position)}/`;
