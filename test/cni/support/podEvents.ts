import type { AnyEvent } from '../../../src/events/envelope.js';
import type { Labels } from '../../../src/events/payloads.js';
import { makeEvent } from '../../../src/samples/sampleEvents.js';

/** The Namespace object an apiwatch would log. */
export function namespaceUpserted(name: string, labels: Labels = {}): AnyEvent {
  return makeEvent(
    'NamespaceUpserted',
    { name, uid: `uid-ns-${name}`, resourceVersion: '1', labels },
    { id: `Namespace/uid-ns-${name}/1` },
  );
}

/** A running Pod on `node` with the address its CNI ADD got. */
export function podUpserted(
  namespace: string,
  name: string,
  node: string,
  ip: string,
  labels: Labels,
): AnyEvent {
  const uid = `uid-pod-${namespace}-${name}`;
  return makeEvent(
    'PodUpserted',
    {
      namespace,
      name,
      uid,
      resourceVersion: '2',
      nodeName: node,
      labels,
      podIPs: [ip],
      hostNetwork: false,
      phase: 'Running',
      containerPorts: [],
    },
    { id: `Pod/${uid}/2` },
  );
}

/** A NetworkPolicy selecting `podSelector` that allows no ingress at all. */
export function denyAllIngress(namespace: string, name: string, podSelector: Labels): AnyEvent {
  const uid = `uid-np-${namespace}-${name}`;
  return makeEvent(
    'NetworkPolicyUpserted',
    {
      namespace,
      name,
      uid,
      resourceVersion: '1',
      podSelector: { matchLabels: podSelector, matchExpressions: [] },
      policyTypes: ['Ingress'],
      ingress: [],
      egress: [],
    },
    { id: `NetworkPolicy/${uid}/1` },
  );
}

/** The deletion of that NetworkPolicy. */
export function policyDeleted(namespace: string, name: string): AnyEvent {
  const uid = `uid-np-${namespace}-${name}`;
  return makeEvent(
    'NetworkPolicyDeleted',
    { namespace, name, uid, resourceVersion: '2' },
    { id: `NetworkPolicy/${uid}/deleted` },
  );
}
