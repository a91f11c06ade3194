import type { Position, StoredEvent } from '../events/envelope.js';
import type { MapEntry } from '../maps/delta.js';
import { diffDesiredMaps, mapKeyId } from '../maps/keys.js';
import type { MapName } from '../maps/model.js';
import { EntryTracker } from './entryTracker.js';
import type { History } from './history.js';
import { foldForward, type ReplayOptions, replayTo } from './replayTo.js';

/** One map entry that differs between two points, with the events that changed it in between. */
export interface EntryChange {
  readonly map: MapName;
  readonly id: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly before: MapEntry<MapName> | undefined;
  readonly after: MapEntry<MapName> | undefined;
  /** Every event in (from, to] that changed this entry, in log order. */
  readonly causes: readonly StoredEvent[];
}

export interface PointsDiff {
  readonly node: string;
  readonly from: Position;
  readonly to: Position;
  readonly changes: readonly EntryChange[];
  /** Events folded between the two points. */
  readonly events: number;
}

/**
 * The entries of `node`'s desired maps added, removed and changed between right after `from` and
 * right after `to`, each with the events that caused it: state(from) replayed (from a snapshot),
 * then every event up to `to` folded while watching which entries it really changes.
 */
export async function diffPoints(
  history: History,
  node: string,
  from: Position,
  to: Position,
  replay: Pick<ReplayOptions, 'options' | 'useSnapshots' | 'onProgress'> = {},
): Promise<PointsDiff> {
  if (to < from) throw new RangeError(`diff --to ${to} is before --from ${from}`);
  const start = await replayTo(history, node, from, replay);
  const before = start.projection.desired();
  const tracker = new EntryTracker(before);
  const causes = new Map<string, StoredEvent[]>();
  const events = await foldForward(history, start.projection, to, {
    ...(replay.onProgress ? { onProgress: replay.onProgress } : {}),
    onStep: (event, step) => {
      for (const t of tracker.apply(event, step.deltas)) {
        const k = `${t.map} ${t.id}`;
        const list = causes.get(k);
        if (list === undefined) causes.set(k, [event]);
        else if (list[list.length - 1] !== event) list.push(event);
      }
    },
  });
  const changes: EntryChange[] = [];
  for (const delta of diffDesiredMaps(before, tracker.current)) {
    const id = mapKeyId(delta.map, delta.key as never);
    const was = (before[delta.map] as ReadonlyMap<string, MapEntry<MapName>>).get(id);
    const now = (tracker.current[delta.map] as ReadonlyMap<string, MapEntry<MapName>>).get(id);
    changes.push({
      map: delta.map,
      id,
      change: was === undefined ? 'added' : now === undefined ? 'removed' : 'changed',
      before: was,
      after: now,
      causes: causes.get(`${delta.map} ${id}`) ?? [],
    });
  }
  return { node, from: start.position, to: start.position + BigInt(events), changes, events };
}
