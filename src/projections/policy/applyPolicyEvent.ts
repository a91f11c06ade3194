import type { AnyEvent } from '../../events/envelope.js';
import type {
  CniAdded,
  CniDeleted,
  NamespaceUpserted,
  NetworkPolicyUpserted,
  NodeUpserted,
  PodUpserted,
} from '../../events/payloads.js';
import { compilePolicy, policyKeyOf } from './compilePolicy.js';
import { claimsOf } from './identities.js';
import { addressOfInterfaceIp, formatIpv4, parseIpv4 } from './ipv4.js';
import { ORPHAN_ENDPOINT_PREFIX } from './localEndpoint.js';
import { addPolicy, removePolicy } from './policyIndex.js';
import { addToIndex, type PodFacts, type PolicyFoldState, reject, removeFromIndex } from './policyState.js';
import { refreshPod } from './refreshPod.js';

/** Node address types that carry traffic (a Hostname address is not an IP). */
const NODE_IP_TYPES: ReadonlySet<string> = new Set(['InternalIP', 'ExternalIP']);
/** Pods in these phases hold no IP any more: the IP may already belong to a new pod. */
const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/** Applies one event to the facts and marks what it touches; events of other kinds are ignored. */
export function applyPolicyEvent(state: PolicyFoldState, event: AnyEvent): void {
  switch (event.type) {
    case 'PodUpserted':
      upsertPod(state, event.payload);
      return;
    case 'PodDeleted':
      deletePod(state, policyKeyOf(event.payload.namespace, event.payload.name));
      return;
    case 'NamespaceUpserted':
      setNamespaceLabels(state, event.payload.name, event.payload);
      return;
    case 'NamespaceDeleted':
      setNamespaceLabels(state, event.payload.name, null);
      return;
    case 'NodeUpserted':
      setNodeIps(state, event.payload.name, nodeIps(state, event.payload));
      return;
    case 'NodeDeleted':
      setNodeIps(state, event.payload.name, []);
      return;
    case 'NetworkPolicyUpserted':
      upsertPolicy(state, event.payload);
      return;
    case 'NetworkPolicyDeleted': {
      const existing = state.policies.get(policyKeyOf(event.payload.namespace, event.payload.name));
      if (existing !== undefined) removePolicy(state, existing);
      return;
    }
    case 'CniAdded':
      addAttachment(state, event.payload);
      return;
    case 'CniDeleted':
      deleteAttachment(state, event.payload);
      return;
    default:
      return;
  }
}

function upsertPod(state: PolicyFoldState, pod: PodUpserted): void {
  const key = policyKeyOf(pod.namespace, pod.name);
  const podIPs: string[] = [];
  for (const ip of pod.podIPs) {
    const address = parseIpv4(ip);
    if (address !== null) podIPs.push(formatIpv4(address));
    // IPv6 pod IPs are expected on dual-stack clusters: the maps are IPv4, so they are skipped.
    else if (!ip.includes(':')) reject(state, `pod ${key}: bad pod IP ${JSON.stringify(ip)}`);
  }
  const facts: PodFacts = {
    key,
    namespace: pod.namespace,
    labels: pod.labels,
    nodeName: pod.nodeName,
    podIPs,
    live: !pod.hostNetwork && !TERMINAL_PHASES.has(pod.phase),
    containerPorts: pod.containerPorts,
  };
  state.pods.set(key, facts);
  addToIndex(state.podsByNamespace, pod.namespace, key);
  refreshPod(state, key);
}

function deletePod(state: PolicyFoldState, key: string): void {
  const pod = state.pods.get(key);
  if (pod === undefined) return;
  state.pods.delete(key);
  removeFromIndex(state.podsByNamespace, pod.namespace, key);
  refreshPod(state, key);
}

function setNamespaceLabels(state: PolicyFoldState, name: string, namespace: NamespaceUpserted | null): void {
  const before = state.namespaceLabels.get(name);
  const after = namespace?.labels;
  if (JSON.stringify(before ?? null) === JSON.stringify(after ?? null)) return;
  if (after === undefined) state.namespaceLabels.delete(name);
  else state.namespaceLabels.set(name, after);
  // Namespace labels are part of every identity in it: its pods move to new identities.
  state.namespacePeerMatches.delete(name);
  for (const podKey of state.podsByNamespace.get(name) ?? []) refreshPod(state, podKey);
}

