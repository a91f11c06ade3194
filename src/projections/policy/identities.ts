import type { Labels } from '../../events/payloads.js';
import type { CompiledPolicy, IpBlockPeer, Peer, SelectorPeer } from './compilePolicy.js';
import { cidrContains, parseCidr } from './ipv4.js';
import {
  addToIndex,
  type CidrIdentity,
  type LabelIdentity,
  type PolicyFoldState,
  removeFromIndex,
} from './policyState.js';

/** The labels of a namespace; a namespace the log has not described yet has none. */
export function namespaceLabelsOf(state: PolicyFoldState, namespace: string): Labels {
  return state.namespaceLabels.get(namespace) ?? {};
}

/** Whether a selector peer selects a label identity (namespaceSelector AND podSelector). */
export function selectorPeerMatches(peer: SelectorPeer, identity: LabelIdentity): boolean {
  const inNamespace =
    peer.namespaceSelector === null
      ? identity.namespace === peer.policy.namespace
      : peer.namespaceSelector(identity.namespaceLabels);
  return inNamespace && (peer.podSelector === null || peer.podSelector(identity.podLabels));
}

/** Whether an ipBlock peer selects a CIDR identity: inside its cidr and inside none of its holes. */
export function ipBlockPeerMatches(peer: IpBlockPeer, identity: CidrIdentity): boolean {
  return (
    cidrContains(peer.cidr, identity.cidr) && !peer.except.some((hole) => cidrContains(hole, identity.cidr))
  );
}

/** Namespace peers whose namespaceSelector matches `namespace` (cached until its labels change). */
export function namespacePeersMatching(state: PolicyFoldState, namespace: string): Set<SelectorPeer> {
  let matches = state.namespacePeerMatches.get(namespace);
  if (matches === undefined) {
    const labels = namespaceLabelsOf(state, namespace);
    matches = new Set([...state.namespacePeers].filter((peer) => peer.namespaceSelector!(labels)));
    state.namespacePeerMatches.set(namespace, matches);
  }
  return matches;
}

/** Marks a policy for a full recomputation of the endpoints it selects (it was just added). */
export function touchPolicy(state: PolicyFoldState, policy: CompiledPolicy): void {
  state.dirty.policies.add(policy);
}

/**
 * Marks what one identity means to a policy as changed (a peer started or stopped selecting
 * it, or its named ports changed): only that identity's entries of the endpoints the policy
 * selects are recomputed, so a new identity costs O(its entries), not O(every entry).
 */
export function touchPolicyIdentity(state: PolicyFoldState, policy: CompiledPolicy, identity: number): void {
  let ids = state.dirty.policyIdentities.get(policy);
  if (ids === undefined) {
    ids = new Set();
    state.dirty.policyIdentities.set(policy, ids);
  }
  ids.add(identity);
}

function select(state: PolicyFoldState, peer: Peer, identity: LabelIdentity | CidrIdentity): void {
  peer.selected.add(identity.id);
  identity.selectedBy.add(peer);
  touchPolicyIdentity(state, peer.policy, identity.id);
}

/**
 * Adds `podKey` to the identity of `key`, allocating the identity (the smallest free number)
 * and offering it to the peers that could select it — only those of its namespace and the
 * namespace peers matching it, not every policy.
 */
export function acquireLabelIdentity(
  state: PolicyFoldState,
  key: string,
  namespace: string,
  podLabels: Labels,
  podKey: string,
): LabelIdentity {
  let identity = state.identitiesByKey.get(key);
  if (identity === undefined) {
    identity = {
      kind: 'labels',
      id: state.labelIds.allocate(),
      key,
      namespace,
      namespaceLabels: namespaceLabelsOf(state, namespace),
      podLabels,
      pods: new Set(),
      selectedBy: new Set(),
    };
    state.identitiesByKey.set(key, identity);
    state.identitiesById.set(identity.id, identity);
    addToIndex(state.identitiesByNamespace, namespace, identity);
    for (const peer of state.localPeersByNamespace.get(namespace) ?? []) {
      if (selectorPeerMatches(peer, identity)) select(state, peer, identity);
    }
    for (const peer of namespacePeersMatching(state, namespace)) {
      if (selectorPeerMatches(peer, identity)) select(state, peer, identity);
    }
  }
  identity.pods.add(podKey);
  return identity;
}

