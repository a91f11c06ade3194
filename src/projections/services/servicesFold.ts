import type { AnyEvent } from '../../events/envelope.js';
import type {
  EndpointSliceUpserted,
  NamespacedDeleted,
  NodeUpserted,
  ServiceUpserted,
} from '../../events/payloads.js';
import type { DesiredMaps, MapEntry } from '../../maps/delta.js';
import { mapKeyId } from '../../maps/keys.js';
import type { FoldResult, MapFold } from '../fold.js';
import { DeltaNetter } from '../netDeltas.js';
import { DEFAULT_MAGLEV_TABLE_SIZE, type ProjectionOptions } from '../projectionOptions.js';
import { compactSlice } from './compactSlice.js';
import type { FoldContext } from './foldContext.js';
import { IdAllocator } from './idAllocator.js';
import { classifyAddress } from './ipv4.js';
import { isPrime } from './maglev.js';
import { emptyServiceRecord, reconcileService } from './reconcileService.js';
import type { ServicesState } from './servicesState.js';

const key = (namespace: string, name: string) => `${namespace}/${name}`;

function newContext(): FoldContext {
  return {
    deltas: new DeltaNetter(),
    rejected: [],
    subject: null,
    releases: [],
    touched: new Set(),
    dirty: new Set(),
  };
}

function onServiceUpserted(s: ServicesState, ctx: FoldContext, svc: ServiceUpserted): void {
  const k = key(svc.namespace, svc.name);
  let rec = s.services.get(k);
  if (rec === undefined) {
    rec = emptyServiceRecord();
    s.services.set(k, rec);
  }
  rec.spec = svc;
  ctx.subject = k;
  if (svc.ports.some((p) => p.nodePort !== null)) s.nodePortServices.add(k);
  else s.nodePortServices.delete(k);
  ctx.dirty.add(k);
}

function onServiceDeleted(s: ServicesState, ctx: FoldContext, d: NamespacedDeleted): void {
  const k = key(d.namespace, d.name);
  const rec = s.services.get(k);
  if (rec === undefined) return;
  if (d.uid !== '' && rec.spec !== null && rec.spec.uid !== d.uid) {
    ctx.rejected.push(
      `ServiceDeleted ${k}: uid ${d.uid} is not the current object's (${rec.spec.uid}); ignored`,
    );
    return;
  }
  rec.spec = null;
  s.nodePortServices.delete(k);
  ctx.dirty.add(k);
}

/** Moves a slice between the per-Service index entries and marks both Services for reconcile. */
function setSlice(
  s: ServicesState,
  ctx: FoldContext,
  sliceKey: string,
  slice: EndpointSliceUpserted | null,
): void {
  const old = s.slices.get(sliceKey);
  if (old?.service != null) {
    const set = s.slicesByService.get(old.service)!;
    set.delete(sliceKey);
    if (set.size === 0) s.slicesByService.delete(old.service);
    ctx.dirty.add(old.service);
  }
  if (slice === null) {
    s.slices.delete(sliceKey);
    return;
  }
  const svc = slice.serviceName === null ? null : key(slice.namespace, slice.serviceName);
  s.slices.set(sliceKey, { slice: compactSlice(slice, ctx.rejected), service: svc });
  if (svc !== null) {
    let set = s.slicesByService.get(svc);
    if (set === undefined) {
      set = new Set();
      s.slicesByService.set(svc, set);
    }
    set.add(sliceKey);
    ctx.dirty.add(svc);
  }
}

function onSliceDeleted(s: ServicesState, ctx: FoldContext, d: NamespacedDeleted): void {
  const k = key(d.namespace, d.name);
  const old = s.slices.get(k);
  if (old === undefined) return;
  if (d.uid !== '' && old.slice.uid !== d.uid) {
    ctx.rejected.push(
      `EndpointSliceDeleted ${k}: uid ${d.uid} is not the current object's (${old.slice.uid}); ignored`,
    );
    return;
  }
  setSlice(s, ctx, k, null);
}

/** This node's addresses changed: every Service with a nodePort, and only those, is reconciled. */
function setNodeAddresses(s: ServicesState, ctx: FoldContext, node: NodeUpserted | null): void {
  const addrs = new Set<string>();
  for (const a of node?.addresses ?? []) {
    if (a.type !== 'InternalIP' && a.type !== 'ExternalIP') continue;
    const c = classifyAddress(a.address);
    if (c.kind === 'ipv4') addrs.add(c.address);
    else if (c.kind === 'invalid')
      ctx.rejected.push(`Node ${s.node}: invalid ${a.type} ${JSON.stringify(a.address)}`);
  }
  const next = [...addrs].sort();
  if (next.join(',') === s.nodeAddresses.join(',')) return;
  s.nodeAddresses = next;
  for (const k of s.nodePortServices) ctx.dirty.add(k);
}

