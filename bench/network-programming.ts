/**
 * Network programming latency versus Service count: cairn side by side with kube-proxy
 * (iptables mode and nftables mode), in one run, on one real kube-apiserver. kube-proxy's
 * iptables mode runs Debian's iptables-legacy (its faster backend here: iptables-nft 1.8.9's
 * restore is quadratic in chains, 7+ minutes for one full sync of 10,000 Services); the system
 * `iptables-nft` runs it on iptables-nft instead.
 *
 * The bench starts etcd (Debian's) and kube-apiserver (scripts/build-kube.sh's) on loopback, then
 * for each N creates Services through the API until there are N (each with one EndpointSlice of
 * k endpoints), and runs each programmer in turn with the machine to itself: starts it, waits
 * until its kernel state holds the whole cluster (the initial sync), performs M single changes (a
 * fixed mix: add an endpoint, remove an endpoint, create a Service, delete a Service), each timed
 * from the API's acknowledgement to the kernel holding it, then stops it. At --restart-at it also
 * restarts each programmer with nothing changed. Writes bench/results/network-programming.json,
 * a chart (.svg, and .png when Debian's chromium is there), and the README's table.
 *
 *   sudo npx tsx bench/network-programming.ts [--sizes 1000,5000,10000,30000,100000]
 *     [--kube-proxy-max 100000] [--systems cairn,iptables,nftables[,iptables-nft]] [--endpoints 10] [--changes 40]
 *     [--budget-minutes 20] [--restart-at 10000] [--gap-ms 2100] [--seed 7] [--no-readme]
 *   npx tsx bench/network-programming.ts --report-only   (chart and README again, from the JSON)
 *
 * Needs root (BPF maps, network namespaces), scripts/setup.sh run (the compiled CLI, the addon,
 * kube-apiserver and kube-proxy), and Debian's nftables, iptables and socat.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { BPFFS_ROOT } from '../src/datapath/paths.js';
import { type EtcdServer, startEtcdServer } from '../src/etcd/etcdServer.js';
import { freePort } from '../src/etcd/freePort.js';
import { type KubeApiserver, startKubeApiserver } from '../src/kube/apiserverHarness.js';
import { KUBE_VERSION, kubeBinaryPath, missingKubeBinary } from '../src/kube/kubeBinaries.js';
import { packageRoot } from '../src/paths.js';
import { CairnProgrammer } from './programming/cairnProgrammer.js';
import { type AppliedChange, applyChange, CHANGE_KINDS, type ChangeKind } from './programming/changes.js';
import { KubeClient } from './programming/kubeClient.js';
import { KubeProxyProgrammer } from './programming/kubeProxyProgrammer.js';
import { NAMESPACE, Population } from './programming/population.js';
import { processUsage } from './programming/procStats.js';
import type { ClusterSize, Programmer } from './programming/programmer.js';
import { histogramQuantile, histogramSince, readHistogram } from './programming/promText.js';
import { chartSvg, markdownReport, spliceReadme } from './programming/report.js';
import { type BenchReport, headline, type PhaseResult, type RestartResult } from './programming/results.js';
import { summarize } from './programming/summary.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000,10000,30000,100000' },
    'kube-proxy-max': { type: 'string', default: '100000' },
    systems: { type: 'string', default: 'cairn,iptables,nftables' },
    endpoints: { type: 'string', default: '10' },
    changes: { type: 'string', default: '40' },
    'budget-minutes': { type: 'string', default: '20' },
    'restart-at': { type: 'string', default: '10000' },
    'gap-ms': { type: 'string', default: '2100' },
    seed: { type: 'string', default: '7' },
    concurrency: { type: 'string', default: '32' },
    'no-readme': { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const KUBE_PROXY_MAX = Number(values['kube-proxy-max']);
type System = 'cairn' | 'iptables' | 'iptables-nft' | 'nftables';
const SYSTEMS = values.systems.split(',') as System[];
const ENDPOINTS = Number(values.endpoints);
const CHANGES = Number(values.changes);
const BUDGET_MS = Number(values['budget-minutes']) * 60_000;
const RESTART_AT = Number(values['restart-at']);
const GAP_MS = Number(values['gap-ms']);
const CLUSTER_CIDR = '10.128.0.0/9';
const RESULTS = join(import.meta.dirname, 'results');

const log = (line: string) => process.stderr.write(`[network-programming] ${line}\n`);

/** What to undo if the bench is interrupted (Ctrl-C): the running programmer, then the cluster. */
const undo = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    log(`${signal}: cleaning up`);
    for (const step of [...undo].reverse()) await step().catch(() => undefined);
    process.exit(130);
  });
}

