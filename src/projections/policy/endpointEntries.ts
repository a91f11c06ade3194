import type { ContainerPort } from '../../events/payloads.js';
import { mapKeyId } from '../../maps/keys.js';
import { type Direction, ENDPOINT_FLAGS, type L4Proto, type PolicyKey } from '../../maps/model.js';
import type { CompiledPolicy, CompiledRule } from './compilePolicy.js';
import type { PolicyFoldState } from './policyState.js';

/** An endpoint's policy: its enforcement flags and its allow entries by key id. */
export interface EndpointPolicy {
  readonly flags: number;
  readonly entries: Map<string, PolicyKey>;
}

const ANY_PEER = 0;

/**
 * The policy entries of one local endpoint: the union of every rule of every policy selecting
 * it (policies are additive). A direction no selecting policy covers is not enforced and gets no
 * entries. Costs O(the entries of this endpoint).
 */
export function endpointPolicy(
  state: PolicyFoldState,
  endpointId: number,
  policies: Iterable<CompiledPolicy>,
  containerPorts: readonly ContainerPort[],
): EndpointPolicy {
  let flags = 0;
  const entries = new Map<string, PolicyKey>();
  const add = (
    identity: number,
    direction: Direction,
    proto: L4Proto,
    port: number,
    portPrefixLen: number,
  ) => {
    const key: PolicyKey = { endpointId, identity, direction, proto, port, portPrefixLen };
    entries.set(mapKeyId('policy', key), key);
  };
  for (const policy of policies) {
    if (policy.ingress !== null) {
      flags |= ENDPOINT_FLAGS.ingressEnforced;
      for (const rule of policy.ingress) addRule(state, rule, 'ingress', containerPorts, add);
    }
    if (policy.egress !== null) {
      flags |= ENDPOINT_FLAGS.egressEnforced;
      for (const rule of policy.egress) addRule(state, rule, 'egress', containerPorts, add);
    }
  }
  return { flags, entries };
}

type Add = (
  identity: number,
  direction: Direction,
  proto: L4Proto,
  port: number,
  portPrefixLen: number,
) => void;

function peerIdentities(rule: CompiledRule): Set<number> {
  if (rule.anyPeer) return new Set([ANY_PEER]);
  const ids = new Set<number>();
  for (const peer of rule.peers) for (const id of peer.selected) ids.add(id);
  return ids;
}

function addRule(
  state: PolicyFoldState,
  rule: CompiledRule,
  direction: Direction,
  ownPorts: readonly ContainerPort[],
  add: Add,
): void {
  const identities = peerIdentities(rule);
  if (rule.ports === null) {
    for (const id of identities) add(id, direction, 'ANY', 0, 0);
    return;
  }
  for (const spec of rule.ports) {
    if (spec.kind === 'all') {
      for (const id of identities) add(id, direction, spec.proto, 0, 0);
    } else if (spec.kind === 'blocks') {
      for (const id of identities)
        for (const block of spec.blocks) add(id, direction, spec.proto, block.port, block.prefixLen);
    } else if (direction === 'ingress') {
      // A named port is the TARGET's: for ingress that is this endpoint.
      for (const port of ownPorts) {
        if (port.name !== spec.name || (port.protocol === '' ? 'TCP' : port.protocol) !== spec.proto)
          continue;
        for (const id of identities) add(id, direction, spec.proto, port.containerPort, 16);
      }
    } else {
      // For egress the target is the peer: each peer identity gets the ports its pods name so.
      // An empty `to` means every pod with such a port; non-pod peers have no named ports.
      const byIdentity = state.namedPorts.get(`${spec.name}/${spec.proto}`);
      if (byIdentity === undefined) continue;
      const targets = rule.anyPeer ? byIdentity.keys() : identities;
      for (const id of targets) {
        for (const port of byIdentity.get(id)?.keys() ?? []) add(id, direction, spec.proto, port, 16);
      }
    }
  }
}
