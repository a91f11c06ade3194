/**
 * Replay of a long log: N events (default 1,000,000) of churn on a steady cluster (2,000
 * Services with their EndpointSlices, 4,000 pods, 100 NetworkPolicies, one node's addresses),
 * appended to a local etcd (Debian's, started here) and exported to an Avro file. Measures, from
 * the file and from etcd: folding the whole log (the baseline, no snapshots), taking snapshots
 * every 10,000 events, and answering `replay --at P` at random points with those snapshots
 * (target: under 1 s per point). Prints JSON and a bar picture; writes bench/results/replay.json.
 *
 *   npx tsx bench/replay.ts [--events 1000000] [--every 10000] [--points 8] [--seed 7] [--no-baseline]
 *
 * (--no-baseline skips the two whole-log folds, about 7 minutes on the development machine.)
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectEtcd } from '../src/etcd/etcdClient.js';
import { startEtcdServer } from '../src/etcd/etcdServer.js';
import { type AnyEvent, actorNamed } from '../src/events/envelope.js';
import { EtcdEventLog } from '../src/events/etcdEventLog.js';
import { exportLog } from '../src/events/logFile.js';
import type { NetworkPolicyUpserted, PodUpserted } from '../src/events/payloads.js';
import { fileHistory } from '../src/replay/fileHistory.js';
import { type History, logHistory } from '../src/replay/history.js';
import { replayTo } from '../src/replay/replayTo.js';
import { resolvePoint } from '../src/replay/resolvePoint.js';
import { takeSnapshots } from '../src/replay/takeSnapshots.js';
import { endpointSliceUpserted, makeEvent, serviceUpserted } from '../src/samples/sampleEvents.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    every: { type: 'string', default: '10000' },
    points: { type: 'string', default: '8' },
    seed: { type: 'string', default: '7' },
    'no-baseline': { type: 'boolean', default: false },
  },
});
const TOTAL = Number(values.events);
const EVERY = Number(values.every);
const POINTS = Number(values.points);
const NODE = 'n1';
const SERVICES = 2_000;
const PODS = 4_000;
const POLICIES = 100;
const NAMESPACES = 20;

/** mulberry32: a small seeded PRNG, so every run builds the same log. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTORS = [
  'alice',
  'bob',
  'carol',
  'system:serviceaccount:kube-system:endpointslice-controller',
  'kubelet',
];

/** The log: the cluster's objects first, then churn on them. */
export function* logEvents(total: number, random: () => number): Generator<AnyEvent> {
  let rv = 0;
  const pick = (n: number) => Math.floor(random() * n);
  const ns = (i: number) => `ns-${i % NAMESPACES}`;
  const octet = (n: number) => `${(n >> 8) & 255}.${n & 255}`;
  const withActor = (e: AnyEvent): AnyEvent => ({ ...e, actor: actorNamed(ACTORS[pick(ACTORS.length)]!) });
  const service = (i: number) => {
    const e = serviceUpserted(ns(i), `svc-${i}`, `10.96.${octet(i)}`, 80, String(++rv));
    return withActor(e);
  };
  const slice = (i: number) => {
    const count = 1 + pick(6);
    const base = pick(200);
    const addresses = Array.from(
      { length: count },
      (_, k) => `10.${1 + (i % 50)}.${(base + k) % 250}.${i % 250}`,
    );
    return withActor(endpointSliceUpserted(ns(i), `svc-${i}`, addresses, 8080, String(++rv)));
  };
  const pod = (i: number) => {
    const payload: PodUpserted = {
      namespace: ns(i),
      name: `pod-${i}`,
      uid: `uid-pod-${i}`,
      resourceVersion: String(++rv),
      nodeName: i % 2 === 0 ? NODE : 'n2',
      labels: { app: `app-${i % 40}`, tier: ['web', 'db', 'api'][i % 3]! },
      podIPs: [`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`],
      hostNetwork: false,
      phase: 'Running',
      containerPorts: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    };
    return withActor(makeEvent('PodUpserted', payload, { id: `Pod/uid-pod-${i}/${rv}` }));
  };
  const policy = (i: number) => {
    const payload: NetworkPolicyUpserted = {
      namespace: ns(i),
      name: `policy-${i}`,
      uid: `uid-np-${i}`,
      resourceVersion: String(++rv),
      podSelector: { matchLabels: { tier: ['web', 'db', 'api'][i % 3]! }, matchExpressions: [] },
      policyTypes: ['Ingress'],
      ingress: [
        {
          peers: [
            {
              podSelector: { matchLabels: { app: `app-${pick(40)}` }, matchExpressions: [] },
              namespaceSelector: null,
              ipBlock: null,
            },
          ],
          ports: [{ protocol: 'TCP', port: String(8080 + pick(3)), endPort: null }],
        },
      ],
      egress: [],
    };
    return withActor(makeEvent('NetworkPolicyUpserted', payload, { id: `NetworkPolicy/uid-np-${i}/${rv}` }));
  };
  let n = 0;
  const emit = function* (e: AnyEvent) {
    if (n++ < total) yield e;
  };
  for (let i = 0; i < NAMESPACES; i++)
    yield* emit(
      makeEvent(
        'NamespaceUpserted',
        { name: `ns-${i}`, uid: `uid-ns-${i}`, resourceVersion: String(++rv), labels: { team: `t${i % 4}` } },
        { id: `Namespace/uid-ns-${i}/${rv}` },
      ),
    );
  yield* emit(
    makeEvent(
      'NodeUpserted',
      {
        name: NODE,
        uid: 'uid-node-n1',
        resourceVersion: String(++rv),
        labels: {},
        addresses: [{ type: 'InternalIP', address: '192.168.0.1' }],
        podCIDRs: ['10.100.0.0/24'],
      },
      { id: `Node/uid-node-n1/${rv}` },
    ),
  );
  for (let i = 0; i < SERVICES; i++) {
    yield* emit(service(i));
    yield* emit(slice(i));
  }
  for (let i = 0; i < PODS; i++) yield* emit(pod(i));
  for (let i = 0; i < POLICIES; i++) yield* emit(policy(i));
  while (n < total) {
    const r = random();
    if (r < 0.6) yield* emit(slice(pick(SERVICES)));
    else if (r < 0.85) yield* emit(pod(pick(PODS)));
    else if (r < 0.95) yield* emit(service(pick(SERVICES)));
    else yield* emit(policy(pick(POLICIES)));
  }
}