function preflight(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('needs root (BPF maps, network namespaces)');
  for (const binary of ['kube-apiserver', 'kube-proxy'] as const) {
    const missing = missingKubeBinary(binary);
    if (missing) problems.push(missing);
  }
  for (const tool of ['nft', 'iptables', 'socat', 'ip', 'curl', 'etcd']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      problems.push(`${tool} not found (scripts/setup.sh installs it)`);
    }
  }
  if (!existsSync(join(packageRoot(), 'dist', 'src', 'cli', 'main.js'))) {
    problems.push('the compiled CLI is missing (run scripts/setup.sh)');
  }
  if (!existsSync(join(BPFFS_ROOT))) problems.push(`no bpffs at ${BPFFS_ROOT}`);
  if (problems.length > 0) throw new Error(`cannot run the bench:\n  ${problems.join('\n  ')}`);
}

/** mulberry32: a seeded generator, so every run picks the same Services. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The running cluster the phases share. */
interface Bench {
  readonly dir: string;
  readonly etcd: EtcdServer;
  readonly apiserver: KubeApiserver;
  readonly api: KubeClient;
  readonly population: Population;
  readonly random: () => number;
}

const NODES: Record<System, string> = {
  cairn: 'bench-cairn',
  iptables: 'bench-iptables',
  'iptables-nft': 'bench-iptables-nft',
  nftables: 'bench-nftables',
};

async function startBench(): Promise<Bench> {
  preflight();
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-np-'));
  log(`work dir ${dir} (logs of every process)`);
  const etcd = await startEtcdServer({
    logFile: join(dir, 'etcd.log'),
    extraArgs: ['--quota-backend-bytes=8589934592'],
  });
  const apiserver = await startKubeApiserver({
    etcdEndpoints: etcd.endpoints,
    dir: join(dir, 'kube'),
    serviceClusterIPRange: '10.96.0.0/12',
    startTimeoutMs: 180_000,
  });
  const api = new KubeClient(apiserver.url, await readFile(apiserver.caFile), apiserver.adminToken);
  const population = new Population(api, ENDPOINTS);
  const b = { dir, etcd, apiserver, api, population, random: rng(Number(values.seed)) };
  undo.add(() => stopBench(b));
  await population.prepare(Object.values(NODES));
  return b;
}

async function stopBench(b: Bench): Promise<void> {
  b.api.close();
  await b.apiserver.stop();
  await b.etcd.stop();
  await rm(b.dir, { recursive: true, force: true });
}

/** Service ports and endpoints the programmers must hold: the bench's plus what the API server made. */
async function clusterSize({ api, population }: Bench): Promise<ClusterSize> {
  type List = { items: { spec: { ports?: unknown[]; clusterIP?: string } }[] };
  type Slices = { items: { endpoints?: unknown[] }[] };
  let services = 0;
  let endpoints = 0;
  const others = `?fieldSelector=metadata.namespace!=${NAMESPACE}`;
  for (const s of (await api.get<List>(`/api/v1/services${others}`)).body.items) {
    if (s.spec.clusterIP !== 'None') services += s.spec.ports?.length ?? 0;
  }
  for (const s of (await api.get<Slices>(`/apis/discovery.k8s.io/v1/endpointslices${others}`)).body.items) {
    endpoints += s.endpoints?.length ?? 0;
  }
  for (const s of population.services.values()) {
    services += 1;
    endpoints += s.endpoints.length;
  }
  return { services, endpoints };
}

