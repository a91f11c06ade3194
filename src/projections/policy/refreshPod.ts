import type { ContainerPort } from '../../events/payloads.js';
import type { CompiledPolicy } from './compilePolicy.js';
import {
  acquireLabelIdentity,
  changeNamedPorts,
  claimsOf,
  namespaceLabelsOf,
  releaseLabelIdentity,
} from './identities.js';
import { identityKey } from './identityLabels.js';
import {
  addToIndex,
  type CniAttachment,
  type PodDerived,
  type PolicyFoldState,
  removeFromIndex,
} from './policyState.js';

const NO_DERIVED: PodDerived = { identity: null, ips: [], namedPorts: [] };

/** The attachment of a pod on this node that arrived last, if any. */
export function latestAttachment(state: PolicyFoldState, podKey: string): CniAttachment | undefined {
  let latest: CniAttachment | undefined;
  for (const key of state.cniByPod.get(podKey) ?? []) {
    const attachment = state.cni.get(key)!;
    if (latest === undefined || attachment.seq > latest.seq) latest = attachment;
  }
  return latest;
}

/** `name/proto` → port of every named container port (the API server defaults protocol to TCP). */
export function namedPortsOf(ports: readonly ContainerPort[]): (readonly [string, number])[] {
  return ports
    .filter((port) => port.name !== '')
    .map(
      (port) => [`${port.name}/${port.protocol === '' ? 'TCP' : port.protocol}`, port.containerPort] as const,
    );
}

function sameNamedPorts(a: PodDerived['namedPorts'], b: PodDerived['namedPorts']): boolean {
  return a.length === b.length && a.every(([name, port], i) => b[i]![0] === name && b[i]![1] === port);
}

/**
 * Re-derives everything that hangs off one pod after its facts (the Pod, its namespace's labels
 * or its CNI attachments) changed: its identity, its ipcache claims, the named-port index, and
 * — for a pod on this node — the policies selecting it. Costs O(that pod + policies of its
 * namespace), and only marks what changed for the flush.
 */
export function refreshPod(state: PolicyFoldState, podKey: string): void {
  const pod = state.pods.get(podKey);
  const live = pod?.live === true ? pod : undefined;
  const before = state.podDerived.get(podKey) ?? NO_DERIVED;
  const attachment = latestAttachment(state, podKey);

  // Identity: take the new one before giving the old one back, so a label change never hands the
  // pod's old number to its new label set within one event.
  const key = live
    ? identityKey(live.namespace, namespaceLabelsOf(state, live.namespace), live.labels)
    : null;
  let identity = before.identity;
  if (identity?.key !== key) {
    identity =
      live && key !== null ? acquireLabelIdentity(state, key, live.namespace, live.labels, podKey) : null;
  }
  const namedPorts = live ? namedPortsOf(live.containerPorts) : [];
  const identityChanged = identity !== before.identity;
  if (identityChanged || !sameNamedPorts(namedPorts, before.namedPorts)) {
    if (before.identity !== null) changeNamedPorts(state, before.identity, before.namedPorts, -1);
    if (identity !== null) changeNamedPorts(state, identity, namedPorts, 1);
  }
  if (identityChanged && before.identity !== null) releaseLabelIdentity(state, before.identity, podKey);

  // ipcache: the pod's IPs, or the CNI's while the API server has not reported them yet.
  const ips = live ? (live.podIPs.length > 0 ? live.podIPs : (attachment?.ips ?? [])) : [];
  for (const ip of before.ips) {
    if (ips.includes(ip)) continue;
    const claims = claimsOf(state, `${ip}/32`);
    claims.pods.splice(claims.pods.indexOf(podKey), 1);
    state.dirty.ipcache.add(`${ip}/32`);
  }
  for (const ip of ips) {
    if (!before.ips.includes(ip)) claimsOf(state, `${ip}/32`).pods.push(podKey);
    if (identityChanged || !before.ips.includes(ip)) state.dirty.ipcache.add(`${ip}/32`);
  }

  if (identity === null && ips.length === 0) state.podDerived.delete(podKey);
  else state.podDerived.set(podKey, { identity, ips, namedPorts });

  refreshSelection(
    state,
    podKey,
    live !== undefined && (live.nodeName === state.node || attachment !== undefined),
  );
  state.dirty.endpoints.add(podKey);
}

/** Re-matches a local pod against the policies of its namespace (or forgets it when not local). */
function refreshSelection(state: PolicyFoldState, podKey: string, local: boolean): void {
  const previous = state.localPods.get(podKey);
  for (const policy of previous ?? []) policy.selected.delete(podKey);
  const pod = state.pods.get(podKey);
  if (!local || pod === undefined) {
    if (previous !== undefined) {
      state.localPods.delete(podKey);
      removeFromIndex(
        state.localPodsByNamespace,
        pod?.namespace ?? podKey.slice(0, podKey.indexOf('/')),
        podKey,
      );
    }
    return;
  }
  const selecting = new Set<CompiledPolicy>();
  for (const policy of state.policiesByNamespace.get(pod.namespace) ?? []) {
    if (policy.podSelector(pod.labels)) {
      selecting.add(policy);
      policy.selected.add(podKey);
    }
  }
  state.localPods.set(podKey, selecting);
  addToIndex(state.localPodsByNamespace, pod.namespace, podKey);
}
