import type { ServiceUpserted } from '../../events/payloads.js';
import type { MapEntry } from '../../maps/delta.js';
import { mapKeyId } from '../../maps/keys.js';
import type {
  BackendState,
  MaglevValue,
  MapName,
  RevNatValue,
  ServiceSlot,
  ServiceValue,
} from '../../maps/model.js';
import type { CompactSlice } from './compactSlice.js';
import { collectCandidates, type PortBackends, type Selected, selectBackends } from './endpoints.js';
import type { FoldContext } from './foldContext.js';
import { type Frontend, serviceFrontends } from './frontends.js';
import { memoMaglev } from './maglevMemo.js';
import type { MaglevMemo, ServiceRecord, ServicesState } from './servicesState.js';
import { nextSlotOrder } from './slotOrder.js';
import { trafficScopes } from './trafficScopes.js';

/** Kubernetes' default ClientIP affinity timeout (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SEC = 10800;

/** The ClientIP affinity timeout: the given one if valid (1..86400 s, as the API validates), else the default. */
function affinityTimeout(spec: ServiceUpserted, rejected: string[]): number {
  const t = spec.sessionAffinityTimeoutSeconds;
  if (t === null) return DEFAULT_AFFINITY_TIMEOUT_SEC;
  if (Number.isInteger(t) && t >= 1 && t <= 86400) return t;
  rejected.push(
    `Service ${spec.namespace}/${spec.name}: sessionAffinity timeout ${t} out of range 1..86400; using ${DEFAULT_AFFINITY_TIMEOUT_SEC}`,
  );
  return DEFAULT_AFFINITY_TIMEOUT_SEC;
}

/** A new, empty record for a Service. */
export function emptyServiceRecord(): ServiceRecord {
  return {
    spec: null,
    claims: new Set(),
    refs: new Map(),
    orders: new Map(),
    maglev: null,
    services: [],
    revNat: [],
    maglevEntries: [],
  };
}

function claim(state: ServicesState, ctx: FoldContext, svc: string, f: Frontend): void {
  const c = state.frontends.get(f.id);
  if (c === undefined)
    state.frontends.set(f.id, { owner: svc, waiting: [], revNatId: state.revNatIds.allocate() });
  else if (c.owner !== svc && !c.waiting.includes(svc)) {
    c.waiting.push(svc);
    ctx.rejected.push(
      `Service ${svc}: frontend ${f.id} is already served by Service ${c.owner}; waiting for it`,
    );
  }
}

/** Drops `svc`'s claim on a frontend; the first waiting Service takes it over (and is reconciled). */
function unclaim(state: ServicesState, ctx: FoldContext, svc: string, id: string): void {
  const c = state.frontends.get(id);
  if (c === undefined) return;
  if (c.owner !== svc) {
    const i = c.waiting.indexOf(svc);
    if (i >= 0) c.waiting.splice(i, 1);
    return;
  }
  const next = c.waiting.shift();
  if (next === undefined) {
    state.frontends.delete(id);
    state.revNatIds.release(c.revNatId);
  } else {
    c.owner = next;
    ctx.dirty.add(next);
  }
}

function slicesOf(state: ServicesState, svc: string): CompactSlice[] {
  const keys = [...(state.slicesByService.get(svc) ?? [])].sort();
  return keys.map((k) => state.slices.get(k)!.slice);
}

/** Takes a reference on a backend (allocating its id on first use) and returns the id. */
function acquire(state: ServicesState, ctx: FoldContext, b: Selected, old: BackendState | undefined): number {
  let ref = state.backends.get(b.key);
  if (ref === undefined) {
    ref = {
      id: state.backendIds.allocate(),
      address: b.address,
      port: b.port,
      proto: b.proto,
      active: 0,
      terminating: 0,
      emitted: null,
    };
    state.backends.set(b.key, ref);
  }
  if (old !== b.state) {
    ref[b.state === 'active' ? 'active' : 'terminating']++;
    ctx.touched.add(b.key);
  }
  return ref.id;
}

