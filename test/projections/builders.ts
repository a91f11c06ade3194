/** Event builders for projection tests: small defaults, override what the test is about. */
import { type AnyEvent, actorNamed, type StoredEvent } from '../../src/events/envelope.js';
import type {
  Endpoint,
  EndpointPort,
  EndpointSliceUpserted,
  EventPayloads,
  EventType,
  NodeUpserted,
  ServicePort,
  ServiceUpserted,
} from '../../src/events/payloads.js';

let counter = 0;

/** An event envelope around `payload`. */
export function event<T extends EventType>(type: T, payload: EventPayloads[T]): AnyEvent {
  counter++;
  return {
    id: `${type}/${counter}`,
    cluster: 'test',
    source: 'apiwatch',
    actor: actorNamed('test'),
    timeMs: 1_700_000_000_000 + counter,
    causation: null,
    type,
    payload,
  } as AnyEvent;
}

/** Numbers events as a log would (position 1, 2, ...). */
export function stored(events: readonly AnyEvent[], first = 1n): StoredEvent[] {
  return events.map(
    (e, i) =>
      ({ ...e, position: first + BigInt(i), appendedAtMs: e.timeMs, schemaFingerprint: '0' }) as StoredEvent,
  );
}

export function port(p: Partial<ServicePort> = {}): ServicePort {
  return { name: 'http', protocol: 'TCP', port: 80, targetPort: null, nodePort: null, ...p };
}

export function service(p: Partial<ServiceUpserted> = {}): ServiceUpserted {
  return {
    namespace: 'default',
    name: 'web',
    uid: `uid-svc-${p.namespace ?? 'default'}-${p.name ?? 'web'}`,
    resourceVersion: '1',
    type: 'ClusterIP',
    clusterIPs: ['10.96.0.10'],
    ports: [port()],
    selector: { app: 'web' },
    externalIPs: [],
    loadBalancerIngressIPs: [],
    sessionAffinity: 'None',
    sessionAffinityTimeoutSeconds: null,
    internalTrafficPolicy: 'Cluster',
    externalTrafficPolicy: 'Cluster',
    labels: {},
    ...p,
  };
}

export function endpoint(address: string, p: Partial<Endpoint> = {}): Endpoint {
  return {
    addresses: [address],
    ready: true,
    serving: true,
    terminating: false,
    nodeName: 'node-a',
    zone: null,
    targetRef: null,
    ...p,
  };
}

export function slicePort(p: Partial<EndpointPort> = {}): EndpointPort {
  return { name: 'http', protocol: 'TCP', port: 8080, appProtocol: null, ...p };
}

export function slice(p: Partial<EndpointSliceUpserted> = {}): EndpointSliceUpserted {
  return {
    namespace: 'default',
    name: 'web-abc',
    uid: `uid-slice-${p.namespace ?? 'default'}-${p.name ?? 'web-abc'}`,
    resourceVersion: '1',
    serviceName: 'web',
    addressType: 'IPv4',
    endpoints: [endpoint('10.0.1.1')],
    ports: [slicePort()],
    ...p,
  };
}

export function node(
  name: string,
  addresses: Record<string, string>[] = [],
  p: Partial<NodeUpserted> = {},
): NodeUpserted {
  return {
    name,
    uid: `uid-node-${name}`,
    resourceVersion: '1',
    labels: {},
    addresses: addresses.map((a) => ({ type: a.type!, address: a.address! })),
    podCIDRs: [],
    ...p,
  };
}

export const svcEvent = (p: Partial<ServiceUpserted> = {}) => event('ServiceUpserted', service(p));
export const sliceEvent = (p: Partial<EndpointSliceUpserted> = {}) =>
  event('EndpointSliceUpserted', slice(p));
export const svcDeleted = (namespace: string, name: string, uid = `uid-svc-${namespace}-${name}`) =>
  event('ServiceDeleted', { namespace, name, uid, resourceVersion: null });
export const sliceDeleted = (namespace: string, name: string, uid = `uid-slice-${namespace}-${name}`) =>
  event('EndpointSliceDeleted', { namespace, name, uid, resourceVersion: null });