function programmerFor(b: Bench, system: System, n: number, metricsPort: number): Programmer {
  const { etcd, apiserver, dir, population } = b;
  if (system === 'cairn') {
    return new CairnProgrammer({
      etcdEndpoints: etcd.endpoints,
      prefix: '/cairn/',
      kubeconfig: apiserver.kubeconfigPath,
      node: NODES.cairn,
      pinRoot: join(BPFFS_ROOT, `cairn-bench-np-${process.pid}`),
      lbMapMax: Math.max(65_536, 2 ** Math.ceil(Math.log2(n * (ENDPOINTS + 2) * 1.25))),
      metricsPort,
      dir,
      services: () => population.services.values(),
    });
  }
  return new KubeProxyProgrammer({
    mode: system === 'nftables' ? 'nftables' : 'iptables',
    ...(system === 'iptables-nft' ? { iptablesBackend: 'nft' as const } : {}),
    node: NODES[system],
    nodeIndex: SYSTEMS.indexOf(system) + 1,
    apiserverPort: apiserver.port,
    caFile: apiserver.caFile,
    token: apiserver.adminToken,
    binary: kubeBinaryPath('kube-proxy'),
    dir,
    clusterCidr: CLUSTER_CIDR,
  });
}

/** One programmer at one N: initial sync, M changes, (restart), stop. */
async function phase(b: Bench, system: System, n: number): Promise<PhaseResult> {
  const { apiserver, etcd, population, random } = b;
  const programmer = programmerFor(b, system, n, await freePort());
  const name = programmer.system;
  const base = { system: name, services: n, endpointsPerService: ENDPOINTS };
  const deadlineAt = performance.now() + BUDGET_MS;
  const size = await clusterSize(b);
  const stop = () => programmer.stop();
  undo.add(stop);
  try {
    const startedAt = await programmer.start();
    let convergedAt: number;
    try {
      convergedAt = await programmer.waitConverged(size, deadlineAt);
    } catch (error) {
      return {
        ...base,
        finished: false,
        changes: 0,
        note: `initial sync not done in ${values['budget-minutes']} min: ${(error as Error).message}`,
      };
    }
    const initialSync = {
      seconds: (convergedAt - startedAt) / 1000,
      cpuSeconds: programmer.usage().cpuSeconds,
    };
    log(`${name} @ ${n}: initial sync ${initialSync.seconds.toFixed(1)} s`);
    await sleep(GAP_MS);

    const metricsBefore = await programmer.metrics();
    const cpuBefore = programmer.usage().cpuSeconds;
    const controlBefore = {
      apiserver: processUsage(apiserver.pid)?.cpuSeconds ?? 0,
      etcd: processUsage(etcd.pid)?.cpuSeconds ?? 0,
    };
    const raw: { kind: ChangeKind; ms: number; ambiguous?: boolean }[] = [];
    const followUps: AppliedChange['after'][] = [];
    let note: string | undefined;
    for (let i = 0; i < CHANGES; i++) {
      if (performance.now() > deadlineAt) {
        note = `budget of ${values['budget-minutes']} min spent`;
        break;
      }
      const change = await applyChange(population, i, random);
      followUps.push(change.after);
      try {
        const done = await programmer.waitProgrammed(change.expectation, change.ackAt, deadlineAt);
        raw.push({
          kind: change.expectation.kind,
          ms: done.at - change.ackAt,
          ...(done.ambiguous ? { ambiguous: true } : {}),
        });
      } catch (error) {
        note = (error as Error).message;
        break;
      }
      await sleep(GAP_MS);
    }
    const usage = programmer.usage();
    const controlPlaneCpuSeconds = {
      apiserver: (processUsage(apiserver.pid)?.cpuSeconds ?? 0) - controlBefore.apiserver,
      etcd: (processUsage(etcd.pid)?.cpuSeconds ?? 0) - controlBefore.etcd,
    };
    const metricsAfter = await programmer.metrics();
    // The deleted Services' slices (no garbage collector runs), outside the measurement.
    for (const after of followUps) await after?.();
    // The restart gets a budget of its own: the changes may have spent the phase's.
    const restart =
      n === RESTART_AT
        ? await restartStory(b, programmer, await clusterSize(b), performance.now() + BUDGET_MS).catch(
            (error: Error) => [{ variant: `restart not done: ${error.message}`, readyMs: Number.NaN }],
          )
        : undefined;
    const ms = raw.map((r) => r.ms);
    const byKind = Object.fromEntries(
      CHANGE_KINDS.map((k) => [k, summarize(raw.filter((r) => r.kind === k).map((r) => r.ms))]),
    );
    log(`${name} @ ${n}: median ${summarize(ms)?.median.toFixed(2)} ms over ${raw.length} changes`);
    return {
      ...base,
      finished: note === undefined,
      ...(note ? { note } : {}),
      initialSync,
      ...(ms.length ? { latencyMs: summarize(ms)! } : {}),
      latencyByKindMs: byKind,
      changes: raw.length,
      ambiguous: raw.filter((r) => r.ambiguous).length,
      cpuSecondsDuringChanges: usage.cpuSeconds - cpuBefore,
      rssMiB: usage.rssMiB,
      peakRssMiB: usage.peakRssMiB,
      controlPlaneCpuSeconds,
      ...(system === 'cairn' ? {} : { crossCheck: crossCheck(metricsBefore, metricsAfter) }),
      ...(restart ? { restart } : {}),
      raw,
    };
  } finally {
    undo.delete(stop);
    await programmer.stop();
  }
}

