/**
 * The policy oracle: for random namespaces, pods and NetworkPolicies, the verdict read from the
 * projected maps through the datapath model equals an independent evaluator of the spec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../src/events/envelope.js';
import type { Labels, NetworkPolicyUpserted, PodUpserted } from '../../src/events/payloads.js';
import type { DatapathModel } from '../../src/projections/policy/verdict.js';
import {
  EXTERNAL_IPS,
  indexed,
  NAMESPACES,
  NODE_IPS,
  NODES,
  namespaceLabelsArb,
  podArb,
  policyArb,
  QUERY_PORTS,
} from '../projections/policy/arbitraries.js';
import {
  event,
  foldEvents,
  namespaceDeleted,
  node,
  podDeleted,
  policyDeleted,
} from '../projections/policy/builders.js';
import { type OracleCluster, oracleAllows, type Party } from '../support/networkPolicyOracle.js';

const clusterArb = fc
  .record({
    namespaces: fc.tuple(...NAMESPACES.map(() => fc.option(namespaceLabelsArb, { nil: undefined }))),
    pods: fc.integer({ min: 1, max: 8 }).chain((n) => indexed(n, podArb)),
    policies: fc.integer({ min: 0, max: 5 }).chain((n) => indexed(n, (i) => policyArb(`np${i}`))),
  })
  .chain((cluster) => {
    const events: AnyEvent[] = [
      ...NAMESPACES.flatMap((name, i) => {
        const labels = cluster.namespaces[i];
        return labels === undefined
          ? []
          : [event('NamespaceUpserted', { name, uid: `uid-ns-${name}`, resourceVersion: '1', labels })];
      }),
      ...NODES.map((name) => node(name, [NODE_IPS[name]!])),
      ...cluster.pods.map((pod) => event('PodUpserted', pod)),
      ...cluster.policies.map((policy) => event('NetworkPolicyUpserted', policy)),
    ];
    const parties = cluster.pods.length + EXTERNAL_IPS.length + NODES.length;
    const history = historyArb(cluster.pods, cluster.policies);
    // Ports at the edges of every numeric port and range the policies name, where mistakes show.
    const edges = new Set<number>(QUERY_PORTS);
    for (const policy of cluster.policies) {
      for (const rule of [...policy.ingress, ...policy.egress]) {
        for (const item of rule.ports) {
          const first = Number(item.port);
          if (!Number.isInteger(first)) continue;
          const last = item.endPort ?? first;
          for (const p of [first - 1, first, first + 1, last - 1, last, last + 1])
            if (p >= 1 && p <= 65535) edges.add(p);
        }
      }
    }
    const query = fc.record({
      from: fc.nat(parties - 1),
      to: fc.nat(parties - 1),
      protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'),
      port: fc.oneof({ arbitrary: fc.constantFrom(...edges), weight: 4 }, fc.integer({ min: 1, max: 65535 })),
    });
    return fc.record({
      cluster: fc.constant(cluster),
      // Any arrival order, after any history, must give the same verdicts.
      events: fc
        .tuple(history, fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))
        .map(([before, final]) => [...before, ...final]),
      queries: fc.array(query, { minLength: 8, maxLength: 48 }),
    });
  });

/**
 * Events before the final objects: earlier versions of the pods (other labels, other node),
 * policies (other rules) and namespaces (other labels), and pods and policies that come and go.
 * The oracle sees only the final objects, so the projection must have undone all of it.
 */
