/**
 * Services projection bench: events/s through the fold, the cost of one Service change with
 * 1k / 10k / 100k Services in the state (median and p99; the 100k/1k ratio is the headline),
 * side by side with a baseline that rebuilds the full desired state per change (what an O(all)
 * projection, like kube-proxy's iptables resync, pays), and resident memory at 100k Services ×
 * 10 backends.
 *
 *   node --expose-gc --import tsx bench/projection-services.ts [--quick]
 *
 * Prints JSON on stdout (and, without --quick, to bench/results/projection-services.json) and a
 * small chart on stderr. Every Service has a ClusterIP and one TCP
 * port; one in ten also has an ExternalIP, hence a Maglev table. The state-size runs use a
 * Maglev table size of 1021 (not the default 16381) so 100k Services fit in memory with the same
 * setting at every size; one extra measurement gives the cost of a change at M = 16381.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import type { AnyEvent } from '../src/events/envelope.js';
import { actorNamed } from '../src/events/envelope.js';
import type {
  EndpointSliceUpserted,
  EventPayloads,
  EventType,
  ServiceUpserted,
} from '../src/events/payloads.js';
import { servicesDesired, servicesFold } from '../src/projections/services/servicesFold.js';
import type { ServicesState } from '../src/projections/services/servicesState.js';

const quick = process.argv.includes('--quick');
const startLoad = loadavg().map((x) => Math.round(x * 100) / 100);
const SIZES = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
const BACKENDS = 10;
const CHANGES = quick ? 500 : 5_000;
const M = 1021;

let seq = 0;
function ev<T extends EventType>(type: T, payload: EventPayloads[T]): AnyEvent {
  seq++;
  return {
    id: `${type}/${seq}`,
    cluster: 'bench',
    source: 'apiwatch',
    actor: actorNamed('bench'),
    timeMs: seq,
    causation: null,
    type,
    payload,
  } as AnyEvent;
}

const ip = (base: number, i: number) => `${base}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function service(i: number, rv = 1): ServiceUpserted {
  return {
    namespace: `ns-${i % 100}`,
    name: `svc-${i}`,
    uid: `uid-svc-${i}`,
    resourceVersion: String(rv),
    type: 'ClusterIP',
    clusterIPs: [ip(10, i)],
    ports: [{ name: 'http', protocol: 'TCP', port: 80 + (rv % 1000), targetPort: null, nodePort: null }],
    selector: { app: `svc-${i}` },
    externalIPs: i % 10 === 0 ? [ip(11, i)] : [],
    loadBalancerIngressIPs: [],
    sessionAffinity: 'None',
    sessionAffinityTimeoutSeconds: null,
    internalTrafficPolicy: null,
    externalTrafficPolicy: null,
    labels: {},
  };
}

/** Slice of Service i; `shift` replaces one endpoint, as a rolling update does. */
function slice(i: number, shift = 0): EndpointSliceUpserted {
  return {
    namespace: `ns-${i % 100}`,
    name: `svc-${i}-abcde`,
    uid: `uid-slice-${i}`,
    resourceVersion: String(shift + 1),
    serviceName: `svc-${i}`,
    addressType: 'IPv4',
    endpoints: Array.from({ length: BACKENDS }, (_, b) => ({
      addresses: [ip(20 + ((b + shift) % 200), i)],
      ready: true,
      serving: true,
      terminating: false,
      nodeName: `node-${b % 3}`,
      zone: null,
      targetRef: null,
    })),
    ports: [{ name: 'http', protocol: 'TCP', port: 8080, appProtocol: null }],
  };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function build(
  n: number,
  m: number,
): { state: ServicesState; seconds: number; cpuSeconds: number; events: number } {
  let state = servicesFold.init('node-0', { maglevTableSize: m });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    state = servicesFold.apply(state, ev('ServiceUpserted', service(i))).state;
    state = servicesFold.apply(state, ev('EndpointSliceUpserted', slice(i))).state;
  }
  const c = process.cpuUsage(c0);
  return {
    state,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuSeconds: (c.user + c.system) / 1e6,
    events: 2 * n,
  };
}

/**
 * Per-change cost in µs: alternately a rolling-update slice change and a Service port change of
 * a random Service. Wall time per `apply`, so GC pauses and CPU contention land in the tail:
 * `p99_us` is over all samples, `p99_best_round_us` the lowest p99 of rounds of 1,000 (less
 * sensitive to other processes on a shared machine), `gc` the pauses observed during the loop.
 * `cpu_*_us` is the process CPU time (all threads, so GC helpers count) per change: unlike wall
 * time it does not grow while other processes hold the CPU.
 */
let rng = 12345;
let changeSeq = 0;

