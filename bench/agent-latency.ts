/**
 * Node agent on the real kernel maps: with N Services already programmed, the time from the
 * append of one Service change to the kernel map holding it, the map syscalls per change, the
 * start-up resync (nothing changed, and 1% changed), and resident memory. Prints JSON and writes
 * bench/results/agent-latency.json. Needs root (BPF).
 *
 *   npx tsx bench/agent-latency.ts [--services 1000,10000,100000] [--backends 2] [--changes 200]
 */
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BPFFS_ROOT } from '../src/datapath/paths.js';
import { connectEtcd } from '../src/etcd/etcdClient.js';
import { startEtcdServer } from '../src/etcd/etcdServer.js';
import type { AnyEvent } from '../src/events/envelope.js';
import { EtcdEventLog } from '../src/events/etcdEventLog.js';
import type { MapDelta } from '../src/maps/delta.js';
import { KernelMapBackend } from '../src/nodeagent/kernelMapBackend.js';
import type { ApplyResult, MapBackend } from '../src/nodeagent/mapBackend.js';
import { NodeAgent } from '../src/nodeagent/nodeAgent.js';
import { endpointSliceUpserted, serviceUpserted } from '../src/samples/sampleEvents.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000,10000,100000' },
    backends: { type: 'string', default: '2' },
    changes: { type: 'string', default: '200' },
    'maglev-table-size': { type: 'string', default: '251' },
  },
});
const sizes = values.services.split(',').map(Number);
const backendsPerService = Number(values.backends);
const changes = Number(values.changes);
const maglevTableSize = Number(values['maglev-table-size']);

/** Counts backend calls: each `apply` is one batch syscall (or a per-element loop on old kernels). */
class CountingBackend implements MapBackend {
  readonly name: string;
  calls = 0;
  entries = 0;
  constructor(readonly inner: MapBackend) {
    this.name = `counting(${inner.name})`;
  }
  dump = <M extends Parameters<MapBackend['dump']>[0]>(map: M) => this.inner.dump(map);
  fill = (map: Parameters<MapBackend['fill']>[0]) => this.inner.fill(map);
  close = () => this.inner.close();
  async apply(ops: readonly MapDelta[]): Promise<ApplyResult> {
    this.calls++;
    this.entries += ops.length;
    return this.inner.apply(ops);
  }
}

const octets = (i: number) => `${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const service = (i: number, rv: number) => {
  const e = serviceUpserted('bench', `svc-${i}`, `10.${octets(i)}`, 80, String(rv));
  return { ...e, payload: { ...e.payload, sessionAffinity: 'None' } } as AnyEvent;
};
const slice = (i: number, rv: number, count: number) =>
  endpointSliceUpserted(
    'bench',
    `svc-${i}`,
    Array.from({ length: count }, (_, k) => `172.${(k + rv) % 250}.${octets(i).slice(2)}`),
    8080,
    String(rv),
  );

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function measure(n: number) {
  const etcd = await startEtcdServer({ extraArgs: ['--quota-backend-bytes=8589934592'] });
  const client = connectEtcd({ endpoints: etcd.endpoints, callTimeoutMs: 60_000 });
  const pinRoot = join(BPFFS_ROOT, `cairn-bench-${process.pid}-${n}`);
  const log = new EtcdEventLog({ client, endpoints: etcd.endpoints, prefix: '/bench/' });
  try {
    const initial: AnyEvent[] = [];
    for (let i = 0; i < n; i++) initial.push(service(i, 1), slice(i, 1, backendsPerService));
    for (let i = 0; i < initial.length; i += 10_000) await log.append(initial.slice(i, i + 10_000));

    const open = () =>
      new CountingBackend(KernelMapBackend.open({ pinRoot, maglevTableSize, mapMaxEntries: mapSizes(n) }));
    const backend = open();
    const agent = new NodeAgent({
      node: 'bench',
      log,
      backend,
      windowMs: 0,
      projectionOptions: { maglevTableSize },
    });
    const firstStart = await agent.start();

    // One change at a time: an endpoint moves (new backend, slot rewritten, old backend deleted).
    const latencies: number[] = [];
    const syscalls: number[] = [];
    const writes: number[] = [];
    for (let c = 0; c < changes; c++) {
      const i = Math.floor((c * 7919) % n);
      const callsBefore = backend.calls;
      const entriesBefore = backend.entries;
      const started = performance.now();
      const [result] = await log.append([slice(i, 2 + c, backendsPerService)]);
      await agent.whenApplied(result!.position);
      latencies.push(performance.now() - started);
      syscalls.push(backend.calls - callsBefore);
      writes.push(backend.entries - entriesBefore);
    }
    const rssMiB = process.memoryUsage().rss / 2 ** 20;
    await agent.stop();
    await backend.close();

    /** An agent process restarted on the same pinned maps: start, then stop. */
    const restart = async () => {
      const again = open();
      const restarted = new NodeAgent({
        node: 'bench',
        log,
        backend: again,
        windowMs: 0,
        projectionOptions: { maglevTableSize },
      });
      const report = await restarted.start();
      await restarted.stop();
      await again.close();
      return report;
    };

    // Restart with nothing changed.
    const unchanged = await restart();

    // 1% of the Services change while the agent is down, then it restarts.
    const onePercent: AnyEvent[] = [];
    for (let i = 0; i < n; i += 100) onePercent.push(slice(i, 100_000, backendsPerService));
    await log.append(onePercent);
    const changed = await restart();

    return {
      services: n,
      backendsPerService,
      firstStart: { ms: firstStart.millis, events: firstStart.events, writes: firstStart.writes },
      changeLatencyMs: {
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
      },
      syscallsPerChange: { p50: percentile(syscalls, 50), max: Math.max(...syscalls) },
      mapWritesPerChange: { p50: percentile(writes, 50), max: Math.max(...writes) },
      restartUnchanged: { ms: unchanged.millis, writes: unchanged.writes, events: unchanged.events },
      restartOnePercentChanged: {
        ms: changed.millis,
        writes: changed.writes,
        changedServices: onePercent.length,
      },
      rssMiB,
    };
  } finally {
    client.close();
    await etcd.stop();
    rmSync(pinRoot, { recursive: true, force: true });
  }
}

/** Map capacities for N services: masters + slots, backends, rev-NAT, with headroom. */
function mapSizes(n: number) {
  const headroom = (x: number) => Math.max(65_536, 2 ** Math.ceil(Math.log2(x * 1.25)));
  return {
    services: headroom(n * (1 + backendsPerService)),
    backends: headroom(n * backendsPerService * 2),
    revNat: headroom(n),
  };
}

const results = [];
for (const n of sizes) {
  process.stderr.write(`agent bench: ${n} services...\n`);
  results.push(await measure(n));
}
const byN = new Map(results.map((r) => [r.services, r]));
const first = byN.get(Math.min(...sizes))!;
const last = byN.get(Math.max(...sizes))!;
const report = {
  bench: 'agent-latency',
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
  log: 'etcd (Debian, loopback)',
  results,
  headline: {
    p50Ratio: last.changeLatencyMs.p50 / first.changeLatencyMs.p50,
    p99Ratio: last.changeLatencyMs.p99 / first.changeLatencyMs.p99,
    from: first.services,
    to: last.services,
  },
};
const json = JSON.stringify(report, null, 2);
process.stdout.write(`${json}\n`);
writeFileSync(join(import.meta.dirname, 'results', 'agent-latency.json'), `${json}\n`);
