/**
 * Event builders and a fold driver for the policy projection's tests: short to write, complete
 * payloads (every field the schema has), envelopes with deterministic ids.
 */
import { type AnyEvent, actorNamed } from '../../../src/events/envelope.js';
import type {
  ContainerPort,
  EventPayloads,
  EventType,
  LabelSelector,
  LabelSelectorRequirement,
  Labels,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
} from '../../../src/events/payloads.js';
import type { MapDelta } from '../../../src/maps/delta.js';
import { applyDeltas, type MutableDesiredMaps, mergeDesiredMaps } from '../../../src/maps/keys.js';
import { policyDesired, policyFold } from '../../../src/projections/policy/policyFold.js';
import type { PolicyFoldState } from '../../../src/projections/policy/policyState.js';
import { DatapathModel } from '../../../src/projections/policy/verdict.js';

let counter = 0;

/** An envelope around a payload. */
export function event<T extends EventType>(type: T, payload: EventPayloads[T]): AnyEvent {
  counter++;
  return {
    id: `${type}/${counter}`,
    cluster: 'test',
    source: type.startsWith('Cni') ? 'cni' : 'apiwatch',
    actor: actorNamed('test'),
    timeMs: 0,
    causation: null,
    type,
    payload,
  } as AnyEvent;
}

export interface PodSpec {
  readonly ns?: string;
  readonly name: string;
  readonly labels?: Labels;
  readonly node?: string | null;
  readonly ips?: readonly string[];
  readonly ports?: readonly ContainerPort[];
  readonly phase?: string;
  readonly hostNetwork?: boolean;
}

export function pod(spec: PodSpec): AnyEvent {
  const namespace = spec.ns ?? 'default';
  return event('PodUpserted', {
    namespace,
    name: spec.name,
    uid: `uid-${namespace}-${spec.name}`,
    resourceVersion: '1',
    nodeName: spec.node === undefined ? 'n1' : spec.node,
    labels: spec.labels ?? {},
    podIPs: spec.ips ?? [],
    hostNetwork: spec.hostNetwork ?? false,
    phase: spec.phase ?? 'Running',
    containerPorts: spec.ports ?? [],
  });
}

export function podDeleted(ns: string, name: string): AnyEvent {
  return event('PodDeleted', { namespace: ns, name, uid: `uid-${ns}-${name}`, resourceVersion: null });
}

export function namespace(name: string, labels: Labels = {}): AnyEvent {
  return event('NamespaceUpserted', { name, uid: `uid-ns-${name}`, resourceVersion: '1', labels });
}

export function namespaceDeleted(name: string): AnyEvent {
  return event('NamespaceDeleted', { name, uid: `uid-ns-${name}`, resourceVersion: null });
}

export function node(name: string, ips: readonly string[]): AnyEvent {
  return event('NodeUpserted', {
    name,
    uid: `uid-node-${name}`,
    resourceVersion: '1',
    labels: {},
    addresses: [
      ...ips.map((address) => ({ type: 'InternalIP', address })),
      { type: 'Hostname', address: name },
    ],
    podCIDRs: [],
  });
}

export function nodeDeleted(name: string): AnyEvent {
  return event('NodeDeleted', { name, uid: `uid-node-${name}`, resourceVersion: null });
}

export function selector(
  matchLabels: Labels = {},
  matchExpressions: readonly LabelSelectorRequirement[] = [],
): LabelSelector {
  return { matchLabels, matchExpressions };
}

export const peer = {
  pods: (podSelector: LabelSelector): PolicyPeer => ({ podSelector, namespaceSelector: null, ipBlock: null }),
  namespaces: (namespaceSelector: LabelSelector): PolicyPeer => ({
    podSelector: null,
    namespaceSelector,
    ipBlock: null,
  }),
  both: (namespaceSelector: LabelSelector, podSelector: LabelSelector): PolicyPeer => ({
    podSelector,
    namespaceSelector,
    ipBlock: null,
  }),
  ipBlock: (cidr: string, except: readonly string[] = []): PolicyPeer => ({
    podSelector: null,
    namespaceSelector: null,
    ipBlock: { cidr, except },
  }),
};

