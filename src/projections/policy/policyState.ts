import type { ContainerPort, Labels } from '../../events/payloads.js';
import type { EndpointValue, PolicyKey } from '../../maps/model.js';
import { FIRST_LABEL_IDENTITY } from '../../maps/model.js';
import type { CompiledPolicy, IpBlockPeer, Peer, SelectorPeer } from './compilePolicy.js';
import type { Cidr } from './ipv4.js';
import { NumberAllocator } from './numberAllocator.js';

/**
 * First identity of CIDR prefixes named by ipBlocks: Cilium's node-local identity scope (1 << 24),
 * so they never collide with label identities, which stay below it.
 */
export const FIRST_CIDR_IDENTITY = 1 << 24;
/** Last label identity (Cilium's cluster-scope identities are 16 bits, plus the cluster id). */
export const LAST_LABEL_IDENTITY = FIRST_CIDR_IDENTITY - 1;
/** Last CIDR identity. */
export const LAST_CIDR_IDENTITY = 2 ** 25 - 1;
/** Endpoint ids are small and node-local (Cilium caps them at 16 bits). */
export const FIRST_ENDPOINT_ID = 1;
export const LAST_ENDPOINT_ID = 65535;
/** The MAC of an endpoint the CNI plugin has not reported yet. */
export const UNKNOWN_MAC = '00:00:00:00:00:00';

/** What the fold keeps of a Pod. */
export interface PodFacts {
  readonly key: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly nodeName: string | null;
  /** Canonical IPv4 pod IPs. */
  readonly podIPs: readonly string[];
  /** Holds an identity and IPs: not host-network and not in a terminal phase. */
  readonly live: boolean;
  readonly containerPorts: readonly ContainerPort[];
}

/** A security identity of a set of labels. */
export interface LabelIdentity {
  readonly kind: 'labels';
  readonly id: number;
  /** The canonical label set, also the allocation key. */
  readonly key: string;
  readonly namespace: string;
  readonly namespaceLabels: Labels;
  readonly podLabels: Labels;
  /** Pods holding it; the number is freed when none does. */
  readonly pods: Set<string>;
  readonly selectedBy: Set<Peer>;
}

/** A security identity of a CIDR prefix named by some ipBlock (its cidr or an except). */
export interface CidrIdentity {
  readonly kind: 'cidr';
  readonly id: number;
  readonly cidr: Cidr;
  readonly text: string;
  /** Policies naming the prefix; the number is freed when none does. */
  refs: number;
  readonly selectedBy: Set<Peer>;
}

/** One CNI ADD on this node (containerId/ifName). */
export interface CniAttachment {
  readonly key: string;
  readonly podKey: string | null;
  readonly ips: readonly string[];
  readonly mac: string;
  readonly ifIndex: number;
  /** Order of arrival: the latest attachment of a pod wins. */
  readonly seq: number;
}

/** What the fold derived from a pod last time, to undo exactly that on change. */
export interface PodDerived {
  identity: LabelIdentity | null;
  ips: readonly string[];
  /** `name/proto` → port, this pod's contribution to the named-port index under `identity`. */
  namedPorts: readonly (readonly [string, number])[];
}

/** Who claims an ipcache prefix; the strongest claim gives its identity. */
export interface IpClaims {
  readonly nodes: Set<string>;
  /** Pod keys claiming the address (a stale pod may still name a reused IP); the smallest wins. */
  readonly pods: string[];
  cidr: CidrIdentity | null;
}

/** A local endpoint as last written. */
export interface EndpointOut {
  readonly endpointId: number;
  readonly ips: readonly string[];
  readonly value: EndpointValue;
  /** Policy entries by `mapKeyId('policy', key)`; updated in place for one identity. */
  readonly entries: Map<string, PolicyKey>;
  /** The ids of `entries` by peer identity, for recomputing one identity's entries. */
  readonly byIdentity: Map<number, Set<string>>;
}

/** The whole state of the policy fold for one node. Mutated in place by `apply`. */
export interface PolicyFoldState {
  readonly node: string;
  readonly pods: Map<string, PodFacts>;
  readonly podDerived: Map<string, PodDerived>;
  readonly podsByNamespace: Map<string, Set<string>>;
  readonly namespaceLabels: Map<string, Labels>;
  readonly nodeIps: Map<string, readonly string[]>;
  readonly policies: Map<string, CompiledPolicy>;
  readonly policiesByNamespace: Map<string, Set<CompiledPolicy>>;

