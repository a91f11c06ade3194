/**
 * fast-check arbitraries of service-related event sequences over a small universe, so that
 * sequences hit the same objects often (updates, deletes, slices before Services, slices moving
 * between Services, shared backends, node address changes, bad input).
 *
 * Frontend addresses are derived from the Service's index so two Services never claim the same
 * frontend: then the final maps depend only on the final objects (not on history), which the
 * compacted-log property checks. Frontend conflicts have their own unit test.
 */
import fc from 'fast-check';
import type { AnyEvent } from '../../src/events/envelope.js';
import type {
  Endpoint,
  EndpointSliceUpserted,
  ServicePort,
  ServiceUpserted,
} from '../../src/events/payloads.js';
import { event, node } from './builders.js';

export const SERVICE_NAMES = ['a', 'b', 'c'] as const;
export const SLICE_NAMES = ['s1', 's2', 's3', 's4'] as const;

const svcIndex = (name: string) => SERVICE_NAMES.indexOf(name as (typeof SERVICE_NAMES)[number]) + 1;

/** Service ports; each has slice ports below with the same name and protocol (and some without). */
const portArb = (svc: number): fc.Arbitrary<ServicePort[]> =>
  fc
    .subarray(
      [
        { name: 'http', protocol: 'TCP', port: 80 },
        { name: 'dns', protocol: 'UDP', port: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53 },
        { name: 'sig', protocol: 'SCTP', port: 3868 },
        { name: 'nomatch', protocol: 'TCP', port: 81 },
      ],
      { minLength: 1, maxLength: 3 },
    )
    .chain((ports) =>
      fc.tuple(
        ...ports.map((p, k) =>
          fc
            .option(fc.constant(30000 + svc * 10 + k), { nil: null })
            .map((nodePort) => ({ ...p, targetPort: null, nodePort })),
        ),
      ),
    );

/** A ServiceUpserted for Service `name` with random type, ports, addresses and policies. */
export function serviceArb(name: string, rv: number): fc.Arbitrary<ServiceUpserted> {
  const i = svcIndex(name);
  return fc
    .record({
      type: fc.constantFrom(
        'ClusterIP',
        'ClusterIP',
        'NodePort',
        'LoadBalancer',
        'LoadBalancer',
        'ExternalName',
      ),
      headlessPick: fc.integer({ min: 0, max: 14 }),
      clusterIPs: fc.subarray([`10.96.0.${i}`, `fd00::${i}`, `10.96.1.${i}`]),
      ports: portArb(i),
      externalIPs: fc.subarray([`198.51.100.${i}`, `198.51.101.${i}`]),
      lb: fc.subarray([`203.0.113.${i}`]),
      affinity: fc.constantFrom('None', 'ClientIP'),
      timeout: fc.option(fc.integer({ min: 1, max: 86400 }), { nil: null }),
      itp: fc.constantFrom('Cluster', 'Local', null),
      etp: fc.constantFrom('Cluster', 'Local', null),
      bad: fc.integer({ min: 0, max: 19 }),
    })
    .map((r) => ({
      namespace: 'default',
      name,
      uid: `uid-svc-${name}`,
      resourceVersion: String(rv),
      type: r.type,
      clusterIPs:
        r.headlessPick === 0 ? ['None'] : r.bad === 0 ? [...r.clusterIPs, '10.96.0.256'] : r.clusterIPs,
      ports:
        r.bad === 1
          ? [...r.ports, { name: 'bad', protocol: 'TCP', port: 0, targetPort: null, nodePort: null }]
          : r.ports,
      selector: null,
      externalIPs: r.externalIPs,
      loadBalancerIngressIPs: r.lb,
      sessionAffinity: r.affinity,
      sessionAffinityTimeoutSeconds: r.timeout,
      internalTrafficPolicy: r.itp,
      externalTrafficPolicy: r.etp,
      labels: {},
    }));
}

const endpointArb: fc.Arbitrary<Endpoint> = fc.record({
  addresses: fc.constantFrom(
    ['10.0.0.1'],
    ['10.0.0.2'],
    ['10.0.0.3'],
    ['10.0.0.4'],
    ['10.0.0.5'],
    ['10.0.0.6'],
    ['10.0.0.7', '10.0.0.8'],
    ['bogus'],
    [],
  ),
  ready: fc.constantFrom(true, true, true, false, false, null),
  serving: fc.constantFrom(true, false, null),
  terminating: fc.constantFrom(false, true, true, null),
  nodeName: fc.constantFrom('node-a', 'node-b', null),
  zone: fc.constant(null),
  targetRef: fc.constant(null),
});