/** Removes `podKey` from an identity; the last pod out frees the number and its selections. */
export function releaseLabelIdentity(state: PolicyFoldState, identity: LabelIdentity, podKey: string): void {
  identity.pods.delete(podKey);
  if (identity.pods.size > 0) return;
  for (const peer of identity.selectedBy) {
    peer.selected.delete(identity.id);
    touchPolicyIdentity(state, peer.policy, identity.id);
  }
  state.identitiesByKey.delete(identity.key);
  state.identitiesById.delete(identity.id);
  removeFromIndex(state.identitiesByNamespace, identity.namespace, identity);
  state.labelIds.release(identity.id);
}

/** Takes a reference on the CIDR identity of `text` (canonical), creating it and its ipcache claim. */
export function acquireCidrIdentity(state: PolicyFoldState, text: string): void {
  const existing = state.cidrs.get(text);
  if (existing !== undefined) {
    existing.refs++;
    return;
  }
  const identity: CidrIdentity = {
    kind: 'cidr',
    id: state.cidrIds.allocate(),
    cidr: parseCidr(text)!,
    text,
    refs: 1,
    selectedBy: new Set(),
  };
  state.cidrs.set(text, identity);
  state.cidrsById.set(identity.id, identity);
  claimsOf(state, text).cidr = identity;
  state.dirty.ipcache.add(text);
  // A new prefix may fall inside blocks already known: they select it unless it is a hole.
  for (const peer of state.ipBlockPeers) {
    if (ipBlockPeerMatches(peer, identity)) select(state, peer, identity);
  }
}

/** Drops a reference on a CIDR identity; the last one frees the number and the ipcache claim. */
export function releaseCidrIdentity(state: PolicyFoldState, text: string): void {
  const identity = state.cidrs.get(text);
  if (identity === undefined || --identity.refs > 0) return;
  for (const peer of identity.selectedBy) {
    peer.selected.delete(identity.id);
    touchPolicyIdentity(state, peer.policy, identity.id);
  }
  state.cidrs.delete(text);
  state.cidrsById.delete(identity.id);
  const claims = claimsOf(state, text);
  claims.cidr = null;
  state.dirty.ipcache.add(text);
  state.cidrIds.release(identity.id);
}

/** The claims on an ipcache prefix, created empty when absent. */
export function claimsOf(state: PolicyFoldState, prefix: string) {
  let claims = state.ipClaims.get(prefix);
  if (claims === undefined) {
    claims = { nodes: new Set<string>(), pods: [], cidr: null };
    state.ipClaims.set(prefix, claims);
  }
  return claims;
}

/**
 * Updates the named-port index for one identity: `name/proto` → port counts. The entries of
 * egress rules on named ports depend on it, so when its set of ports changes their policies
 * are marked for recomputation.
 */
export function changeNamedPorts(
  state: PolicyFoldState,
  identity: LabelIdentity,
  ports: readonly (readonly [string, number])[],
  delta: 1 | -1,
): void {
  if (ports.length === 0) return;
  // Entries depend on which ports an identity has, not on how many pods have them: only a port
  // appearing or vanishing for the identity needs the policies recomputed. This is what keeps
  // scaling a deployment (pods joining an existing identity) O(1).
  let changed = false;
  for (const [name, port] of ports) {
    let byIdentity = state.namedPorts.get(name);
    if (byIdentity === undefined) {
      byIdentity = new Map();
      state.namedPorts.set(name, byIdentity);
    }
    let counts = byIdentity.get(identity.id);
    if (counts === undefined) {
      counts = new Map();
      byIdentity.set(identity.id, counts);
    }
    const count = (counts.get(port) ?? 0) + delta;
    if (count > 0) counts.set(port, count);
    else counts.delete(port);
    if (count === 0 || (count === 1 && delta === 1)) changed = true;
    if (counts.size === 0) byIdentity.delete(identity.id);
    if (byIdentity.size === 0) state.namedPorts.delete(name);
  }
  if (!changed) return;
  for (const peer of identity.selectedBy) {
    if (peer.policy.egressNamedPorts) touchPolicyIdentity(state, peer.policy, identity.id);
  }
  for (const policy of state.anyPeerNamedPolicies) touchPolicyIdentity(state, policy, identity.id);
}