/** Restart with nothing changed: cairn's agent (without, then with a projection snapshot); kube-proxy. */
async function restartStory(
  b: Bench,
  programmer: Programmer,
  size: ClusterSize,
  deadlineAt: number,
): Promise<RestartResult[]> {
  await sleep(GAP_MS);
  if (programmer instanceof KubeProxyProgrammer) {
    const r = await programmer.restart(size, deadlineAt);
    return [{ variant: 'process restarted', readyMs: r.readyMs, syncMs: r.syncMs }];
  }
  const cairn = programmer as CairnProgrammer;
  const out: RestartResult[] = [];
  await cairn.stopAgent();
  let r = await cairn.startAgent();
  out.push({ variant: 'agent restarted, no snapshot', writes: r.writes, readyMs: r.readyAt - r.spawnedAt });
  execFileSync(
    process.execPath,
    [
      join(packageRoot(), 'bin', 'cairn.js'),
      ...['snapshot', '--node', NODES.cairn, '--etcd-endpoints', ...b.etcd.endpoints, '--prefix', '/cairn/'],
    ],
    { stdio: 'ignore' },
  );
  await cairn.stopAgent();
  r = await cairn.startAgent();
  out.push({
    variant: 'agent restarted from a snapshot',
    writes: r.writes,
    readyMs: r.readyAt - r.spawnedAt,
  });
  return out;
}

function crossCheck(before: string | undefined, after: string | undefined) {
  if (!after) return {};
  const read = (name: string) => {
    const now = readHistogram(after, name);
    if (!now) return undefined;
    const h = histogramSince(now, before ? readHistogram(before, name) : undefined);
    const q = (p: number) => histogramQuantile(h, p) * 1000;
    return { count: h.count, p50: q(0.5), p90: q(0.9), p99: q(0.99) };
  };
  return {
    networkProgrammingMs: read('kubeproxy_network_programming_duration_seconds'),
    syncMs: read('kubeproxy_sync_proxy_rules_duration_seconds'),
  };
}

