import type { MapDelta } from '../maps/delta.js';
import { mapKeyId } from '../maps/keys.js';
import type { FoldDelta } from './fold.js';

interface Net {
  /** The key did not exist before the first delta seen for it (its first delta created it). */
  readonly createdFirst: boolean;
  last: FoldDelta;
}

/**
 * Reduces a stream of deltas to the net change per key: the last delta wins, and a key that was
 * created and deleted again inside the span disappears entirely (no map work). Whether a key was
 * created is known from the `created` hint of its first upsert; without the hint a final delete
 * is kept, which is harmless (deleting a missing key succeeds).
 */
export class DeltaNetter {
  private readonly byKey = new Map<string, Net>();

  /** Adds one delta; `keyId` is `mapKeyId(delta.map, delta.key)` when the caller already has it. */
  add(delta: FoldDelta, keyId?: string): void {
    const id = `${delta.map}\u0000${keyId ?? mapKeyId(delta.map, delta.key as never)}`;
    const net = this.byKey.get(id);
    if (net === undefined)
      this.byKey.set(id, { createdFirst: delta.op === 'upsert' && delta.created === true, last: delta });
    else net.last = delta;
  }

  addAll(deltas: Iterable<FoldDelta>): void {
    for (const d of deltas) this.add(d);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The net deltas, in first-touch order; an upsert keeps `created` when its key is new to the span. */
  result(): FoldDelta[] {
    const out: FoldDelta[] = [];
    for (const { createdFirst, last } of this.byKey.values()) {
      if (last.op === 'delete') {
        if (!createdFirst) out.push(last);
      } else if (createdFirst !== (last.created === true)) {
        out.push(createdFirst ? { ...last, created: true } : stripCreated(last));
      } else out.push(last);
    }
    return out;
  }
}

/** The plain `MapDelta` of a fold delta (without the `created` hint). */
export function stripCreated(d: FoldDelta): MapDelta {
  if (d.created === undefined) return d;
  const { created: _created, ...rest } = d;
  return rest as MapDelta;
}