function nodeIps(state: PolicyFoldState, node: NodeUpserted): string[] {
  const ips = new Set<string>();
  for (const { type, address } of node.addresses) {
    if (!NODE_IP_TYPES.has(type)) continue;
    const parsed = parseIpv4(address);
    if (parsed !== null) ips.add(formatIpv4(parsed));
    else if (!address.includes(':'))
      reject(state, `node ${node.name}: bad address ${JSON.stringify(address)}`);
  }
  return [...ips];
}

function setNodeIps(state: PolicyFoldState, name: string, ips: readonly string[]): void {
  const before = state.nodeIps.get(name) ?? [];
  for (const ip of before) {
    if (ips.includes(ip)) continue;
    claimsOf(state, `${ip}/32`).nodes.delete(name);
    state.dirty.ipcache.add(`${ip}/32`);
  }
  for (const ip of ips) {
    if (before.includes(ip)) continue;
    claimsOf(state, `${ip}/32`).nodes.add(name);
    state.dirty.ipcache.add(`${ip}/32`);
  }
  if (ips.length === 0) state.nodeIps.delete(name);
  else state.nodeIps.set(name, ips);
}

function upsertPolicy(state: PolicyFoldState, input: NetworkPolicyUpserted): void {
  const key = policyKeyOf(input.namespace, input.name);
  const compiled = compilePolicy(input);
  if (!compiled.ok) {
    // The event is skipped: the previous version, if any, stays in force.
    reject(state, `networkpolicy ${key}: ${compiled.error}`);
    return;
  }
  for (const problem of compiled.problems) reject(state, `networkpolicy ${key}: rule dropped: ${problem}`);
  const existing = state.policies.get(key);
  // The new version first: CIDR identities both versions name keep their references (and
  // numbers) instead of being freed and allocated again.
  addPolicy(state, compiled.policy);
  if (existing !== undefined) removePolicy(state, existing);
}

function attachmentKey(containerId: string, ifName: string): string {
  return `${containerId}/${ifName}`;
}

function addAttachment(state: PolicyFoldState, cni: CniAdded): void {
  if (cni.node !== state.node) return;
  const key = attachmentKey(cni.containerId, cni.ifName);
  const ips: string[] = [];
  for (const ip of cni.ips) {
    const address = addressOfInterfaceIp(ip);
    if (address !== null) ips.push(address);
    else if (!ip.includes(':')) reject(state, `cni ${key}: bad IP ${JSON.stringify(ip)}`);
  }
  if (!Number.isInteger(cni.hostIfIndex) || cni.hostIfIndex < 0) {
    reject(state, `cni ${key}: bad host interface index ${cni.hostIfIndex}`);
    return;
  }
  // A retried ADD replaces the attachment it repeats.
  if (state.cni.has(key)) removeAttachment(state, key);
  const podKey = cni.podNamespace && cni.podName ? policyKeyOf(cni.podNamespace, cni.podName) : null;
  state.cni.set(key, { key, podKey, ips, mac: cni.mac, ifIndex: cni.hostIfIndex, seq: ++state.cniSeq });
  touchAttachment(state, key, podKey);
}

function deleteAttachment(state: PolicyFoldState, cni: CniDeleted): void {
  if (cni.node !== state.node) return;
  removeAttachment(state, attachmentKey(cni.containerId, cni.ifName));
}

function removeAttachment(state: PolicyFoldState, key: string): void {
  const attachment = state.cni.get(key);
  if (attachment === undefined) return;
  state.cni.delete(key);
  touchAttachment(state, key, attachment.podKey);
}

function touchAttachment(state: PolicyFoldState, key: string, podKey: string | null): void {
  if (podKey === null) {
    state.dirty.endpoints.add(ORPHAN_ENDPOINT_PREFIX + key);
    return;
  }
  if (state.cni.has(key)) addToIndex(state.cniByPod, podKey, key);
  else removeFromIndex(state.cniByPod, podKey, key);
  refreshPod(state, podKey);
}
