/**
 * Benchmark of the policy projection (identities, ipcache, per-endpoint policy, endpoints).
 *
 *   npx tsx bench/projection-policy.ts [--pods 1000,10000] [--policies 100] [--changes 500] [--no-write]
 *
 * For each cluster size: events/s through the fold while loading the cluster, then the cost of
 * one pod label change (median, p99) on a loaded state, side by side with the baseline a
 * non-incremental projection pays for the same change (folding the whole log again). Prints
 * JSON on stdout (also written to bench/results/projection-policy.json unless --no-write) and a
 * text picture on stderr. Not part of the test run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type AnyEvent, actorNamed } from '../src/events/envelope.js';
import type {
  EventPayloads,
  EventType,
  LabelSelector,
  PodUpserted,
  PolicyRule,
} from '../src/events/payloads.js';
import { policyFold } from '../src/projections/policy/policyFold.js';
import type { PolicyFoldState } from '../src/projections/policy/policyState.js';

const NAMESPACES = 10;
const APPS = 20;
const PODS_PER_NODE = 100;
const NODE = 'node-0';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1]! : fallback;
}

let seq = 0;
function event<T extends EventType>(type: T, payload: EventPayloads[T]): AnyEvent {
  seq++;
  return {
    id: `${type}/${seq}`,
    cluster: 'bench',
    source: 'apiwatch',
    actor: actorNamed('bench'),
    timeMs: 0,
    causation: null,
    type,
    payload,
  } as AnyEvent;
}

const sel = (matchLabels: Record<string, string>): LabelSelector => ({ matchLabels, matchExpressions: [] });

function podOf(i: number, version: string): PodUpserted {
  return {
    namespace: `ns-${i % NAMESPACES}`,
    name: `pod-${i}`,
    uid: `uid-pod-${i}`,
    resourceVersion: version,
    nodeName: `node-${Math.floor(i / PODS_PER_NODE)}`,
    labels: { app: `app-${i % APPS}`, 'pod-template-hash': `h${i % 7}`, version },
    podIPs: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    hostNetwork: false,
    phase: 'Running',
    containerPorts: [
      { name: 'http', containerPort: 8000 + (i % APPS), protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ],
  };
}

/** A realistic mix: app-to-app allows, a monitoring namespace, DNS egress, external CIDRs, ranges. */
function policyOf(i: number): EventPayloads['NetworkPolicyUpserted'] {
  const app = `app-${i % APPS}`;
  const from = `app-${(i + 1) % APPS}`;
  const ingress: PolicyRule[] = [
    {
      peers: [{ podSelector: sel({ app: from }), namespaceSelector: null, ipBlock: null }],
      ports: [{ protocol: 'TCP', port: 'http', endPort: null }],
    },
    {
      peers: [{ podSelector: null, namespaceSelector: sel({ role: 'monitoring' }), ipBlock: null }],
      ports: [{ protocol: 'TCP', port: 'metrics', endPort: null }],
    },
  ];
  if (i % 4 === 0) {
    ingress.push({
      peers: [
        {
          podSelector: null,
          namespaceSelector: null,
          ipBlock: { cidr: `192.168.${i % 256}.0/24`, except: [`192.168.${i % 256}.128/25`] },
        },
      ],
      ports: [{ protocol: 'TCP', port: '30000', endPort: 30100 }],
    });
  }
  return {
    namespace: `ns-${i % NAMESPACES}`,
    name: `np-${i}`,
    uid: `uid-np-${i}`,
    resourceVersion: '1',
    podSelector: sel({ app }),
    policyTypes: ['Ingress', 'Egress'],
    ingress,
    egress: [
      {
        peers: [
          {
            podSelector: sel({ 'k8s-app': 'kube-dns' }),
            namespaceSelector: sel({ 'kubernetes.io/metadata.name': 'kube-system' }),
            ipBlock: null,
          },
        ],
        ports: [{ protocol: 'UDP', port: '53', endPort: null }],
      },
      {
        peers: [
          { podSelector: sel({ app: `app-${(i + 2) % APPS}` }), namespaceSelector: sel({}), ipBlock: null },
        ],
        ports: [{ protocol: 'TCP', port: 'http', endPort: null }],
      },
    ],
  };
}