async function runBench(): Promise<BenchReport> {
  const b = await startBench();
  const results: PhaseResult[] = [];
  try {
    for (const n of [...SIZES].sort((x, y) => x - y)) {
      const bar = new SingleBar({
        format: `Services {value}/{total} through the API [{bar}] {eta_formatted}`,
      });
      if (process.stderr.isTTY) bar.start(n, b.population.services.size);
      const growStart = performance.now();
      await b.population.grow(n, Number(values.concurrency), (total) => bar.update(total));
      bar.stop();
      log(`${n} Services created in ${((performance.now() - growStart) / 1000).toFixed(0)} s`);
      for (const system of SYSTEMS) {
        if (system !== 'cairn' && n > KUBE_PROXY_MAX) {
          results.push({
            system: `kube-proxy ${system}`,
            services: n,
            endpointsPerService: ENDPOINTS,
            finished: false,
            changes: 0,
            note: `not run: above --kube-proxy-max ${KUBE_PROXY_MAX}`,
          });
          continue;
        }
        // A phase that fails is a row saying why, never the end of the run.
        results.push(
          await phase(b, system, n).catch((error: Error) => ({
            system: system === 'cairn' ? 'cairn' : `kube-proxy ${system}`,
            services: n,
            endpointsPerService: ENDPOINTS,
            finished: false,
            changes: 0,
            note: `failed: ${error.message}`,
          })),
        );
        // A checkpoint: an interrupted run keeps its finished phases (--report-only draws them).
        await writeFile(
          join(RESULTS, 'network-programming.json'),
          `${JSON.stringify(report(results), null, 2)}\n`,
        );
      }
    }
  } finally {
    await stopBench(b);
  }
  return report(results);
}

function report(results: PhaseResult[]): BenchReport {
  return {
    bench: 'network-programming',
    date: new Date().toISOString(),
    command: `sudo npx tsx bench/network-programming.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      loadAverage: loadavg(),
    },
    versions: { kubernetes: KUBE_VERSION, node: process.version },
    settings: {
      sizes: SIZES,
      kubeProxyMax: KUBE_PROXY_MAX,
      systems: SYSTEMS,
      endpoints: ENDPOINTS,
      changes: CHANGES,
      mix: CHANGE_KINDS.join(', '),
      gapMs: GAP_MS,
      budgetMinutes: Number(values['budget-minutes']),
      restartAt: RESTART_AT,
      seed: Number(values.seed),
    },
    results,
    headline: headline(results),
  };
}

/** The JSON, the chart and the README table. */
async function publish(report: BenchReport): Promise<void> {
  await writeFile(join(RESULTS, 'network-programming.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(RESULTS, 'network-programming.svg'), await chartSvg(report));
  await writePng(join(RESULTS, 'network-programming.svg'), join(RESULTS, 'network-programming.png'));
  const markdown = markdownReport(report);
  if (!values['no-readme']) {
    const readme = join(packageRoot(), 'README.md');
    await writeFile(readme, spliceReadme(await readFile(readme, 'utf8'), markdown));
  }
  process.stdout.write(`${JSON.stringify(report.headline, null, 2)}\n${markdown}\n`);
}

/** The SVG as a PNG, through headless Chromium when it is installed (Debian's chromium). */
async function writePng(svgFile: string, pngFile: string): Promise<void> {
  if (!existsSync('/usr/bin/chromium')) return;
  const page = join(tmpdir(), `cairn-chart-${process.pid}.html`);
  const svg = await readFile(svgFile, 'utf8');
  const size = (name: string) => Math.ceil(Number(svg.match(new RegExp(`${name}="([\\d.]+)"`))?.[1] ?? 800));
  await writeFile(page, `<html><body style="margin:0;overflow:hidden;background:#fff">${svg}</body></html>`);
  try {
    execFileSync(
      '/usr/bin/chromium',
      [
        ...[
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
        ],
        ...[
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${join(tmpdir(), `cairn-chromium-${process.pid}`)}`,
        ],
        `--screenshot=${pngFile}`,
        `--window-size=${size('width')},${size('height')}`,
        `file://${page}`,
      ],
      { stdio: 'ignore', timeout: 60_000 },
    );
  } finally {
    await rm(page, { force: true });
    await rm(join(tmpdir(), `cairn-chromium-${process.pid}`), { recursive: true, force: true });
  }
}

await publish(
  values['report-only']
    ? (JSON.parse(await readFile(join(RESULTS, 'network-programming.json'), 'utf8')) as BenchReport)
    : await runBench(),
);
