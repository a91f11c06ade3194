/**
 * fast-check arbitraries of small clusters for the policy property tests: few label values so
 * that selectors often match, CIDRs that nest, and ports around range edges.
 */
import fc from 'fast-check';
import type { AnyEvent } from '../../../src/events/envelope.js';
import type {
  ContainerPort,
  LabelSelector,
  LabelSelectorRequirement,
  Labels,
  NetworkPolicyUpserted,
  PodUpserted,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
} from '../../../src/events/payloads.js';
import { cniAdded, cniDeleted, event, node } from './builders.js';

export const NAMESPACES = ['a', 'b', 'c'] as const;
export const NODES = ['n1', 'n2'] as const;
export const NODE_IPS: Readonly<Record<string, string>> = { n1: '172.16.0.1', n2: '172.16.0.2' };
const CIDRS = [
  '0.0.0.0/0',
  '10.0.0.0/8',
  '192.168.0.0/16',
  '192.168.1.0/24',
  '192.168.1.128/25',
  '192.168.1.7/32',
  '192.168.2.0/23',
];
export const EXTERNAL_IPS = [
  '192.168.1.7',
  '192.168.1.200',
  '192.168.1.5',
  '192.168.2.9',
  '192.168.3.1',
  '8.8.8.8',
];
export const QUERY_PORTS = [53, 80, 81, 443, 444, 5432, 8080, 8081, 8083, 9090, 9091, 1024];

const podLabelsArb: fc.Arbitrary<Labels> = fc.record(
  { app: fc.constantFrom('web', 'db', 'api'), tier: fc.constantFrom('fe', 'be') },
  { requiredKeys: [] },
);
export const namespaceLabelsArb: fc.Arbitrary<Labels> = fc.record(
  { team: fc.constantFrom('x', 'y'), env: fc.constantFrom('prod', 'dev') },
  { requiredKeys: [] },
);

/**
 * Container ports are a function of the pod's labels: pods with equal labels come from one
 * template (the usual case, and the granularity at which an identity-keyed map can resolve an
 * egress named port — see docs/policy.md). `http` means a different number per app on purpose.
 */
export function containerPortsFor(labels: Labels): ContainerPort[] {
  const ports: ContainerPort[] = [];
  if (labels.app === 'web') ports.push({ name: 'http', containerPort: 80, protocol: 'TCP' });
  if (labels.app === 'db') {
    ports.push({ name: 'http', containerPort: 8080, protocol: 'TCP' });
    ports.push({ name: 'db', containerPort: 5432, protocol: '' });
  }
  if (labels.app === 'api') {
    ports.push({ name: 'http', containerPort: 443, protocol: 'TCP' });
    ports.push({ name: 'dns', containerPort: 53, protocol: 'UDP' });
  }
  if (labels.tier === 'fe') ports.push({ name: 'metrics', containerPort: 9090, protocol: 'TCP' });
  return ports;
}

const requirementArb = (
  keys: readonly string[],
  values: readonly string[],
): fc.Arbitrary<LabelSelectorRequirement> =>
  fc.oneof(
    fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom('In', 'NotIn'),
      values: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 2 }),
    }),
    fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom('Exists', 'DoesNotExist'),
      values: fc.constant([]),
    }),
  );

const selectorArb = (labels: fc.Arbitrary<Labels>, keys: readonly string[], values: readonly string[]) =>
  fc.record({
    matchLabels: labels,
    matchExpressions: fc.array(requirementArb(keys, values), { maxLength: 2 }),
  }) as fc.Arbitrary<LabelSelector>;

export const podSelectorArb = selectorArb(podLabelsArb, ['app', 'tier'], ['web', 'db', 'api', 'fe', 'be']);
const namespaceSelectorArb = selectorArb(namespaceLabelsArb, ['team', 'env'], ['x', 'y', 'prod', 'dev']);

const ipBlockArb = fc.constantFrom(...CIDRS).chain((cidr) => {
  const inside = CIDRS.filter((c) => c !== cidr && within(c, cidr));
  return fc
    .uniqueArray(fc.constantFrom('', ...inside), { maxLength: 2 })
    .map((except) => ({ cidr, except: except.filter((e) => e !== '') }));
});

function within(inner: string, outer: string): boolean {
  const bits = (ip: string) =>
    ip
      .split('.')
      .map((o) => Number(o).toString(2).padStart(8, '0'))
      .join('');
  const [innerNet, innerLen] = inner.split('/') as [string, string];
  const [outerNet, outerLen] = outer.split('/') as [string, string];
  const n = Number(outerLen);
  return Number(innerLen) > n && bits(innerNet).slice(0, n) === bits(outerNet).slice(0, n);
}

