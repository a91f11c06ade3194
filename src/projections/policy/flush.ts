import { ENDPOINT_FLAGS, type EndpointValue, type PolicyKey, RESERVED_IDENTITY } from '../../maps/model.js';
import type { FoldDelta } from '../fold.js';
import { addHostEntries, endpointPolicy } from './endpointPolicy.js';
import { localEndpointFacts } from './localEndpoint.js';
import type { EndpointOut, PolicyFoldState } from './policyState.js';

const ISOLATED = ENDPOINT_FLAGS.ingressEnforced | ENDPOINT_FLAGS.egressEnforced;

/** Collects deltas by kind so they come out in a safe order (see `flush`). */
interface DeltaBuckets {
  readonly policyUpserts: FoldDelta[];
  readonly ipcacheUpserts: FoldDelta[];
  readonly endpointUpserts: FoldDelta[];
  readonly endpointDeletes: FoldDelta[];
  readonly ipcacheDeletes: FoldDelta[];
  readonly policyDeletes: FoldDelta[];
}

/**
 * Recomputes what the current apply marked dirty and returns the minimal deltas: one per map key
 * whose value changed, upserts of keys that did not exist marked `created` (for coalescing).
 * Order: policy entries are allowed before an identity or an enforcing flag starts to need
 * them, and removed only after nothing points at them any more.
 */
export function flush(state: PolicyFoldState): FoldDelta[] {
  const out: DeltaBuckets = {
    policyUpserts: [],
    ipcacheUpserts: [],
    endpointUpserts: [],
    endpointDeletes: [],
    ipcacheDeletes: [],
    policyDeletes: [],
  };
  const { dirty } = state;
  for (const policy of dirty.policies) for (const key of policy.selected) dirty.endpoints.add(key);
  const partial = new Map<string, Set<number>>();
  for (const [policy, ids] of dirty.policyIdentities) {
    for (const key of policy.selected) {
      if (dirty.endpoints.has(key)) continue;
      let pending = partial.get(key);
      if (pending === undefined) {
        pending = new Set();
        partial.set(key, pending);
      }
      for (const id of ids) pending.add(id);
    }
  }
  const releasedIds: number[] = [];
  for (const key of dirty.endpoints) flushEndpoint(state, key, out, releasedIds);
  for (const [key, ids] of partial) flushEndpointIdentities(state, key, ids, out);
  for (const ip of dirty.endpointIps) flushEndpointIp(state, ip, out);
  for (const prefix of dirty.ipcache) flushIpcache(state, prefix, out);
  // Freed only now, so no endpoint of this same flush reuses an id whose entries are going away.
  for (const id of releasedIds) state.endpointIds.release(id);
  dirty.policies.clear();
  dirty.policyIdentities.clear();
  dirty.endpoints.clear();
  dirty.endpointIps.clear();
  dirty.ipcache.clear();
  return [
    ...out.policyUpserts,
    ...out.ipcacheUpserts,
    ...out.endpointUpserts,
    ...out.endpointDeletes,
    ...out.ipcacheDeletes,
    ...out.policyDeletes,
  ];
}

function flushEndpoint(state: PolicyFoldState, key: string, out: DeltaBuckets, releasedIds: number[]): void {
  const before = state.endpointsOut.get(key);
  const facts = localEndpointFacts(state, key);
  if (facts === null) {
    if (before === undefined) return;
    diffEntries(before.entries, new Map(), out);
    for (const ip of before.ips) releaseEndpointIp(state, ip, key);
    state.endpointsOut.delete(key);
    releasedIds.push(before.endpointId);
    return;
  }
  const endpointId = before?.endpointId ?? state.endpointIds.allocate();
  const policy =
    facts.policies === null
      ? { flags: ISOLATED, entries: isolatedEntries(endpointId) }
      : endpointPolicy(state, endpointId, facts.policies, facts.containerPorts);
  diffEntries(before?.entries ?? new Map(), policy.entries, out);
  const byIdentity = new Map<number, Set<string>>();
  for (const [id, key] of policy.entries) addEntryId(byIdentity, key.identity, id);
  const value: EndpointValue = {
    endpointId,
    ifIndex: facts.ifIndex,
    identity: facts.identity,
    mac: facts.mac,
    flags: policy.flags,
  };
  const changed = before === undefined || !sameEndpointValue(before.value, value);
  for (const ip of before?.ips ?? []) if (!facts.ips.includes(ip)) releaseEndpointIp(state, ip, key);
  for (const ip of facts.ips) {
    const claimed = before?.ips.includes(ip) === true;
    if (!claimed) {
      let owners = state.endpointIpClaims.get(ip);
      if (owners === undefined) {
        owners = [];
        state.endpointIpClaims.set(ip, owners);
      }
      owners.push(key);
    }
    if (changed || !claimed) state.dirty.endpointIps.add(ip);
  }
  const next: EndpointOut = { endpointId, ips: facts.ips, value, entries: policy.entries, byIdentity };
  state.endpointsOut.set(key, next);
}

/**
 * Recomputes only the entries naming `identities` at one endpoint whose selection and own
 * ports did not change: what a peer identity appearing, vanishing or changing ports costs.
 */