async function changes(state: ServicesState, n: number, count: number, only?: (i: number) => boolean) {
  const samples: number[] = [];
  const cpu: number[] = [];
  const roundP99: number[] = [];
  let deltas = 0;
  const gcs: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push(e.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  for (let k = 0; k < count; k++) {
    rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
    let i = rng % n;
    while (only !== undefined && !only(i)) i = (i + 1) % n;
    // Every change is a real one: the shift / resourceVersion never repeats across calls.
    changeSeq++;
    const e =
      k % 2 === 0
        ? ev('EndpointSliceUpserted', slice(i, changeSeq))
        : ev('ServiceUpserted', service(i, changeSeq));
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = servicesFold.apply(state, e);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
    const c = process.cpuUsage(c0);
    cpu.push(c.user + c.system);
    deltas += r.deltas.length;
    if (samples.length % 1000 === 0)
      roundP99.push(
        quantile(
          samples.slice(-1000).sort((x, y) => x - y),
          0.99,
        ),
      );
  }
  await new Promise((resolve) => setTimeout(resolve, 10)); // let the GC entries be delivered
  observer.disconnect();
  samples.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    samples: count,
    cpu_median_us: round(quantile(cpu, 0.5)),
    cpu_p99_us: round(quantile(cpu, 0.99)),
    median_us: round(quantile(samples, 0.5)),
    p99_us: round(quantile(samples, 0.99)),
    ...(roundP99.length > 0 ? { p99_best_round_us: round(Math.min(...roundP99)) } : {}),
    mean_deltas: round(deltas / count),
    gc: {
      pauses: gcs.length,
      total_ms: round(gcs.reduce((x, y) => x + y, 0)),
      max_ms: round(Math.max(0, ...gcs)),
    },
  };
}

/** Baseline: rebuild the whole desired state (O(all Services)) per change. */
function baseline(state: ServicesState, reps: number) {
  const samples: number[] = [];
  for (let k = 0; k < reps; k++) {
    const t0 = process.hrtime.bigint();
    servicesDesired(state);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  samples.sort((a, b) => a - b);
  return { median_us: round(quantile(samples, 0.5)) };
}

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (b: number) => round(b / 2 ** 20, 1);

const perSize: Record<string, unknown>[] = [];
let memory: Record<string, unknown> | null = null;
let throughput: Record<string, unknown> | null = null;
for (const n of SIZES) {
  gc?.();
  const before = process.memoryUsage();
  const { state, seconds, cpuSeconds, events } = build(n, M);
  if (n === SIZES[SIZES.length - 1]) {
    throughput = {
      events,
      seconds: round(seconds),
      events_per_s: Math.round(events / seconds),
      events_per_cpu_s: Math.round(events / cpuSeconds),
    };
  }
  // Memory right after building, before the baseline's full rebuilds inflate the RSS.
  gc?.();
  const after = process.memoryUsage();
  await changes(state, n, 2_000); // warm-up: JIT and the first old-space growth
  const change = await changes(state, n, CHANGES);
  const full = baseline(state, n >= 100_000 ? 3 : 5);
  perSize.push({
    services: n,
    backends_per_service: BACKENDS,
    one_change: change,
    baseline_full_rebuild: full,
    rss_mib: mib(after.rss),
    heap_used_mib: mib(after.heapUsed),
    heap_delta_mib: mib(after.heapUsed - before.heapUsed),
  });
  if (n === 100_000)
    memory = {
      services: n,
      backends_per_service: BACKENDS,
      maglev_table_size: M,
      rss_mib: mib(after.rss),
      heap_used_mib: mib(after.heapUsed),
      gc_exposed: gc !== undefined,
    };
  // keep `state` alive until measured, then drop it before the next size
  void state.services.size;
}

// One change of a Service with an external frontend at the default Maglev size (16381).
const big = build(1_000, 16381);
const maglevDefault = await changes(big.state, 1_000, quick ? 100 : 400, (i) => i % 10 === 0);

type Change = {
  median_us: number;
  p99_us: number;
  p99_best_round_us?: number;
  cpu_median_us: number;
  cpu_p99_us: number;
};
const first = perSize[0]!.one_change as Change;
const last = perSize[perSize.length - 1]!.one_change as Change;
const result = {
  bench: 'projection-services',
  node: process.version,
  cpus: cpus().length,
  load_average_at_start: startLoad,
  date: new Date().toISOString(),
  maglev_table_size: M,
  throughput_events_per_s: throughput,
  sizes: perSize,
  headline: {
    [`median_ratio_${SIZES[SIZES.length - 1]}_vs_${SIZES[0]}`]: round(last.median_us / first.median_us),
    [`p99_ratio_${SIZES[SIZES.length - 1]}_vs_${SIZES[0]}`]: round(last.p99_us / first.p99_us),
    [`cpu_median_ratio_${SIZES[SIZES.length - 1]}_vs_${SIZES[0]}`]: round(
      last.cpu_median_us / first.cpu_median_us,
    ),
    [`cpu_p99_ratio_${SIZES[SIZES.length - 1]}_vs_${SIZES[0]}`]: round(last.cpu_p99_us / first.cpu_p99_us),
    [`p99_best_round_ratio_${SIZES[SIZES.length - 1]}_vs_${SIZES[0]}`]: round(
      (last.p99_best_round_us ?? Number.NaN) / (first.p99_best_round_us ?? Number.NaN),
    ),
  },
  one_change_external_frontend_maglev_16381: maglevDefault,
  memory_100k: memory,
};
console.log(JSON.stringify(result, null, 2));
if (!quick) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/projection-services.json', `${JSON.stringify(result, null, 2)}\n`);
}

// The picture: per-change median vs the full-rebuild baseline, log-scaled bars.
const bar = (us: number) => '#'.repeat(Math.max(1, Math.round(Math.log10(us + 1) * 10)));
process.stderr.write('\nper-change cost (median, log scale)        incremental | full rebuild\n');
for (const s of perSize) {
  const c = (s.one_change as { median_us: number }).median_us;
  const b = (s.baseline_full_rebuild as { median_us: number }).median_us;
  process.stderr.write(`${String(s.services).padStart(7)} svc  ${bar(c).padEnd(40)} ${c} µs | ${b} µs\n`);
}
