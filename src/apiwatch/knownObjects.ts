import type { AnyEvent } from '../events/envelope.js';
import { FOLLOWED_KINDS, type FollowedKind } from './objectEvents.js';

/** What the log says about one object: where it is and the version last recorded. */
export interface KnownObject {
  readonly namespace: string | null;
  readonly name: string;
  readonly resourceVersion: string | null;
}

/** What the log holds about one kind of one cluster. */
export interface KindState {
  /** Objects whose last event is an upsert, by uid. */
  readonly objects: Map<string, KnownObject>;
  /** Uids whose delete is recorded: a replayed older upsert of them is stale. */
  readonly deleted: Set<string>;
  /** The newest resourceVersion of any recorded event: where a watch resumes. */
  resourceVersion: string | undefined;
}

/**
 * apiwatch's own view of the log: for each followed kind of one cluster, the objects that exist
 * and their last recorded version. Folded from the log at start, then kept up to date as events
 * are appended, so a restart resumes where the log ends and a re-list knows what vanished.
 */
export type KnownObjects = Map<FollowedKind, KindState>;

export function emptyKnownObjects(): KnownObjects {
  return new Map(FOLLOWED_KINDS.map((kind) => [kind, emptyKindState()]));
}

export function emptyKindState(): KindState {
  return { objects: new Map(), deleted: new Set(), resourceVersion: undefined };
}

const UPSERTED = new Map<string, FollowedKind>(FOLLOWED_KINDS.map((k) => [`${k}Upserted`, k]));
const DELETED = new Map<string, FollowedKind>(FOLLOWED_KINDS.map((k) => [`${k}Deleted`, k]));

/**
 * Folds one event into `state` (mutated and returned). Only apiwatch events of `cluster` count;
 * every other event is ignored.
 */
export function foldKnownObjects(state: KnownObjects, event: AnyEvent, cluster: string): KnownObjects {
  if (event.source !== 'apiwatch' || event.cluster !== cluster) return state;
  const upserted = UPSERTED.get(event.type);
  const deleted = DELETED.get(event.type);
  const kind = upserted ?? deleted;
  if (kind === undefined) return state;
  const s = state.get(kind) ?? emptyKindState();
  state.set(kind, s);
  const p = event.payload as {
    namespace?: string;
    name: string;
    uid: string;
    resourceVersion: string | null;
  };
  if (upserted)
    recordUpsert(s, p.uid, {
      namespace: p.namespace ?? null,
      name: p.name,
      resourceVersion: p.resourceVersion,
    });
  else recordDelete(s, p.uid, p.resourceVersion);
  return state;
}

/** Records that `uid` now is at `object.resourceVersion`. */
export function recordUpsert(s: KindState, uid: string, object: KnownObject): void {
  if (s.deleted.has(uid)) return;
  const known = s.objects.get(uid);
  if (known && !isNewerVersion(object.resourceVersion, known.resourceVersion)) return;
  s.objects.set(uid, object);
  advance(s, object.resourceVersion);
}

/** Records that `uid` was deleted (at `resourceVersion`, when known). */
export function recordDelete(s: KindState, uid: string, resourceVersion: string | null): void {
  s.objects.delete(uid);
  s.deleted.add(uid);
  advance(s, resourceVersion);
}

/** Moves the resume point forward (never back) to `resourceVersion`. */
export function advance(s: KindState, resourceVersion: string | null | undefined): void {
  if (resourceVersion && isNewerVersion(resourceVersion, s.resourceVersion ?? null)) {
    s.resourceVersion = resourceVersion;
  }
}

/**
 * Whether version `a` is newer than `b`. Built-in kinds on etcd have integer resourceVersions
 * (etcd revisions), compared as numbers; anything else counts as newer whenever it differs.
 */
export function isNewerVersion(a: string | null, b: string | null): boolean {
  if (a === null) return false;
  if (b === null) return true;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}