/** An EndpointSliceUpserted for slice `name`, belonging to a random Service (or none). */
export function sliceArb(name: string, rv: number): fc.Arbitrary<EndpointSliceUpserted> {
  return fc.record({
    namespace: fc.constant('default'),
    name: fc.constant(name),
    uid: fc.constant(`uid-slice-${name}`),
    resourceVersion: fc.constant(String(rv)),
    serviceName: fc.constantFrom<string | null>(...SERVICE_NAMES, ...SERVICE_NAMES, null, 'ghost'),
    addressType: fc.constantFrom('IPv4', 'IPv4', 'IPv4', 'IPv4', 'IPv6'),
    endpoints: fc.array(endpointArb, { minLength: 1, maxLength: 6 }),
    ports: fc.subarray(
      [
        { name: 'http', protocol: 'TCP', port: 8080, appProtocol: null },
        { name: 'dns', protocol: 'UDP', port: 5353, appProtocol: null },
        { name: 'dns-tcp', protocol: 'TCP', port: 5353, appProtocol: null },
        { name: 'sig', protocol: 'SCTP', port: 3869, appProtocol: null },
        { name: 'http', protocol: 'UDP', port: 8081, appProtocol: null },
        { name: 'other', protocol: 'TCP', port: 9000, appProtocol: null },
        { name: 'nomatch', protocol: 'TCP', port: null, appProtocol: null },
      ],
      { minLength: 1 },
    ),
  });
}

const nodeEventArb: fc.Arbitrary<AnyEvent> = fc.oneof(
  fc
    .subarray([
      { type: 'InternalIP', address: '192.168.0.10' },
      { type: 'ExternalIP', address: '192.168.0.11' },
      { type: 'InternalIP', address: 'fd00::a' },
      { type: 'Hostname', address: 'node-a' },
    ])
    .map((addresses) => event('NodeUpserted', node('node-a', addresses))),
  fc
    .constant(null)
    .map(() => event('NodeUpserted', node('node-b', [{ type: 'InternalIP', address: '192.168.0.20' }]))),
  fc
    .constant(null)
    .map(() => event('NodeDeleted', { name: 'node-a', uid: 'uid-node-node-a', resourceVersion: null })),
);

/** One service-related event on the small universe. */
export const serviceEventArb: fc.Arbitrary<AnyEvent> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...SERVICE_NAMES), fc.nat(99))
      .chain(([n, rv]) => serviceArb(n, rv))
      .map((p) => event('ServiceUpserted', p)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...SERVICE_NAMES).map((n) =>
      event('ServiceDeleted', {
        namespace: 'default',
        name: n,
        uid: `uid-svc-${n}`,
        resourceVersion: null,
      }),
    ),
  },
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.constantFrom(...SLICE_NAMES), fc.nat(99))
      .chain(([n, rv]) => sliceArb(n, rv))
      .map((p) => event('EndpointSliceUpserted', p)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...SLICE_NAMES).map((n) =>
      event('EndpointSliceDeleted', {
        namespace: 'default',
        name: n,
        uid: `uid-slice-${n}`,
        resourceVersion: null,
      }),
    ),
  },
  { weight: 2, arbitrary: nodeEventArb },
);

/** A sequence of service-related events. */
export const serviceEventsArb = (maxLength = 40): fc.Arbitrary<AnyEvent[]> =>
  fc.array(serviceEventArb, { maxLength, size: 'max' });

/**
 * The events that recreate only the final objects of `events` (the last upsert of every object
 * still alive), in an order different from the log: slices first, then Services, then the nodes.
 */
export function compactLog(events: readonly AnyEvent[]): AnyEvent[] {
  const services = new Map<string, AnyEvent>();
  const slices = new Map<string, AnyEvent>();
  const nodes = new Map<string, AnyEvent>();
  for (const e of events) {
    if (e.type === 'ServiceUpserted') services.set(e.payload.name, e);
    else if (e.type === 'ServiceDeleted') services.delete(e.payload.name);
    else if (e.type === 'EndpointSliceUpserted') slices.set(e.payload.name, e);
    else if (e.type === 'EndpointSliceDeleted') slices.delete(e.payload.name);
    else if (e.type === 'NodeUpserted') nodes.set(e.payload.name, e);
    else if (e.type === 'NodeDeleted') nodes.delete(e.payload.name);
  }
  return [...[...slices.values()].reverse(), ...services.values(), ...nodes.values()];
}
