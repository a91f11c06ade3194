import { type Actor, type AnyEvent, actorNamed, type EventSource } from '../events/envelope.js';
import type { EventPayloads, EventType } from '../events/payloads.js';

/** Builds an event with the envelope fields filled in; the id is derived from what it records. */
export function makeEvent<T extends EventType>(
  type: T,
  payload: EventPayloads[T],
  options: {
    id: string;
    cluster?: string;
    source?: EventSource;
    actor?: Actor;
    timeMs?: number;
    causation?: string;
  },
): AnyEvent {
  return {
    id: options.id,
    cluster: options.cluster ?? 'local',
    source: options.source ?? 'apiwatch',
    actor: options.actor ?? actorNamed('cairn-demo'),
    timeMs: options.timeMs ?? Date.now(),
    causation: options.causation ?? null,
    type,
    payload,
  } as AnyEvent;
}

/** A ClusterIP Service `name` in `namespace` with one TCP port, and the id an apiwatch would give it. */
export function serviceUpserted(
  namespace: string,
  name: string,
  clusterIP: string,
  port: number,
  resourceVersion = '1',
): AnyEvent {
  const uid = `uid-svc-${namespace}-${name}`;
  return makeEvent(
    'ServiceUpserted',
    {
      namespace,
      name,
      uid,
      resourceVersion,
      type: 'ClusterIP',
      clusterIPs: [clusterIP],
      ports: [{ name: 'http', protocol: 'TCP', port, targetPort: String(port), nodePort: null }],
      selector: { app: name },
      externalIPs: [],
      loadBalancerIngressIPs: [],
      sessionAffinity: 'None',
      sessionAffinityTimeoutSeconds: null,
      internalTrafficPolicy: 'Cluster',
      externalTrafficPolicy: null,
      labels: { app: name },
    },
    { id: `Service/${uid}/${resourceVersion}` },
  );
}

/** The EndpointSlice of Service `name` with ready endpoints at `addresses`. */
export function endpointSliceUpserted(
  namespace: string,
  name: string,
  addresses: readonly string[],
  port: number,
  resourceVersion = '1',
): AnyEvent {
  const uid = `uid-eps-${namespace}-${name}`;
  return makeEvent(
    'EndpointSliceUpserted',
    {
      namespace,
      name: `${name}-abcde`,
      uid,
      resourceVersion,
      serviceName: name,
      addressType: 'IPv4',
      endpoints: addresses.map((address, i) => ({
        addresses: [address],
        ready: true,
        serving: true,
        terminating: false,
        nodeName: 'node-1',
        zone: null,
        targetRef: { kind: 'Pod', namespace, name: `${name}-${i}`, uid: `uid-pod-${namespace}-${name}-${i}` },
      })),
      ports: [{ name: 'http', protocol: 'TCP', port, appProtocol: null }],
    },
    { id: `EndpointSlice/${uid}/${resourceVersion}` },
  );
}

/** A small sample cluster: a namespace, two Services and their EndpointSlices. */
export function sampleClusterEvents(): AnyEvent[] {
  return [
    makeEvent(
      'NamespaceUpserted',
      { name: 'demo', uid: 'uid-ns-demo', resourceVersion: '1', labels: { team: 'web' } },
      { id: 'Namespace/uid-ns-demo/1' },
    ),
    serviceUpserted('demo', 'web', '10.96.0.10', 80),
    endpointSliceUpserted('demo', 'web', ['10.244.1.10', '10.244.1.11', '10.244.1.12'], 8080),
    serviceUpserted('demo', 'dns', '10.96.0.53', 53),
    endpointSliceUpserted('demo', 'dns', ['10.244.1.20'], 5353),
  ];
}
