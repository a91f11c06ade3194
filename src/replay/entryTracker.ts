import type { StoredEvent } from '../events/envelope.js';
import type { DesiredMaps, MapDelta, MapEntry } from '../maps/delta.js';
import { cloneDesiredMaps, type MutableDesiredMaps, mapKeyId } from '../maps/keys.js';
import type { MapName } from '../maps/model.js';
import { sameValue } from '../maps/sameValue.js';

/** One real change of one map entry by one event (an upsert to the same value is not one). */
export interface EntryTouch {
  readonly map: MapName;
  readonly id: string;
  readonly before: MapEntry<MapName> | undefined;
  readonly after: MapEntry<MapName> | undefined;
  readonly event: StoredEvent;
}

/**
 * Follows the desired maps event by event from a starting state and reports each entry an
 * event really changed: what diff, blame and audit attribute changes with.
 */
export class EntryTracker {
  readonly current: MutableDesiredMaps;

  constructor(start: DesiredMaps) {
    this.current = cloneDesiredMaps(start);
  }

  /** Applies one event's deltas; returns the entries it changed. */
  apply(event: StoredEvent, deltas: readonly MapDelta[]): EntryTouch[] {
    const touches: EntryTouch[] = [];
    for (const d of deltas) {
      const id = mapKeyId(d.map, d.key as never);
      const target = this.current[d.map] as Map<string, MapEntry<MapName>>;
      const before = target.get(id);
      if (d.op === 'delete') {
        if (before === undefined) continue;
        target.delete(id);
        touches.push({ map: d.map, id, before, after: undefined, event });
        continue;
      }
      if (before !== undefined && sameValue(before.value, d.value)) continue;
      const after = { key: d.key, value: d.value } as MapEntry<MapName>;
      target.set(id, after);
      touches.push({ map: d.map, id, before, after, event });
    }
    return touches;
  }
}