const peerArb: fc.Arbitrary<PolicyPeer> = fc.oneof(
  podSelectorArb.map((podSelector) => ({ podSelector, namespaceSelector: null, ipBlock: null })),
  namespaceSelectorArb.map((namespaceSelector) => ({ podSelector: null, namespaceSelector, ipBlock: null })),
  fc
    .tuple(namespaceSelectorArb, podSelectorArb)
    .map(([namespaceSelector, podSelector]) => ({ podSelector, namespaceSelector, ipBlock: null })),
  ipBlockArb.map((ipBlock) => ({ podSelector: null, namespaceSelector: null, ipBlock })),
);

const policyPortArb: fc.Arbitrary<PolicyPort> = fc.oneof(
  fc.record({
    protocol: fc.constantFrom('', 'TCP', 'UDP', 'SCTP'),
    port: fc.constant(null),
    endPort: fc.constant(null),
  }),
  fc
    .record({
      protocol: fc.constantFrom('', 'TCP', 'UDP', 'SCTP'),
      port: fc.constantFrom(53, 80, 443, 5432, 8080, 9090),
      span: fc.constantFrom(null, 0, 1, 3, 7, 1000),
    })
    .map(({ protocol, port, span }) => ({
      protocol,
      port: String(port),
      endPort: span === null ? null : port + span,
    })),
  fc.record({
    protocol: fc.constantFrom('', 'TCP', 'UDP'),
    port: fc.constantFrom('http', 'metrics', 'db', 'dns', 'nope'),
    endPort: fc.constant(null),
  }),
);

const ruleArb: fc.Arbitrary<PolicyRule> = fc.record({
  peers: fc.array(peerArb, { maxLength: 2 }),
  ports: fc.array(policyPortArb, { maxLength: 2 }),
});

export const policyArb = (name: string): fc.Arbitrary<NetworkPolicyUpserted> =>
  fc.record({
    namespace: fc.constantFrom(...NAMESPACES),
    name: fc.constant(name),
    uid: fc.constant(`uid-${name}`),
    resourceVersion: fc.constant('1'),
    // Often empty (every pod of the namespace), so that many pods are isolated.
    podSelector: fc.oneof(fc.constant({ matchLabels: {}, matchExpressions: [] }), podSelectorArb),
    policyTypes: fc.constantFrom([], ['Ingress'], ['Egress'], ['Ingress', 'Egress']),
    ingress: fc.array(ruleArb, { maxLength: 2 }),
    egress: fc.array(ruleArb, { maxLength: 2 }),
  });

/** A pod numbered `index` (its name and IP derive from it, so both are unique). */
export const podArb = (index: number): fc.Arbitrary<PodUpserted> =>
  fc
    .record({
      namespace: fc.constantFrom(...NAMESPACES),
      labels: podLabelsArb,
      nodeName: fc.constantFrom(...NODES),
    })
    .map(({ namespace, labels, nodeName }) => ({
      namespace,
      name: `p${index}`,
      uid: `uid-p${index}`,
      resourceVersion: '1',
      nodeName,
      labels,
      podIPs: [`10.0.0.${index + 1}`],
      hostNetwork: false,
      phase: 'Running',
      containerPorts: containerPortsFor(labels),
    }));

/** `count` arbitraries made by `make(index)`, as one array arbitrary. */
export function indexed<T>(count: number, make: (index: number) => fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.tuple(...Array.from({ length: count }, (_, i) => make(i)));
}

const SEQ_PODS = ['p0', 'p1', 'p2', 'p3', 'p4'];
const SEQ_IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '172.16.0.9'];

const seqPodArb: fc.Arbitrary<PodUpserted> = fc
  .record({
    namespace: fc.constantFrom('a', 'b'),
    name: fc.constantFrom(...SEQ_PODS),
    // Few label sets, so that pods often share an identity.
    labels: fc.record(
      { app: fc.constantFrom('web', 'db'), tier: fc.constant('fe') },
      { requiredKeys: ['app'] },
    ),
    nodeName: fc.constantFrom<string | null>('n1', 'n1', 'n2', null),
    podIPs: fc.oneof(
      { arbitrary: fc.subarray(SEQ_IPS, { minLength: 1, maxLength: 1 }), weight: 8 },
      fc.constant(['fd00::1']),
      fc.constant(['10.0.0.300']),
    ),
    phase: fc.constantFrom('Running', 'Running', 'Pending', 'Succeeded'),
    host: fc.integer({ min: 0, max: 9 }),
    // Sometimes ports that differ from the template: pods of one identity with different ports.
    odd: fc.integer({ min: 0, max: 4 }),
  })
  .map(({ host, odd, ...p }) => ({
    ...p,
    hostNetwork: host === 0,
    uid: `uid-${p.namespace}-${p.name}`,
    resourceVersion: '1',
    containerPorts:
      odd === 0 ? [{ name: 'http', containerPort: 8081, protocol: 'TCP' }] : containerPortsFor(p.labels),
  }));

