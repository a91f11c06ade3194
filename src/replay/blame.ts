import type { Position, StoredEvent } from '../events/envelope.js';
import type { DesiredMaps, MapEntry } from '../maps/delta.js';
import type { MapName } from '../maps/model.js';
import { nodeProjection } from '../projections/nodeFolds.js';
import type { NodeProjection } from '../projections/nodeProjection.js';
import { EntryTracker } from './entryTracker.js';
import type { History } from './history.js';
import { decodeProjection, projectionSnapshotName } from './projectionSnapshot.js';
import { foldForward, type ReplayOptions } from './replayTo.js';

/** Which entries a blame is about: one key, or a set (a Service's frontend: every slot and scope). */
export type EntryMatcher = (map: MapName, id: string) => boolean;

/** One link of a blame chain: an event and what it did to the entry. */
export interface BlameLink {
  readonly event: StoredEvent;
  readonly map: MapName;
  readonly id: string;
  readonly change: 'created' | 'changed' | 'deleted';
  readonly before: MapEntry<MapName> | undefined;
  readonly after: MapEntry<MapName> | undefined;
}

export interface Blame {
  readonly at: Position;
  /** The matched entries' values right after `at`. */
  readonly entries: readonly { map: MapName; id: string; entry: MapEntry<MapName> }[];
  /**
   * For each matched entry: the events that changed it since it was last created (and, for an
   * entry gone at `at`, up to its deletion), merged in log order.
   */
  readonly chain: readonly BlameLink[];
  /** Position folding started from (a snapshot where no matched entry existed, or 0). */
  readonly searchedFrom: Position;
}

function matching(
  maps: DesiredMaps,
  match: EntryMatcher,
): { map: MapName; id: string; entry: MapEntry<MapName> }[] {
  const out: { map: MapName; id: string; entry: MapEntry<MapName> }[] = [];
  for (const map of Object.keys(maps) as MapName[]) {
    for (const [id, entry] of maps[map] as ReadonlyMap<string, MapEntry<MapName>>)
      if (match(map, id)) out.push({ map, id, entry });
  }
  return out;
}

/**
 * A starting point where none of the matched entries exists: every event that changed them since
 * their last creation comes after it. Snapshots are tried latest first; the log's start always works.
 */
async function cleanStart(
  history: History,
  node: string,
  at: Position,
  match: EntryMatcher,
  replay: Pick<ReplayOptions, 'options' | 'useSnapshots'>,
): Promise<NodeProjection> {
  const options = replay.options ?? {};
  if (replay.useSnapshots !== false) {
    let bound = at;
    while (bound > 0n) {
      const snap = await history.snapshots.load(projectionSnapshotName(node), bound);
      if (snap === undefined) break;
      bound = snap.position - 1n;
      const restored = decodeProjection(snap.state, node, options);
      if (typeof restored === 'string') continue;
      if (matching(restored.desired(), match).length === 0) return restored;
    }
  }
  return nodeProjection(node, options);
}

/** The chain of events that produced the matched entries' values right after `at`. */
export async function blame(
  history: History,
  node: string,
  at: Position,
  match: EntryMatcher,
  replay: Pick<ReplayOptions, 'options' | 'useSnapshots' | 'onProgress'> = {},
): Promise<Blame> {
  const head = await history.head();
  const target = at > head ? head : at;
  const projection = await cleanStart(history, node, target, match, replay);
  const searchedFrom = projection.position;
  const tracker = new EntryTracker(projection.desired());
  const chains = new Map<string, BlameLink[]>();
  await foldForward(history, projection, target, {
    ...(replay.onProgress ? { onProgress: replay.onProgress } : {}),
    onStep: (event, step) => {
      for (const t of tracker.apply(event, step.deltas)) {
        if (!match(t.map, t.id)) continue;
        const k = `${t.map} ${t.id}`;
        const change = t.before === undefined ? 'created' : t.after === undefined ? 'deleted' : 'changed';
        const link: BlameLink = { event, map: t.map, id: t.id, change, before: t.before, after: t.after };
        if (change === 'created') chains.set(k, [link]);
        else chains.get(k)?.push(link);
      }
    },
  });
  const chain = [...chains.values()]
    .flat()
    .sort((a, b) => (a.event.position < b.event.position ? -1 : a.event.position > b.event.position ? 1 : 0));
  return { at: target, entries: matching(tracker.current, match), chain, searchedFrom };
}
