import type { CompiledPolicy, Peer } from './compilePolicy.js';
import {
  acquireCidrIdentity,
  ipBlockPeerMatches,
  namespaceLabelsOf,
  releaseCidrIdentity,
  selectorPeerMatches,
  touchPolicy,
} from './identities.js';
import { addToIndex, type PolicyFoldState, removeFromIndex } from './policyState.js';

function peersOf(policy: CompiledPolicy): Peer[] {
  return [...(policy.ingress ?? []), ...(policy.egress ?? [])].flatMap((rule) => rule.peers);
}

/**
 * Adds a compiled policy: indexes it by namespace, registers its peers and computes what they
 * select (a podSelector-only peer looks at its namespace's identities only), and matches it
 * against the local pods of its namespace. Costs O(this policy), never O(all policies).
 */
export function addPolicy(state: PolicyFoldState, policy: CompiledPolicy): void {
  state.policies.set(policy.key, policy);
  addToIndex(state.policiesByNamespace, policy.namespace, policy);
  if (policy.egressNamedPortsAnyPeer) state.anyPeerNamedPolicies.add(policy);
  for (const prefix of policy.prefixes) acquireCidrIdentity(state, prefix);
  for (const peer of peersOf(policy)) registerPeer(state, peer);
  for (const podKey of state.localPodsByNamespace.get(policy.namespace) ?? []) {
    const pod = state.pods.get(podKey)!;
    if (!policy.podSelector(pod.labels)) continue;
    policy.selected.add(podKey);
    state.localPods.get(podKey)!.add(policy);
  }
  touchPolicy(state, policy);
}

/** Removes a policy and everything it registered; the endpoints it selected are recomputed. */
export function removePolicy(state: PolicyFoldState, policy: CompiledPolicy): void {
  for (const podKey of policy.selected) {
    state.localPods.get(podKey)?.delete(policy);
    state.dirty.endpoints.add(podKey);
  }
  policy.selected.clear();
  for (const peer of peersOf(policy)) unregisterPeer(state, peer);
  for (const prefix of policy.prefixes) releaseCidrIdentity(state, prefix);
  state.anyPeerNamedPolicies.delete(policy);
  removeFromIndex(state.policiesByNamespace, policy.namespace, policy);
  // An update adds its new version before removing this one: leave the new one in place.
  if (state.policies.get(policy.key) === policy) state.policies.delete(policy.key);
  // Its own entries go with the endpoint recomputation above; nothing else references it now.
  state.dirty.policies.delete(policy);
  state.dirty.policyIdentities.delete(policy);
}

function registerPeer(state: PolicyFoldState, peer: Peer): void {
  if (peer.kind === 'ipBlock') {
    for (const identity of state.cidrs.values()) {
      if (!ipBlockPeerMatches(peer, identity)) continue;
      peer.selected.add(identity.id);
      identity.selectedBy.add(peer);
    }
    state.ipBlockPeers.add(peer);
    return;
  }
  if (peer.namespaceSelector === null) {
    addToIndex(state.localPeersByNamespace, peer.policy.namespace, peer);
    for (const identity of state.identitiesByNamespace.get(peer.policy.namespace) ?? []) {
      if (!selectorPeerMatches(peer, identity)) continue;
      peer.selected.add(identity.id);
      identity.selectedBy.add(peer);
    }
    return;
  }
  state.namespacePeers.add(peer);
  for (const [namespace, matches] of state.namespacePeerMatches) {
    if (peer.namespaceSelector(namespaceLabelsOf(state, namespace))) matches.add(peer);
  }
  for (const [namespace, identities] of state.identitiesByNamespace) {
    if (!peer.namespaceSelector(namespaceLabelsOf(state, namespace))) continue;
    for (const identity of identities) {
      if (!selectorPeerMatches(peer, identity)) continue;
      peer.selected.add(identity.id);
      identity.selectedBy.add(peer);
    }
  }
}

function unregisterPeer(state: PolicyFoldState, peer: Peer): void {
  for (const id of peer.selected) {
    (state.identitiesById.get(id) ?? state.cidrsById.get(id))?.selectedBy.delete(peer);
  }
  peer.selected.clear();
  if (peer.kind === 'ipBlock') {
    state.ipBlockPeers.delete(peer);
  } else if (peer.namespaceSelector === null) {
    removeFromIndex(state.localPeersByNamespace, peer.policy.namespace, peer);
  } else {
    state.namespacePeers.delete(peer);
    for (const matches of state.namespacePeerMatches.values()) matches.delete(peer);
  }
}