/** Field-wise equality of two values of `map` (no allocation: this runs for every entry of a reconcile). */
function sameValue(map: MapName, a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (map === 'maglev') {
    const x = (a as MaglevValue).backendIds;
    const y = (b as MaglevValue).backendIds;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (map === 'revNat') {
    const x = a as RevNatValue;
    const y = b as RevNatValue;
    return x.address === y.address && x.port === y.port;
  }
  const x = a as ServiceValue;
  const y = b as ServiceValue;
  if (x.kind === 'slot' || y.kind === 'slot')
    return (
      x.kind === y.kind &&
      x.revNatId === y.revNatId &&
      (x as ServiceSlot).backendId === (y as ServiceSlot).backendId
    );
  return (
    x.count === y.count &&
    x.revNatId === y.revNatId &&
    x.flags === y.flags &&
    x.affinityTimeoutSec === y.affinityTimeoutSec
  );
}

function diffInto<M extends MapName>(
  ctx: FoldContext,
  map: M,
  before: readonly MapEntry<M>[],
  after: readonly MapEntry<M>[],
): void {
  if (before.length === 0 && after.length === 0) return;
  const old = new Map<string, MapEntry<M>>();
  for (const e of before) old.set(mapKeyId(map, e.key), e);
  for (const e of after) {
    const id = mapKeyId(map, e.key);
    const prev = old.get(id);
    if (prev === undefined)
      ctx.deltas.add({ map, op: 'upsert', key: e.key, value: e.value, created: true } as never, id);
    else {
      old.delete(id);
      if (!sameValue(map, prev.value, e.value))
        ctx.deltas.add({ map, op: 'upsert', key: e.key, value: e.value } as never, id);
    }
  }
  for (const [id, e] of old) ctx.deltas.add({ map, op: 'delete', key: e.key } as never, id);
}

/**
 * Recomputes everything one Service contributes to the maps (frontends, slots, rev-NAT, Maglev,
 * backend references) from its spec, its EndpointSlices and the node, and records the
 * difference with what it contributed before. Cost: O(this Service's frontends × backends +
 * Maglev table size); nothing else is visited. A record whose spec is null is torn down.
 */
export function reconcileService(state: ServicesState, ctx: FoldContext, svcKey: string): void {
  const rec = state.services.get(svcKey);
  if (rec === undefined) return;
  const spec = rec.spec;
  const specRejected = ctx.subject === svcKey ? ctx.rejected : [];
  const frontends = spec === null ? [] : serviceFrontends(spec, state.nodeAddresses, specRejected);
  const ids = new Set(frontends.map((f) => f.id));
  for (const id of rec.claims) if (!ids.has(id)) unclaim(state, ctx, svcKey, id);
  for (const f of frontends) claim(state, ctx, svcKey, f);
  rec.claims = ids;
  const owned = frontends.filter((f) => state.frontends.get(f.id)!.owner === svcKey);

  const slices = owned.length > 0 ? slicesOf(state, svcKey) : [];
  const perPort = new Map<string, PortBackends>();
  const backendsFor = (f: Frontend): PortBackends => {
    const k = `${f.portName}/${f.proto}`;
    let pb = perPort.get(k);
    if (pb === undefined) {
      pb = selectBackends(collectCandidates(slices, f.portName, f.proto, state.node), f.proto);
      perPort.set(k, pb);
    }
    return pb;
  };

  // Resolve each used (port, policy) list to backend ids in a stable slot order.
  const orders = new Map<string, string[]>();
  const refs = new Map<string, BackendState>();
  const idsByKey = new Map<string, number>();
  const orderOf = (f: Frontend, local: boolean): { key: string; order: string[] } => {
    const key = `${f.portName}/${f.proto}/${local ? 'local' : 'cluster'}`;
    let order = orders.get(key);
    if (order === undefined) {
      const list = local ? backendsFor(f).local : backendsFor(f).cluster;
      for (const b of list) {
        if (refs.has(b.key)) continue;
        refs.set(b.key, b.state);
        idsByKey.set(b.key, acquire(state, ctx, b, rec.refs.get(b.key)));
      }
      order = nextSlotOrder(
        rec.orders.get(key),
        list.map((b) => b.key),
      );
      orders.set(key, order);
    }
    return { key, order };
  };

  const services: MapEntry<'services'>[] = [];
  const revNat: MapEntry<'revNat'>[] = [];
  const maglevEntries: MapEntry<'maglev'>[] = [];
  let maglevMemo: Map<string, MaglevMemo> | null = null;
  const timeout = spec?.sessionAffinity === 'ClientIP' ? affinityTimeout(spec, specRejected) : 0;

  for (const f of owned) {
    const revNatId = state.frontends.get(f.id)!.revNatId;
    revNat.push({ key: { id: revNatId }, value: { address: f.address, port: f.port } });
    const scopes = trafficScopes(f, spec!);
    for (const { scope, local, flags } of scopes) {
      const { order } = orderOf(f, local);
      const at = (slot: number) => ({ address: f.address, port: f.port, proto: f.proto, slot, scope });
      services.push({
        key: at(0),
        value: { kind: 'master', count: order.length, revNatId, flags, affinityTimeoutSec: timeout },
      });
      for (let i = 0; i < order.length; i++)
        services.push({
          key: at(i + 1),
          value: { kind: 'slot', backendId: idsByKey.get(order[i]!)!, revNatId },
        });
    }
    // Maglev serves external traffic: built from the first (external) scope's backends.
    const ext = orderOf(f, scopes[0]!.local);
    if (!f.external || ext.order.length === 0) continue;
    maglevMemo ??= new Map();
    let memo = maglevMemo.get(ext.key);
    if (memo === undefined) {
      const members = ext.order.map((k) => ({ key: k, id: idsByKey.get(k)! }));
      memo = memoMaglev(members, state.maglevTableSize, rec.maglev?.get(ext.key));
      maglevMemo.set(ext.key, memo);
    }
    maglevEntries.push({ key: { revNatId }, value: { backendIds: memo.table } });
  }

  for (const [k, st] of rec.refs) if (refs.get(k) !== st) ctx.releases.push([k, st]);
  diffInto(ctx, 'services', rec.services, services);
  diffInto(ctx, 'revNat', rec.revNat, revNat);
  diffInto(ctx, 'maglev', rec.maglevEntries, maglevEntries);
  rec.refs = refs;
  rec.orders = orders;
  rec.maglev = maglevMemo;
  rec.services = services;
  rec.revNat = revNat;
  rec.maglevEntries = maglevEntries;
  if (spec === null) state.services.delete(svcKey);
}
