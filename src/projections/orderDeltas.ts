import type { MapDelta } from '../maps/delta.js';

/**
 * Rank of a delta in the safe apply order. Growth goes bottom-up (backends and rev-NAT, then the
 * slots that name them, then the Maglev table, then the master entry that commits the count);
 * shrinking goes top-down (masters, then trailing slots, then tables, then the backends nobody
 * names any more). Policy allow entries go in before an endpoint starts enforcing and go out
 * after it stops, so a transition never drops traffic that both old and new state allow.
 */
function rank(d: MapDelta): number {
  const up = d.op === 'upsert';
  switch (d.map) {
    case 'backends':
    case 'revNat':
    case 'ipcache':
      return up ? 0 : 7;
    case 'services': {
      const master = d.key.slot === 0;
      if (up) return master ? 3 : 1;
      return master ? 4 : 5;
    }
    case 'policy':
      return up ? 1 : 5;
    case 'maglev':
      return up ? 2 : 6;
    case 'endpoints':
      return up ? 3 : 4;
  }
}

/**
 * The deltas of one batch (at most one per key) in the order a node agent can apply them one by
 * one without exposing a half-written service: backends before the slots that name them, slots
 * before the master that counts them, masters shrunk before trailing slots are deleted, and
 * backends deleted last. Stable: deltas of equal rank keep their relative order.
 */
export function orderDeltas(deltas: readonly MapDelta[]): MapDelta[] {
  return deltas
    .map((d, i) => ({ d, r: rank(d), i }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.d);
}
