import type { Position } from '../events/envelope.js';
import type { ProjectionOptions } from '../projections/fold.js';
import type { History } from './history.js';
import { encodeProjection, projectionSnapshotName } from './projectionSnapshot.js';
import { foldForward, startingPoint } from './replayTo.js';

/** The default distance between two projection snapshots, in events. */
export const DEFAULT_SNAPSHOT_EVERY = 10_000;

export interface TakeSnapshotsOptions {
  readonly every?: number;
  readonly to?: Position;
  readonly options?: ProjectionOptions;
  readonly onProgress?: (folded: number, total: number) => void;
}

/**
 * Saves `node`'s projection every `every` positions (multiples of it) up to `to` (default the
 * head), starting from the latest usable snapshot: running it again only adds the missing ones.
 */
export async function takeSnapshots(
  history: History,
  node: string,
  take: TakeSnapshotsOptions = {},
): Promise<{ saved: Position[]; folded: number; bytes: number }> {
  const every = BigInt(take.every ?? DEFAULT_SNAPSHOT_EVERY);
  if (every <= 0n) throw new RangeError(`snapshot interval must be positive, got ${every}`);
  const head = await history.head();
  const to = take.to === undefined || take.to > head ? head : take.to;
  const projection = await startingPoint(history, node, to, take.options ?? {});
  const saved: Position[] = [];
  let folded = 0;
  let bytes = 0;
  const total = Number(to - projection.position);
  for (let next = (projection.position / every + 1n) * every; next <= to; next += every) {
    folded += await foldForward(history, projection, next, {
      onProgress: (n) => take.onProgress?.(folded + n, total),
    });
    const state = encodeProjection(projection, take.options ?? {});
    await history.snapshots.save(projectionSnapshotName(node), next, state);
    saved.push(next);
    bytes += state.byteLength;
  }
  return { saved, folded, bytes };
}