/** A policy whose rules may be invalid (they get dropped), but whose podSelector is valid. */
const seqPolicyArb: fc.Arbitrary<NetworkPolicyUpserted> = fc
  .tuple(fc.constantFrom('np0', 'np1', 'np2'), fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 5 }))
  .chain(([name, namespace, bad]) =>
    policyArb(name).map((policy) => {
      const withNs = { ...policy, namespace, uid: `uid-${namespace}-${name}` };
      if (bad !== 0 || withNs.ingress.length === 0) return withNs;
      const broken: PolicyRule = {
        peers: [{ podSelector: null, namespaceSelector: null, ipBlock: { cidr: '300.0.0.0/8', except: [] } }],
        ports: [{ protocol: 'TCP', port: '70000', endPort: null }],
      };
      return { ...withNs, ingress: [...withNs.ingress, broken] };
    }),
  );

/** A random event sequence over a small universe, for node `n1`: creates, updates, deletes. */
export const eventSequenceArb: fc.Arbitrary<AnyEvent[]> = fc.array(
  fc.oneof(
    { arbitrary: seqPodArb.map((p) => event('PodUpserted', p)), weight: 6 },
    {
      arbitrary: fc
        .record({ namespace: fc.constantFrom('a', 'b'), name: fc.constantFrom(...SEQ_PODS) })
        .map(({ namespace, name }) =>
          event('PodDeleted', { namespace, name, uid: `uid-${namespace}-${name}`, resourceVersion: null }),
        ),
      weight: 2,
    },
    {
      arbitrary: fc
        .record({ name: fc.constantFrom('a', 'b'), labels: namespaceLabelsArb })
        .map(({ name, labels }) =>
          event('NamespaceUpserted', { name, uid: `uid-ns-${name}`, resourceVersion: '1', labels }),
        ),
      weight: 2,
    },
    {
      arbitrary: fc
        .constantFrom('a', 'b')
        .map((name) => event('NamespaceDeleted', { name, uid: `uid-ns-${name}`, resourceVersion: null })),
      weight: 1,
    },
    {
      arbitrary: fc
        .record({
          name: fc.constantFrom('n1', 'n2'),
          ips: fc.subarray(['172.16.0.1', '172.16.0.2', '172.16.0.9']),
        })
        .map(({ name, ips }) => node(name, ips)),
      weight: 1,
    },
    {
      arbitrary: fc
        .constantFrom('n1', 'n2')
        .map((name) => event('NodeDeleted', { name, uid: `uid-node-${name}`, resourceVersion: null })),
      weight: 1,
    },
    { arbitrary: seqPolicyArb.map((p) => event('NetworkPolicyUpserted', p)), weight: 4 },
    {
      arbitrary: fc
        .record({ namespace: fc.constantFrom('a', 'b'), name: fc.constantFrom('np0', 'np1', 'np2') })
        .map(({ namespace, name }) =>
          event('NetworkPolicyDeleted', {
            namespace,
            name,
            uid: `uid-${namespace}-${name}`,
            resourceVersion: null,
          }),
        ),
      weight: 1,
    },
    {
      arbitrary: fc
        .record({
          node: fc.constantFrom('n1', 'n1', 'n2'),
          container: fc.constantFrom('c0', 'c1', 'c2'),
          ifName: fc.constantFrom('eth0', 'eth0', 'net1'),
          ips: fc.subarray(
            SEQ_IPS.map((ip) => `${ip}/24`),
            { maxLength: 1 },
          ),
          ifIndex: fc.integer({ min: 2, max: 9 }),
          pod: fc.option(
            fc.record({ namespace: fc.constantFrom('a', 'b'), name: fc.constantFrom(...SEQ_PODS) }),
            { nil: null },
          ),
        })
        .map((c) =>
          cniAdded({
            node: c.node,
            container: c.container,
            ifName: c.ifName,
            ips: c.ips,
            ifIndex: c.ifIndex,
            mac: `0a:58:00:00:00:0${c.ifIndex}`,
            pod: c.pod === null ? null : [c.pod.namespace, c.pod.name],
          }),
        ),
      weight: 3,
    },
    {
      arbitrary: fc
        .record({
          node: fc.constantFrom('n1', 'n2'),
          container: fc.constantFrom('c0', 'c1', 'c2'),
          ifName: fc.constantFrom('eth0', 'net1'),
        })
        .map((c) => cniDeleted(c)),
      weight: 1,
    },
  ),
  // Long enough for an object to be created, selected, changed and deleted within one run.
  { minLength: 10, maxLength: 40, size: 'max' },
);
