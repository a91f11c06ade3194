/**
 * An independent evaluator of Kubernetes NetworkPolicy, written from the specification text
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/) and deliberately
 * sharing no code with `src/projections/policy`: it answers "is this connection allowed?" by
 * reading the objects directly, with no identities, no maps and no incremental state.
 *
 * Rules it encodes, quoted or paraphrased from the page:
 * - "By default, a pod is non-isolated for egress/ingress"; it becomes isolated for a direction
 *   when any NetworkPolicy that selects it has that direction in its policyTypes.
 * - Policies are additive: an isolated pod accepts what at least one selecting policy allows;
 *   a connection needs the source's egress AND the destination's ingress to allow it.
 * - policyTypes, when absent, is Ingress plus Egress if the policy has egress rules.
 * - A peer with podSelector only selects pods of the policy's namespace; namespaceSelector only
 *   selects every pod of the matching namespaces; both in one peer means AND.
 * - An empty from/to allows every peer; empty ports allow every port and protocol; a port's
 *   protocol defaults to TCP; endPort makes an inclusive range; a named port is looked up in the
 *   container ports of the destination pod of the connection.
 * - ipBlock selects IP ranges, minus its except ranges. The page says they "should be
 *   cluster-external IPs, since Pod IPs are ephemeral"; as in Cilium, an ipBlock never matches a
 *   cluster pod or node address, only external ones.
 * - "traffic to and from the node where a Pod is running is always allowed, regardless of the
 *   IP address of the Pod or the node"; other nodes are peers like any address, which only an
 *   empty from/to matches (they are neither pods nor external).
 */
import type {
  LabelSelector,
  Labels,
  NetworkPolicyUpserted,
  PodUpserted,
  PolicyPeer,
  PolicyPort,
} from '../../src/events/payloads.js';

/** Everything the oracle looks at. Pods are live, non-host-network pods. */
export interface OracleCluster {
  /** Labels of namespaces that exist as objects; a namespace that does not has none. */
  readonly namespaces: ReadonlyMap<string, Labels>;
  readonly pods: readonly PodUpserted[];
  readonly policies: readonly NetworkPolicyUpserted[];
}

/** One end of a connection: a pod of the cluster, a node of the cluster, or an address outside it. */
export type Party =
  | { readonly kind: 'pod'; readonly pod: PodUpserted }
  | { readonly kind: 'node'; readonly name: string }
  | { readonly kind: 'external'; readonly ip: string };

/** Whether the spec allows a connection from `from` to `to` on (protocol, port). */
export function oracleAllows(
  cluster: OracleCluster,
  from: Party,
  to: Party,
  protocol: string,
  port: number,
): boolean {
  const egressOk = from.kind !== 'pod' || sideAllows(cluster, from.pod, 'Egress', to, to, protocol, port);
  const ingressOk = to.kind !== 'pod' || sideAllows(cluster, to.pod, 'Ingress', from, to, protocol, port);
  return egressOk && ingressOk;
}

function sideAllows(
  cluster: OracleCluster,
  subject: PodUpserted,
  type: 'Ingress' | 'Egress',
  other: Party,
  destination: Party,
  protocol: string,
  port: number,
): boolean {
  // "traffic to and from the node where a Pod is running is always allowed"
  if (other.kind === 'node' && other.name === subject.nodeName) return true;
  const selecting = cluster.policies.filter(
    (p) =>
      p.namespace === subject.namespace &&
      matches(p.podSelector, subject.labels) &&
      typesOf(p).includes(type),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (type === 'Ingress' ? p.ingress : p.egress).some(
      (r) =>
        (r.peers.length === 0 || r.peers.some((peer) => peerMatches(cluster, p.namespace, peer, other))) &&
        (r.ports.length === 0 || r.ports.some((item) => portMatches(item, destination, protocol, port))),
    ),
  );
}

function typesOf(p: NetworkPolicyUpserted): readonly string[] {
  if (p.policyTypes.length > 0) return p.policyTypes;
  return p.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function peerMatches(
  cluster: OracleCluster,
  policyNamespace: string,
  peer: PolicyPeer,
  other: Party,
): boolean {
  if (peer.ipBlock !== null) {
    if (other.kind !== 'external') return false;
    return inCidr(other.ip, peer.ipBlock.cidr) && !peer.ipBlock.except.some((e) => inCidr(other.ip, e));
  }
  if (other.kind !== 'pod') return false;
  const ns = other.pod.namespace;
  const namespaceOk =
    peer.namespaceSelector === null
      ? ns === policyNamespace
      : matches(peer.namespaceSelector, cluster.namespaces.get(ns) ?? {});
  const podOk = peer.podSelector === null || matches(peer.podSelector, other.pod.labels);
  return namespaceOk && podOk;
}

function portMatches(item: PolicyPort, destination: Party, protocol: string, port: number): boolean {
  if ((item.protocol || 'TCP') !== protocol) return false;
  if (item.port === null) return true;
  const numeric = Number.parseInt(item.port, 10);
  if (String(numeric) === item.port) return port >= numeric && port <= (item.endPort ?? numeric);
  if (destination.kind !== 'pod') return false;
  return destination.pod.containerPorts.some(
    (c) => c.name === item.port && (c.protocol || 'TCP') === protocol && c.containerPort === port,
  );
}

/** Label selector semantics: every matchLabels pair and every expression must hold. */
export function matches(sel: LabelSelector, labels: Labels): boolean {
  const has = (k: string) => Object.hasOwn(labels, k);
  for (const k of Object.keys(sel.matchLabels)) if (!has(k) || labels[k] !== sel.matchLabels[k]) return false;
  for (const e of sel.matchExpressions) {
    const ok =
      e.operator === 'In'
        ? has(e.key) && e.values.includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !has(e.key) || !e.values.includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? has(e.key)
            : e.operator === 'DoesNotExist'
              ? !has(e.key)
              : false;
    if (!ok) return false;
  }
  return true;
}

/** Bits of a dotted quad as a 32-character string: prefix comparison is string comparison. */
function bits(ip: string): string {
  return ip
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/') as [string, string];
  const n = Number(len);
  return bits(ip).slice(0, n) === bits(net).slice(0, n);
}