/** Applies the deferred backend releases, emits backend upserts/deletes, and frees ids. */
function commit(s: ServicesState, ctx: FoldContext): void {
  for (const [k, st] of ctx.releases) {
    s.backends.get(k)![st === 'active' ? 'active' : 'terminating']--;
    ctx.touched.add(k);
  }
  for (const k of ctx.touched) {
    const ref = s.backends.get(k);
    if (ref === undefined) continue;
    if (ref.active + ref.terminating === 0) {
      if (ref.emitted !== null) ctx.deltas.add({ map: 'backends', op: 'delete', key: { id: ref.id } });
      s.backends.delete(k);
      s.backendIds.release(ref.id);
      continue;
    }
    const state = ref.active > 0 ? 'active' : 'terminating';
    if (ref.emitted === state) continue;
    const created = ref.emitted === null;
    ref.emitted = state;
    ctx.deltas.add({
      map: 'backends',
      op: 'upsert',
      key: { id: ref.id },
      value: { address: ref.address, port: ref.port, proto: ref.proto, state },
      ...(created ? { created: true } : {}),
    });
  }
  s.backendIds.commit();
  s.revNatIds.commit();
}

function dispatch(s: ServicesState, ctx: FoldContext, event: AnyEvent): void {
  switch (event.type) {
    case 'ServiceUpserted':
      onServiceUpserted(s, ctx, event.payload);
      return;
    case 'ServiceDeleted':
      onServiceDeleted(s, ctx, event.payload);
      return;
    case 'EndpointSliceUpserted':
      setSlice(s, ctx, key(event.payload.namespace, event.payload.name), event.payload);
      return;
    case 'EndpointSliceDeleted':
      onSliceDeleted(s, ctx, event.payload);
      return;
    case 'NodeUpserted':
      if (event.payload.name === s.node) setNodeAddresses(s, ctx, event.payload);
      return;
    case 'NodeDeleted':
      if (event.payload.name === s.node) setNodeAddresses(s, ctx, null);
      return;
    default:
      return;
  }
}

/** A new, empty services state for `node`. */
export function initServicesState(node: string, options: ProjectionOptions = {}): ServicesState {
  const m = options.maglevTableSize ?? DEFAULT_MAGLEV_TABLE_SIZE;
  if (!isPrime(m)) throw new RangeError(`maglevTableSize must be a prime, got ${m}`);
  return {
    node,
    maglevTableSize: m,
    nodeAddresses: [],
    services: new Map(),
    slices: new Map(),
    slicesByService: new Map(),
    nodePortServices: new Set(),
    backends: new Map(),
    frontends: new Map(),
    // Id 0 means "none" in the datapath, so both start at 1.
    backendIds: new IdAllocator(1),
    revNatIds: new IdAllocator(1),
  };
}

/**
 * Folds one event into the services state (in place) and returns the net map deltas it causes.
 * Only the Services the event names (or, for this node's address change, the NodePort Services)
 * are reconciled.
 */
export function applyServicesEvent(s: ServicesState, event: AnyEvent): FoldResult<ServicesState> {
  const ctx = newContext();
  dispatch(s, ctx, event);
  // A reconcile may hand a frontend to a waiting Service, which is then reconciled in turn.
  while (ctx.dirty.size > 0) {
    const next = ctx.dirty.values().next().value as string;
    ctx.dirty.delete(next);
    reconcileService(s, ctx, next);
  }
  commit(s, ctx);
  const deltas = ctx.deltas.result();
  return ctx.rejected.length > 0 ? { state: s, deltas, rejected: ctx.rejected } : { state: s, deltas };
}

/** The full services, backends, revNat and maglev maps of the state (O(all entries): on demand only). */
export function servicesDesired(
  s: ServicesState,
): Pick<DesiredMaps, 'services' | 'backends' | 'revNat' | 'maglev'> {
  const services = new Map<string, MapEntry<'services'>>();
  const revNat = new Map<string, MapEntry<'revNat'>>();
  const maglev = new Map<string, MapEntry<'maglev'>>();
  const backends = new Map<string, MapEntry<'backends'>>();
  for (const rec of s.services.values()) {
    for (const e of rec.services) services.set(mapKeyId('services', e.key), e);
    for (const e of rec.revNat) revNat.set(mapKeyId('revNat', e.key), e);
    for (const e of rec.maglevEntries) maglev.set(mapKeyId('maglev', e.key), e);
  }
  for (const ref of s.backends.values()) {
    if (ref.emitted === null) continue;
    const k = { id: ref.id };
    const value = { address: ref.address, port: ref.port, proto: ref.proto, state: ref.emitted };
    backends.set(mapKeyId('backends', k), { key: k, value });
  }
  return { services, backends, revNat, maglev };
}

/** The services / load-balancing projection: services, backends, revNat and maglev maps of one node. */
export const servicesFold: MapFold<ServicesState> = {
  name: 'services',
  init: initServicesState,
  apply: applyServicesEvent,
  desired: servicesDesired,
};