function flushEndpointIdentities(
  state: PolicyFoldState,
  key: string,
  identities: Set<number>,
  out: DeltaBuckets,
) {
  const endpoint = state.endpointsOut.get(key);
  const policies = state.localPods.get(key);
  if (endpoint === undefined || policies === undefined) return;
  const containerPorts = state.pods.get(key)!.containerPorts;
  for (const identity of identities) {
    const after = endpointPolicy(state, endpoint.endpointId, policies, containerPorts, identity).entries;
    const ids = endpoint.byIdentity.get(identity);
    const before = new Map<string, PolicyKey>();
    for (const id of ids ?? []) before.set(id, endpoint.entries.get(id)!);
    diffEntries(before, after, out);
    for (const id of before.keys()) if (!after.has(id)) endpoint.entries.delete(id);
    for (const [id, entry] of after) endpoint.entries.set(id, entry);
    if (after.size === 0) endpoint.byIdentity.delete(identity);
    else endpoint.byIdentity.set(identity, new Set(after.keys()));
  }
}

function addEntryId(index: Map<number, Set<string>>, identity: number, id: string): void {
  let ids = index.get(identity);
  if (ids === undefined) {
    ids = new Set();
    index.set(identity, ids);
  }
  ids.add(id);
}

/** An endpoint whose pod is unknown allows only its own node (kubelet still has to reach it). */
function isolatedEntries(endpointId: number): Map<string, PolicyKey> {
  const entries = new Map<string, PolicyKey>();
  addHostEntries(endpointId, ISOLATED, entries);
  return entries;
}

function releaseEndpointIp(state: PolicyFoldState, ip: string, key: string): void {
  const owners = state.endpointIpClaims.get(ip);
  if (owners === undefined) return;
  owners.splice(owners.indexOf(key), 1);
  if (owners.length === 0) state.endpointIpClaims.delete(ip);
  state.dirty.endpointIps.add(ip);
}

function diffEntries(
  before: ReadonlyMap<string, PolicyKey>,
  after: ReadonlyMap<string, PolicyKey>,
  out: DeltaBuckets,
) {
  for (const [id, key] of after) {
    if (!before.has(id))
      out.policyUpserts.push({
        map: 'policy',
        op: 'upsert',
        key,
        value: { verdict: 'allow' },
        created: true,
      });
  }
  for (const [id, key] of before) {
    if (!after.has(id)) out.policyDeletes.push({ map: 'policy', op: 'delete', key });
  }
}

function sameEndpointValue(a: EndpointValue, b: EndpointValue): boolean {
  return (
    a.endpointId === b.endpointId &&
    a.ifIndex === b.ifIndex &&
    a.identity === b.identity &&
    a.mac === b.mac &&
    a.flags === b.flags
  );
}

/**
 * The first of some keys in code-unit order. Two claims on one address (a stale pod, an IP
 * reused before the old pod's delete arrived) are settled by key rather than by arrival, so
 * the maps are a function of the current objects alone: a snapshot replays to the same maps
 * as the log it summarises.
 */
function smallest(keys: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const key of keys) if (best === undefined || key < best) best = key;
  return best;
}

/** The endpoints map holds one endpoint per IP: the smallest endpoint key claiming it. */
function flushEndpointIp(state: PolicyFoldState, ip: string, out: DeltaBuckets): void {
  const owners = state.endpointIpClaims.get(ip);
  const owner = owners === undefined ? undefined : smallest(owners);
  const value = owner === undefined ? undefined : state.endpointsOut.get(owner)?.value;
  const before = state.endpointsMapOut.get(ip);
  if (value === undefined) {
    if (before === undefined) return;
    state.endpointsMapOut.delete(ip);
    out.endpointDeletes.push({ map: 'endpoints', op: 'delete', key: { ip } });
    return;
  }
  if (before !== undefined && sameEndpointValue(before, value)) return;
  state.endpointsMapOut.set(ip, value);
  out.endpointUpserts.push(
    before === undefined
      ? { map: 'endpoints', op: 'upsert', key: { ip }, value, created: true }
      : { map: 'endpoints', op: 'upsert', key: { ip }, value },
  );
}

/**
 * The identity of an ipcache prefix: a node's address is the host (this node) or remote-node;
 * else a pod's IP is its pod's identity (the smallest pod key if several claim it); else an
 * ipBlock prefix its CIDR identity.
 */
function resolveIpcache(state: PolicyFoldState, prefix: string): number | undefined {
  const claims = state.ipClaims.get(prefix);
  if (claims === undefined) return undefined;
  if (claims.nodes.size > 0)
    return claims.nodes.has(state.node) ? RESERVED_IDENTITY.host : RESERVED_IDENTITY.remoteNode;
  const pod = smallest(claims.pods);
  if (pod !== undefined) return state.podDerived.get(pod)?.identity?.id;
  if (claims.cidr !== null) return claims.cidr.id;
  state.ipClaims.delete(prefix);
  return undefined;
}

function flushIpcache(state: PolicyFoldState, prefix: string, out: DeltaBuckets): void {
  const identity = resolveIpcache(state, prefix);
  const before = state.ipcacheOut.get(prefix);
  if (identity === before) return;
  const key = { cidr: prefix };
  if (identity === undefined) {
    state.ipcacheOut.delete(prefix);
    out.ipcacheDeletes.push({ map: 'ipcache', op: 'delete', key });
  } else {
    state.ipcacheOut.set(prefix, identity);
    out.ipcacheUpserts.push(
      before === undefined
        ? { map: 'ipcache', op: 'upsert', key, value: { identity }, created: true }
        : { map: 'ipcache', op: 'upsert', key, value: { identity } },
    );
  }
}