function historyArb(pods: readonly PodUpserted[], policies: readonly NetworkPolicyUpserted[]) {
  const earlierPods = fc.subarray([...pods]).chain((chosen) =>
    fc.tuple(
      ...chosen.map((pod, i) =>
        podArb(i).map((other) => ({
          ...pod,
          labels: other.labels,
          nodeName: other.nodeName,
          containerPorts: other.containerPorts,
        })),
      ),
    ),
  );
  const earlierPolicies = fc
    .subarray([...policies])
    .chain((chosen) =>
      fc.tuple(
        ...chosen.map((policy) =>
          policyArb(policy.name).map((other) => ({ ...other, namespace: policy.namespace })),
        ),
      ),
    );
  const transient = fc.tuple(
    fc.integer({ min: 0, max: 2 }).chain((n) => indexed(n, (i) => podArb(20 + i))),
    fc.integer({ min: 0, max: 2 }).chain((n) => indexed(n, (i) => policyArb(`gone${i}`))),
  );
  const earlierNamespaces = fc
    .subarray([...NAMESPACES])
    .chain((names) =>
      fc.tuple(...names.map((name) => namespaceLabelsArb.map((labels) => ({ name, labels })))),
    );
  return fc
    .tuple(earlierPods, earlierPolicies, transient, earlierNamespaces)
    .map(([p, np, [tp, tnp], ns]) => [
      ...ns.map(({ name, labels }) =>
        event('NamespaceUpserted', { name, uid: `uid-ns-${name}`, resourceVersion: '0', labels }),
      ),
      ...[...p, ...tp].map((pod) => event('PodUpserted', pod)),
      ...[...np, ...tnp].map((policy) => event('NetworkPolicyUpserted', policy)),
      ...tp.map((pod) => podDeleted(pod.namespace, pod.name)),
      ...tnp.map((policy) => policyDeleted(policy.namespace, policy.name)),
      // A namespace that has no object in the end was deleted.
      ...ns.map(({ name }) => namespaceDeleted(name)),
    ]);
}

/** Party `index`: the pods, then the external addresses, then the nodes. */
function partyOf(pods: readonly PodUpserted[], index: number): Party {
  const pod = pods[index];
  if (pod !== undefined) return { kind: 'pod', pod };
  const external = EXTERNAL_IPS[index - pods.length];
  if (external !== undefined) return { kind: 'external', ip: external };
  return { kind: 'node', name: NODES[index - pods.length - EXTERNAL_IPS.length]! };
}

function ipOf(party: Party): string {
  if (party.kind === 'pod') return party.pod.podIPs[0]!;
  return party.kind === 'node' ? NODE_IPS[party.name]! : party.ip;
}

/** The datapath's answer: egress at the source's node, then ingress at the destination's. */
function projectedAllows(
  models: ReadonlyMap<string, DatapathModel>,
  from: Party,
  to: Party,
  proto: 'TCP' | 'UDP' | 'SCTP',
  port: number,
): boolean {
  const egress =
    from.kind !== 'pod' ||
    models
      .get(from.pod.nodeName!)!
      .verdict({ endpointIp: ipOf(from), direction: 'egress', peerIp: ipOf(to), proto, port }).verdict ===
      'allow';
  const ingress =
    to.kind !== 'pod' ||
    models
      .get(to.pod.nodeName!)!
      .verdict({ endpointIp: ipOf(to), direction: 'ingress', peerIp: ipOf(from), proto, port }).verdict ===
      'allow';
  return egress && ingress;
}

describe('policy oracle', () => {
  it('the verdict from the projected maps equals the NetworkPolicy spec evaluated directly', () => {
    fc.assert(
      fc.property(clusterArb, ({ cluster, events, queries }) => {
        const models = new Map(NODES.map((name) => [name, foldEvents(name, events).model]));
        const oracle: OracleCluster = {
          namespaces: new Map(
            NAMESPACES.flatMap((name, i) => {
              const labels = cluster.namespaces[i];
              return labels === undefined ? [] : [[name, labels] as [string, Labels]];
            }),
          ),
          pods: cluster.pods,
          policies: cluster.policies,
        };
        for (const q of queries) {
          const from = partyOf(cluster.pods, q.from);
          const to = partyOf(cluster.pods, q.to);
          // Only connections with a pod at one end at least are policy's business.
          if (from.kind !== 'pod' && to.kind !== 'pod') continue;
          if (q.from === q.to) continue;
          const expected = oracleAllows(oracle, from, to, q.protocol, q.port);
          const actual = projectedAllows(models, from, to, q.protocol, q.port);
          // The addresses are in the message so a failure names the connection.
          expect({ ...q, fromIp: ipOf(from), toIp: ipOf(to), allowed: actual }).toEqual({
            ...q,
            fromIp: ipOf(from),
            toIp: ipOf(to),
            allowed: expected,
          });
        }
      }),
      { numRuns: 1000 },
    );
  });
});