export function port(
  protocol: string,
  value: string | number | null,
  endPort: number | null = null,
): PolicyPort {
  return { protocol, port: value === null ? null : String(value), endPort };
}

export function rule(peers: readonly PolicyPeer[] = [], ports: readonly PolicyPort[] = []): PolicyRule {
  return { peers, ports };
}

export interface PolicySpec {
  readonly ns?: string;
  readonly name: string;
  readonly podSelector?: LabelSelector;
  readonly types?: readonly string[];
  readonly ingress?: readonly PolicyRule[];
  readonly egress?: readonly PolicyRule[];
}

export function policy(spec: PolicySpec): AnyEvent {
  const namespace = spec.ns ?? 'default';
  return event('NetworkPolicyUpserted', {
    namespace,
    name: spec.name,
    uid: `uid-np-${namespace}-${spec.name}`,
    resourceVersion: '1',
    podSelector: spec.podSelector ?? selector(),
    policyTypes: spec.types ?? [],
    ingress: spec.ingress ?? [],
    egress: spec.egress ?? [],
  });
}

export function policyDeleted(ns: string, name: string): AnyEvent {
  return event('NetworkPolicyDeleted', {
    namespace: ns,
    name,
    uid: `uid-np-${ns}-${name}`,
    resourceVersion: null,
  });
}

export interface CniSpec {
  readonly node?: string;
  readonly container: string;
  readonly ifName?: string;
  readonly ips: readonly string[];
  readonly mac?: string;
  readonly ifIndex?: number;
  readonly pod?: readonly [string, string] | null;
}

export function cniAdded(spec: CniSpec): AnyEvent {
  return event('CniAdded', {
    node: spec.node ?? 'n1',
    containerId: spec.container,
    netns: `/var/run/netns/${spec.container}`,
    ifName: spec.ifName ?? 'eth0',
    ips: spec.ips,
    mac: spec.mac ?? '0a:58:0a:00:00:01',
    hostIfName: `veth${spec.container}`,
    hostIfIndex: spec.ifIndex ?? 7,
    podNamespace: spec.pod === null ? null : (spec.pod?.[0] ?? 'default'),
    podName: spec.pod === null ? null : (spec.pod?.[1] ?? spec.container),
  });
}

export function cniDeleted(spec: { node?: string; container: string; ifName?: string }): AnyEvent {
  return event('CniDeleted', {
    node: spec.node ?? 'n1',
    containerId: spec.container,
    ifName: spec.ifName ?? 'eth0',
    netns: null,
    podNamespace: null,
    podName: null,
  });
}

/** The outcome of folding events for one node. */
export interface Folded {
  readonly state: PolicyFoldState;
  /** Every delta, in order. */
  readonly deltas: MapDelta[];
  readonly rejected: string[];
  /** The deltas applied to the maps of `from` (empty maps when folding from the start). */
  readonly applied: MutableDesiredMaps;
  readonly model: DatapathModel;
}

/** Folds `events` for `nodeName` from the initial state. */
export function foldEvents(nodeName: string, events: readonly AnyEvent[], from?: PolicyFoldState): Folded {
  let state = from ?? policyFold.init(nodeName);
  // Continuing from a state: the maps as they were, before this batch changes the state in place.
  const applied = mergeDesiredMaps([from === undefined ? {} : policyDesired(from)]);
  const deltas: MapDelta[] = [];
  const rejected: string[] = [];
  for (const e of events) {
    const result = policyFold.apply(state, e);
    state = result.state;
    deltas.push(...result.deltas);
    rejected.push(...(result.rejected ?? []));
  }
  applyDeltas(applied, deltas);
  return { state, deltas, rejected, applied, model: new DatapathModel(policyDesired(state)) };
}
