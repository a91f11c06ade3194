import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Command, Option } from 'commander';
import { dumpNodeMaps } from '../../datapath/dumpMaps.js';
import { BPFFS_ROOT } from '../../datapath/paths.js';
import type { AnyEvent } from '../../events/envelope.js';
import { EtcdAppliedPositionStore } from '../../nodeagent/appliedPositionStore.js';
import { ensureCgroup, inCgroup, removeCgroup } from '../../nodeagent/cgroup.js';
import { KernelMapBackend } from '../../nodeagent/kernelMapBackend.js';
import { NodeAgent } from '../../nodeagent/nodeAgent.js';
import { packageRoot } from '../../paths.js';
import { eventsFromManifests } from '../../samples/manifests.js';
import { DEMO_POD_PREFIX, startDemoPods } from '../demo/demoPods.js';
import { type EtcdCliOptions, logger, openLog, withEtcdOptions } from '../etcdOptions.js';
import { formatEventJson, formatEventLine } from '../formatEvent.js';
import { formatMaps, type MapsView } from '../formatMaps.js';
import { feedCluster } from './feedCluster.js';

interface RunOptions extends EtcdCliOptions {
  manifests?: string[];
  kubeconfig?: string;
  kube: boolean;
  cluster: string;
  node: string;
  datapath: boolean;
  backends: boolean;
  once: boolean;
  keep: boolean;
  output: 'text' | 'json';
}

const print = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `cairn run`: the whole local pipeline. etcd (embedded unless --etcd-endpoints), the log, a
 * local kube-apiserver with apiwatch following it and the manifests applied with kubectl (or a
 * real cluster with --kubeconfig), this node's projection and agent on the real BPF maps, and a
 * request to each Service's ClusterIP through the socket load balancer.
 */
export function registerRun(program: Command): void {
  withEtcdOptions(
    program
      .command('run')
      .description('start the local pipeline: etcd, the log, the projection and the agent on real BPF maps')
      .option(
        '--manifests <files...>',
        'Kubernetes manifests to append as events (default: examples/demo/web.yaml)',
      )
      .option('--kubeconfig <file>', 'follow this cluster with apiwatch instead of starting a local one')
      .option('--no-kube', 'no local kube-apiserver: append the manifests as the events apiwatch would write')
      .option('--cluster <name>', 'cluster name recorded in the events', 'local')
      .option('--node <name>', "this node's name", hostname())
      .option('--no-datapath', 'only the log: no BPF (for machines without root)')
      .option(
        '--no-backends',
        `do not serve the demo endpoints (${DEMO_POD_PREFIX}x) from a network namespace`,
      )
      .option('--once', 'show everything once and exit instead of following the log', false)
      .option('--keep', 'leave the pinned maps, links and cgroup in place on exit', false)
      .addOption(
        new Option('-o, --output <format>', 'text or json lines').choices(['text', 'json']).default('text'),
      ),
  ).action(async (options: RunOptions) => {
    const opened = await openLog(options, true);
    const { log } = opened;
    const format = options.output === 'json' ? formatEventJson : formatEventLine;
    log.skipped.onSkip((s) =>
      logger.warn({ key: s.key, position: String(s.position), reason: s.reason }, 'skipped event'),
    );
    const cleanups: (() => Promise<void> | void)[] = [() => opened.close()];
    try {
      const manifests = options.manifests ?? [join(packageRoot(), 'examples', 'demo', 'web.yaml')];
      const events = await eventsFromManifests(manifests, options.cluster);
      const feed = await feedCluster({
        log,
        cluster: options.cluster,
        etcdEndpoints: opened.endpoints,
        manifests,
        manifestEvents: events,
        kube: options.kube,
        logger,
        print,
        ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
      });
      cleanups.push(() => feed.stop());
      print('# the log');
      for await (const event of log.read()) print(format(event));

      if (options.datapath) {
        if (process.getuid?.() !== 0) {
          throw new Error('the datapath needs root (BPF maps, cgroups): run as root, or pass --no-datapath');
        }
        if (options.backends) {
          const pods = await startDemoPods(demoEndpoints(events));
          cleanups.push(() => pods.close());
        }
        const cgroup = ensureCgroup(`cairn-run-${process.pid}`);
        const pinRoot = join(BPFFS_ROOT, `cairn-run-${process.pid}`);
        cleanups.push(() => {
          if (options.keep) return;
          rmSync(pinRoot, { recursive: true, force: true });
          removeCgroup(cgroup);
        });
        const backend = KernelMapBackend.open({ pinRoot, cgroupPath: cgroup });
        cleanups.push(() => backend.close());
        const agent = new NodeAgent({
          node: options.node,
          log,
          backend,
          positions: new EtcdAppliedPositionStore(log.etcd),
          onError: (error) => logger.warn({ err: error }, 'agent error (retrying)'),
        });
        cleanups.push(() => agent.stop());
        const report = await agent.start();
        print(
          `# agent on node ${options.node}: maps at log position ${report.position} after ${report.writes} map writes in ${report.millis.toFixed(1)} ms (pinned under ${pinRoot})`,
        );
        print(formatMaps((await dumpNodeMaps(pinRoot)).maps as MapsView));
        for (const target of clusterIpTargets(events)) {
          for (let i = 0; i < 4; i++) {
            const started = performance.now();
            const [shell, ...args] = inCgroup(cgroup, `curl -s -m 2 http://${target}/`);
            // Asynchronously: the demo backends answer from this very process.
            const answer = await promisify(execFile)(shell!, args, { encoding: 'utf8' }).then(
              (r) => r.stdout.trim(),
              (e: { code?: number; stderr?: string }) =>
                `failed (curl exit ${e.code}) ${e.stderr?.trim() ?? ''}`,
            );
            print(
              `$ curl http://${target}/  ->  ${answer}  [${(performance.now() - started).toFixed(1)} ms]`,
            );
          }
        }
        if (options.once) return;
        logger.info('following the log; Ctrl-C to stop');
        const subscription = log.tail(report.position + 1n).subscribe((event) => print(format(event)));
        cleanups.push(() => subscription.unsubscribe());
      } else if (options.once) {
        return;
      } else {
        const subscription = log.tail((await log.head()) + 1n).subscribe((event) => print(format(event)));
        cleanups.push(() => subscription.unsubscribe());
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup();
      print(`# ${log.skipped.count} undecodable events skipped`);
    }
  });
}

/** Endpoint addresses in the demo's pod network, with the slice port: the demo serves them itself. */
function demoEndpoints(events: readonly AnyEvent[]) {
  const out: { address: string; port: number; name: string }[] = [];
  for (const event of events) {
    if (event.type !== 'EndpointSliceUpserted') continue;
    const port = event.payload.ports[0]?.port;
    if (!port) continue;
    for (const endpoint of event.payload.endpoints) {
      for (const address of endpoint.addresses) {
        if (address.startsWith(DEMO_POD_PREFIX))
          out.push({ address, port, name: endpoint.targetRef?.name ?? address });
      }
    }
  }
  return out;
}

/** ClusterIP:port of every TCP Service port in the events. */
function clusterIpTargets(events: readonly AnyEvent[]): string[] {
  const out: string[] = [];
  for (const event of events) {
    if (event.type !== 'ServiceUpserted') continue;
    const ip = event.payload.clusterIPs[0];
    if (!ip || ip === 'None') continue;
    for (const port of event.payload.ports) if (port.protocol === 'TCP') out.push(`${ip}:${port.port}`);
  }
  return out;
}