function clusterLog(pods: number, policies: number): AnyEvent[] {
  const log: AnyEvent[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    log.push(
      event('NamespaceUpserted', {
        name: `ns-${n}`,
        uid: `uid-ns-${n}`,
        resourceVersion: '1',
        labels: { 'kubernetes.io/metadata.name': `ns-${n}`, role: n === 0 ? 'monitoring' : 'app' },
      }),
    );
  }
  log.push(
    event('NamespaceUpserted', {
      name: 'kube-system',
      uid: 'uid-ks',
      resourceVersion: '1',
      labels: { 'kubernetes.io/metadata.name': 'kube-system' },
    }),
  );
  log.push(
    event('PodUpserted', {
      ...podOf(pods + 1, 'v1'),
      namespace: 'kube-system',
      name: 'coredns',
      labels: { 'k8s-app': 'kube-dns' },
    }),
  );
  for (let node = 0; node * PODS_PER_NODE < pods; node++) {
    log.push(
      event('NodeUpserted', {
        name: `node-${node}`,
        uid: `uid-node-${node}`,
        resourceVersion: '1',
        labels: {},
        addresses: [{ type: 'InternalIP', address: `172.16.${node >> 8}.${node & 255}` }],
        podCIDRs: [],
      }),
    );
  }
  for (let i = 0; i < policies; i++) log.push(event('NetworkPolicyUpserted', policyOf(i)));
  for (let i = 0; i < pods; i++) log.push(event('PodUpserted', podOf(i, 'v1')));
  return log;
}

function foldAll(log: readonly AnyEvent[]): { state: PolicyFoldState; deltas: number } {
  let state = policyFold.init(NODE);
  let deltas = 0;
  for (const e of log) {
    const result = policyFold.apply(state, e);
    state = result.state;
    deltas += result.deltas.length;
  }
  return { state, deltas };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function run(pods: number, policies: number, changes: number) {
  const log = clusterLog(pods, policies);
  const t0 = performance.now();
  const { state, deltas } = foldAll(log);
  const loadMs = performance.now() - t0;

  // One pod label change at a time, alternating a version label so identities really change;
  // half the pods are local to the measured node's neighbours, some to the node itself.
  const times: number[] = [];
  const changeDeltas: number[] = [];
  let current = state;
  for (let k = 0; k < changes; k++) {
    const i = (k * 7919) % pods;
    const change = event('PodUpserted', podOf(i, k % 2 === 0 ? 'v2' : 'v1'));
    const start = performance.now();
    const result = policyFold.apply(current, change);
    times.push(performance.now() - start);
    current = result.state;
    changeDeltas.push(result.deltas.length);
  }
  times.sort((a, b) => a - b);

  // Baseline: a projection without incremental state refolds the log for every change.
  const baselineRuns = Math.max(3, Math.min(10, Math.floor(20_000 / pods)));
  const baseline: number[] = [];
  for (let k = 0; k < baselineRuns; k++) {
    const start = performance.now();
    foldAll(log);
    baseline.push(performance.now() - start);
  }
  baseline.sort((a, b) => a - b);
  return {
    pods,
    policies,
    localEndpoints: current.endpointsOut.size,
    identities: current.identitiesById.size,
    policyEntries: [...current.endpointsOut.values()].reduce((n, e) => n + e.entries.size, 0),
    load: {
      events: log.length,
      ms: round(loadMs),
      eventsPerSec: Math.round(log.length / (loadMs / 1000)),
      deltas,
    },
    labelChange: {
      samples: changes,
      medianMs: round(quantile(times, 0.5)),
      p99Ms: round(quantile(times, 0.99)),
      meanDeltas: round(changeDeltas.reduce((a, b) => a + b, 0) / changes),
    },
    baselineFullRefold: { samples: baselineRuns, medianMs: round(quantile(baseline, 0.5)) },
    heapUsedMB: round(process.memoryUsage().heapUsed / 2 ** 20),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const startLoad = loadavg()[0]!;
const sizes = arg('pods', '1000,10000').split(',').map(Number);
const policies = Number(arg('policies', '100'));
const changes = Number(arg('changes', '500'));
// Warm the JIT on a small cluster first, so the first measured size is not paying for it.
run(500, policies, changes);
const results = sizes.map((pods) => run(pods, policies, changes));
const first = results[0]!;
const last = results[results.length - 1]!;
const report = {
  bench: 'projection-policy',
  node: process.version,
  cpus: cpus().length,
  loadAverageAtStart: startLoad,
  date: new Date().toISOString(),
  results,
  labelChangeMedianRatio: round(last.labelChange.medianMs / first.labelChange.medianMs),
};
console.log(JSON.stringify(report, null, 2));
if (!process.argv.includes('--no-write')) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/projection-policy.json', `${JSON.stringify(report, null, 2)}\n`);
}

// The picture (stderr, so stdout stays JSON): label-change median against the full-refold
// baseline, log-scaled bars.
const bar = (ms: number) => '#'.repeat(Math.max(1, Math.round(4 * Math.log10(1 + ms * 1000))));
process.stderr.write('\none pod label change (median, log scale): incremental vs full refold\n');
for (const r of results) {
  const change = r.labelChange.medianMs;
  const refold = r.baselineFullRefold.medianMs;
  process.stderr.write(`${String(r.pods).padStart(7)} pods  change ${bar(change).padEnd(30)} ${change} ms\n`);
  process.stderr.write(`${''.padStart(7)}       refold ${bar(refold).padEnd(30)} ${refold} ms\n`);
}