const seconds = (t: number) => Number(((performance.now() - t) / 1000).toFixed(3));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const progress = (label: string) => (done: number, total: number) => {
  if (done % 100_000 === 0 || done === total) process.stderr.write(`  ${label}: ${done}/${total}\n`);
};

async function pointQueries(history: History, points: bigint[]) {
  const times: number[] = [];
  const detail: { at: string; seconds: number; snapshot: string; folded: number }[] = [];
  for (const p of points) {
    const t = performance.now();
    const r = await replayTo(history, NODE, p);
    const s = seconds(t);
    times.push(s);
    detail.push({ at: p.toString(), seconds: s, snapshot: r.snapshot.toString(), folded: r.folded });
  }
  return { medianSeconds: median(times), maxSeconds: Math.max(...times), points: detail };
}

function bar(label: string, value: number, max: number): string {
  const width = Math.max(1, Math.round((value / max) * 50));
  return `${label.padEnd(34)} ${'#'.repeat(width)} ${value.toFixed(3)} s`;
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-replay-'));
  const etcd = await startEtcdServer({ extraArgs: ['--quota-backend-bytes=8589934592'] });
  const client = connectEtcd({ endpoints: etcd.endpoints, callTimeoutMs: 60_000 });
  const random = rng(Number(values.seed));
  const result: Record<string, unknown> = {
    bench: 'replay',
    date: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadavg: loadavg(),
    },
    etcd: 'Debian etcd-server on loopback, fresh data dir',
    node: NODE,
    events: TOTAL,
    snapshotEvery: EVERY,
    cluster: { services: SERVICES, pods: PODS, policies: POLICIES, namespaces: NAMESPACES },
  };
  try {
    const log = new EtcdEventLog({ client, endpoints: etcd.endpoints, prefix: '/bench/replay/' });
    let t = performance.now();
    let batch: AnyEvent[] = [];
    let appended = 0;
    for (const e of logEvents(TOTAL, random)) {
      batch.push(e);
      if (batch.length === 2_000) {
        await log.append(batch);
        appended += batch.length;
        batch = [];
        if (appended % 100_000 === 0) process.stderr.write(`  appended ${appended}\n`);
      }
    }
    if (batch.length > 0) await log.append(batch);
    result.appendSeconds = seconds(t);
    const head = await log.head();
    const file = join(dir, 'log.avro');
    t = performance.now();
    await exportLog(log, file);
    result.exportSeconds = seconds(t);
    result.fileBytes = (await stat(file)).size;

    const fromFile = fileHistory(file, join(dir, 'snapshots'));
    const fromEtcd = logHistory(log, 'etcd');
    const baseline: Record<string, unknown> = {};
    const baselineSources = values['no-baseline']
      ? []
      : ([
          ['file', fromFile],
          ['etcd', fromEtcd],
        ] as const);
    for (const [name, history] of baselineSources) {
      t = performance.now();
      const r = await replayTo(history, NODE, head, {
        useSnapshots: false,
        onProgress: progress(`fold ${name}`),
      });
      const s = seconds(t);
      baseline[name] = { seconds: s, eventsPerSec: Math.round(r.folded / s), folded: r.folded };
    }
    result.withoutSnapshots = baseline;

    const snapshots: Record<string, unknown> = {};
    for (const [name, history] of [
      ['file', fromFile],
      ['etcd', fromEtcd],
    ] as const) {
      t = performance.now();
      const r = await takeSnapshots(history, NODE, {
        every: EVERY,
        onProgress: progress(`snapshots ${name}`),
      });
      const s = seconds(t);
      snapshots[name] = {
        seconds: s,
        saved: r.saved.length,
        meanBytes: Math.round(r.bytes / Math.max(1, r.saved.length)),
      };
    }
    result.takingSnapshots = snapshots;

    // Random points, plus the worst case: just before a snapshot (EVERY - 1 events to fold).
    const points = Array.from({ length: POINTS }, () => 1n + BigInt(Math.floor(random() * Number(head))));
    points.push(BigInt(Math.max(1, Number(head) - 1 - ((Number(head) - 1) % EVERY) - 1)));
    result.withSnapshots = {
      file: await pointQueries(fromFile, points),
      etcd: await pointQueries(fromEtcd, points),
    };
    // A time instead of a position: binary search over append times, then the replay.
    const middle = (await (async () => {
      for await (const e of log.read(head / 2n, head / 2n)) return e;
    })())!;
    const iso = new Date(middle.appendedAtMs).toISOString();
    t = performance.now();
    const at = await resolvePoint(fromEtcd, iso);
    await replayTo(fromEtcd, NODE, at);
    result.byTime = { at: iso, position: at.toString(), etcdSeconds: seconds(t) };
    fromFile.close();

    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    const ws = result.withSnapshots as Record<string, { maxSeconds: number; medianSeconds: number }>;
    const wo = baseline as Record<string, { seconds: number }>;
    const max = Math.max(
      wo.file?.seconds ?? 0,
      wo.etcd?.seconds ?? 0,
      ws.file!.maxSeconds,
      ws.etcd!.maxSeconds,
    );
    process.stdout.write(
      [
        `\nreplay --at P on a ${TOTAL.toLocaleString('en')}-event log (node ${NODE})`,
        ...(wo.file ? [bar('file, no snapshots (baseline)', wo.file.seconds, max)] : []),
        bar(`file, snapshots every ${EVERY} (max)`, ws.file!.maxSeconds, max),
        ...(wo.etcd ? [bar('etcd, no snapshots (baseline)', wo.etcd.seconds, max)] : []),
        bar(`etcd, snapshots every ${EVERY} (max)`, ws.etcd!.maxSeconds, max),
        '',
      ].join('\n'),
    );
    await writeFile(
      join('bench', 'results', values['no-baseline'] ? 'replay-snapshots.json' : 'replay.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } finally {
    client.close();
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('replay.ts')) await main();
