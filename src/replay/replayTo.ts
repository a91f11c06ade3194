import type { Position, StoredEvent } from '../events/envelope.js';
import type { ProjectionOptions } from '../projections/fold.js';
import { nodeProjection } from '../projections/nodeFolds.js';
import type { FoldStep, NodeProjection } from '../projections/nodeProjection.js';
import type { History } from './history.js';
import { decodeProjection, projectionSnapshotName } from './projectionSnapshot.js';

export interface ReplayOptions {
  readonly options?: ProjectionOptions;
  /** Start from the nearest usable snapshot at or before the target (default true). */
  readonly useSnapshots?: boolean;
  /** Called every 1,000 events and at the end with (folded, total). */
  readonly onProgress?: (folded: number, total: number) => void;
  /** Called after each folded event with what it produced (diff and blame record here). */
  readonly onStep?: (event: StoredEvent, step: FoldStep, projection: NodeProjection) => void;
}

/** A projection brought to a position, and how it got there. */
export interface Replayed {
  readonly projection: NodeProjection;
  readonly position: Position;
  /** Position of the snapshot it started from (0n: folded from the start). */
  readonly snapshot: Position;
  readonly folded: number;
  /** Snapshots passed over, with why (another node's, other code...). */
  readonly skippedSnapshots: readonly string[];
}

/** The nearest usable snapshot at or before `at`, restored, or a fresh projection. */
export async function startingPoint(
  history: History,
  node: string,
  at: Position,
  options: ProjectionOptions = {},
  skipped: string[] = [],
): Promise<NodeProjection> {
  let bound = at;
  const name = projectionSnapshotName(node);
  while (bound > 0n) {
    const snap = await history.snapshots.load(name, bound);
    if (snap === undefined) break;
    const restored = decodeProjection(snap.state, node, options);
    if (typeof restored !== 'string') return restored;
    skipped.push(`${name}@${snap.position}: ${restored}`);
    bound = snap.position - 1n;
  }
  return nodeProjection(node, options);
}

/**
 * Folds `node`'s projection up to `at` (clamped to the head), starting from the nearest
 * snapshot at or before it: the node's desired maps as they were right after event `at`.
 */
export async function replayTo(
  history: History,
  node: string,
  at: Position,
  replay: ReplayOptions = {},
): Promise<Replayed> {
  const head = await history.head();
  const target = at > head ? head : at;
  const skipped: string[] = [];
  const projection =
    replay.useSnapshots === false
      ? nodeProjection(node, replay.options ?? {})
      : await startingPoint(history, node, target, replay.options ?? {}, skipped);
  const snapshot = projection.position;
  const folded = await foldForward(history, projection, target, replay);
  return { projection, position: target, snapshot, folded, skippedSnapshots: skipped };
}

/** Folds events after the projection's position up to `to` into it; returns how many. */
export async function foldForward(
  history: History,
  projection: NodeProjection,
  to: Position,
  replay: Pick<ReplayOptions, 'onProgress' | 'onStep'> = {},
): Promise<number> {
  const from = projection.position + 1n;
  if (to < from) return 0;
  const first = await history.first();
  if (from < first && projection.position === 0n && first > 1n)
    throw new Error(
      `${history.where}: positions before ${first} were compacted and no snapshot covers them; take snapshots before compacting`,
    );
  const total = Number(to - from + 1n);
  let folded = 0;
  for await (const event of history.read(from, to)) {
    const step = projection.apply(event);
    replay.onStep?.(event, step, projection);
    folded++;
    if (folded % 1000 === 0) replay.onProgress?.(folded, total);
  }
  replay.onProgress?.(folded, total);
  return folded;
}
