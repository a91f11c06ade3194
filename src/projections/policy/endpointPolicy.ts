import type { ContainerPort } from '../../events/payloads.js';
import { mapKeyId } from '../../maps/keys.js';
import {
  type Direction,
  ENDPOINT_FLAGS,
  type L4Proto,
  type PolicyKey,
  RESERVED_IDENTITY,
} from '../../maps/model.js';
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
 * it (policies are additive), plus the own node (see `addHostEntries`). A direction no selecting
 * policy covers is not enforced and gets no entries. Costs O(the entries of this endpoint);
 * with `only`, just the entries naming that peer identity are computed (the flags are still
 * complete).
 */
export function endpointPolicy(
  state: PolicyFoldState,
  endpointId: number,
  policies: Iterable<CompiledPolicy>,
  containerPorts: readonly ContainerPort[],
  only: number | null = null,
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
      for (const rule of policy.ingress) addRule(state, rule, 'ingress', containerPorts, add, only);
    }
    if (policy.egress !== null) {
      flags |= ENDPOINT_FLAGS.egressEnforced;
      for (const rule of policy.egress) addRule(state, rule, 'egress', containerPorts, add, only);
    }
  }
  if (only === null || only === RESERVED_IDENTITY.host) addHostEntries(endpointId, flags, entries);
  return { flags, entries };
}

/**
 * Allows the endpoint's own node both ways in each enforced direction. The spec: "traffic to
 * and from the node where a Pod is running is always allowed, regardless of the IP address of
 * the Pod or the node" — kubelet probes must keep working on isolated pods (Cilium does the
 * same). Other nodes (remote-node) get no such exception.
 */
export function addHostEntries(endpointId: number, flags: number, entries: Map<string, PolicyKey>): void {
  for (const [flag, direction] of HOST_DIRECTIONS) {
    if ((flags & flag) === 0) continue;
    const key: PolicyKey = {
      endpointId,
      identity: RESERVED_IDENTITY.host,
      direction,
      proto: 'ANY',
      port: 0,
      portPrefixLen: 0,
    };
    entries.set(mapKeyId('policy', key), key);
  }
}

const HOST_DIRECTIONS: readonly (readonly [number, Direction])[] = [
  [ENDPOINT_FLAGS.ingressEnforced, 'ingress'],
  [ENDPOINT_FLAGS.egressEnforced, 'egress'],
];

type Add = (
  identity: number,
  direction: Direction,
  proto: L4Proto,
  port: number,
  portPrefixLen: number,
) => void;

const NONE: ReadonlySet<number> = new Set();

function peerIdentities(rule: CompiledRule, only: number | null): ReadonlySet<number> {
  if (rule.anyPeer) return only === null || only === ANY_PEER ? new Set([ANY_PEER]) : NONE;
  if (only !== null) return rule.peers.some((peer) => peer.selected.has(only)) ? new Set([only]) : NONE;
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
  only: number | null,
): void {
  const identities = peerIdentities(rule, only);
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
      const everyone = only === null ? byIdentity.keys() : byIdentity.has(only) ? [only] : [];
      const targets = rule.anyPeer ? everyone : identities;
      for (const id of targets) {
        for (const port of byIdentity.get(id)?.keys() ?? []) add(id, direction, spec.proto, port, 16);
      }
    }
  }
}
