import type { Position, StoredEvent } from '../events/envelope.js';
import { type EntryTouch, EntryTracker } from './entryTracker.js';
import type { History } from './history.js';
import { foldForward, type ReplayOptions, replayTo } from './replayTo.js';
import { positionAtTime } from './resolvePoint.js';

/** The positions of a time window: events appended in [sinceMs, untilMs]. */
export async function windowPositions(
  history: History,
  sinceMs: number,
  untilMs: number,
): Promise<{ from: Position; to: Position }> {
  const before = await positionAtTime(history, sinceMs - 1);
  const to = await positionAtTime(history, untilMs);
  return { from: before + 1n, to };
}

/** What each event of (after, to] changed in `node`'s maps (events that changed nothing are absent). */
export async function changesByEvent(
  history: History,
  node: string,
  after: Position,
  to: Position,
  replay: Pick<ReplayOptions, 'options' | 'onProgress'> = {},
): Promise<Map<Position, { event: StoredEvent; touches: EntryTouch[] }>> {
  const start = await replayTo(history, node, after, replay.options ? { options: replay.options } : {});
  const tracker = new EntryTracker(start.projection.desired());
  const out = new Map<Position, { event: StoredEvent; touches: EntryTouch[] }>();
  await foldForward(history, start.projection, to, {
    ...(replay.onProgress ? { onProgress: replay.onProgress } : {}),
    onStep: (event, step) => {
      const touches = tracker.apply(event, step.deltas);
      if (touches.length > 0) out.set(event.position, { event, touches });
    },
  });
  return out;
}

/** The object an event is about: kind, namespace and name. */
export function subjectOf(event: StoredEvent): { kind: string; namespace: string | null; name: string } {
  const p = event.payload as unknown as Record<string, unknown>;
  const kind = event.type.replace(/(Upserted|Deleted|Added|Recorded|Annotated)$/, '');
  if (event.type === 'CniAdded' || event.type === 'CniDeleted')
    return {
      kind,
      namespace: (p.podNamespace as string | null) ?? null,
      name: (p.podName as string | null) ?? String(p.containerId).slice(0, 12),
    };
  if (event.type === 'NamespaceUpserted' || event.type === 'NamespaceDeleted')
    return { kind, namespace: String(p.name), name: String(p.name) };
  if (event.type === 'OperatorAnnotated') return { kind, namespace: null, name: String(p.subject) };
  return { kind, namespace: (p.namespace as string | undefined) ?? null, name: String(p.name ?? '') };
}