  readonly identitiesByKey: Map<string, LabelIdentity>;
  readonly identitiesById: Map<number, LabelIdentity>;
  readonly identitiesByNamespace: Map<string, Set<LabelIdentity>>;
  readonly labelIds: NumberAllocator;
  readonly cidrs: Map<string, CidrIdentity>;
  readonly cidrsById: Map<number, CidrIdentity>;
  readonly cidrIds: NumberAllocator;

  /** Peers with a podSelector only, by their policy's namespace (they select only there). */
  readonly localPeersByNamespace: Map<string, Set<SelectorPeer>>;
  /** Peers with a namespaceSelector. */
  readonly namespacePeers: Set<SelectorPeer>;
  /** Cache: namespace → namespace peers whose namespaceSelector matches it. */
  readonly namespacePeerMatches: Map<string, Set<SelectorPeer>>;
  readonly ipBlockPeers: Set<IpBlockPeer>;
  /** `name/proto` → identity → port → number of pods of that identity with it. */
  readonly namedPorts: Map<string, Map<number, Map<number, number>>>;
  /** Policies with an egress rule to every peer on a named port. */
  readonly anyPeerNamedPolicies: Set<CompiledPolicy>;

  readonly cni: Map<string, CniAttachment>;
  readonly cniByPod: Map<string, Set<string>>;
  cniSeq: number;
  /** Live local pods → the policies selecting them (either direction). */
  readonly localPods: Map<string, Set<CompiledPolicy>>;
  readonly localPodsByNamespace: Map<string, Set<string>>;
  readonly endpointIds: NumberAllocator;

  readonly ipClaims: Map<string, IpClaims>;
  readonly ipcacheOut: Map<string, number>;
  readonly endpointIpClaims: Map<string, string[]>;
  readonly endpointsMapOut: Map<string, EndpointValue>;
  readonly endpointsOut: Map<string, EndpointOut>;

  /** Work of the current apply: what to recompute and diff before returning. */
  readonly dirty: {
    readonly ipcache: Set<string>;
    readonly endpoints: Set<string>;
    readonly endpointIps: Set<string>;
    readonly policies: Set<CompiledPolicy>;
    /** Policy → identities whose entries must be recomputed at the endpoints it selects. */
    readonly policyIdentities: Map<CompiledPolicy, Set<number>>;
  };
  /** Rejections of the current apply. */
  readonly rejected: string[];
  /** Rejections since init, for metrics. */
  rejectedTotal: number;
}

/** A fresh state for `node`. */
export function initPolicyState(node: string): PolicyFoldState {
  return {
    node,
    pods: new Map(),
    podDerived: new Map(),
    podsByNamespace: new Map(),
    namespaceLabels: new Map(),
    nodeIps: new Map(),
    policies: new Map(),
    policiesByNamespace: new Map(),
    identitiesByKey: new Map(),
    identitiesById: new Map(),
    identitiesByNamespace: new Map(),
    labelIds: new NumberAllocator(FIRST_LABEL_IDENTITY, LAST_LABEL_IDENTITY),
    cidrs: new Map(),
    cidrsById: new Map(),
    cidrIds: new NumberAllocator(FIRST_CIDR_IDENTITY, LAST_CIDR_IDENTITY),
    localPeersByNamespace: new Map(),
    namespacePeers: new Set(),
    namespacePeerMatches: new Map(),
    ipBlockPeers: new Set(),
    namedPorts: new Map(),
    anyPeerNamedPolicies: new Set(),
    cni: new Map(),
    cniByPod: new Map(),
    cniSeq: 0,
    localPods: new Map(),
    localPodsByNamespace: new Map(),
    endpointIds: new NumberAllocator(FIRST_ENDPOINT_ID, LAST_ENDPOINT_ID),
    ipClaims: new Map(),
    ipcacheOut: new Map(),
    endpointIpClaims: new Map(),
    endpointsMapOut: new Map(),
    endpointsOut: new Map(),
    dirty: {
      ipcache: new Set(),
      endpoints: new Set(),
      endpointIps: new Set(),
      policies: new Set(),
      policyIdentities: new Map(),
    },
    rejected: [],
    rejectedTotal: 0,
  };
}

/** Adds `value` to the set at `key` of a map of sets. */
export function addToIndex<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  set.add(value);
}

/** Removes `value` from the set at `key`, dropping the set when it empties. */
export function removeFromIndex<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

/** Records a rejected input (counted, reported by apply, then skipped). */
export function reject(state: PolicyFoldState, reason: string): void {
  state.rejected.push(reason);
  state.rejectedTotal++;
}
