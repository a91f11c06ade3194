import { hostname } from 'node:os';
import type { Command } from 'commander';
import { DEFAULT_PIN_ROOT } from '../../datapath/paths.js';
import { EtcdAppliedPositionStore } from '../../nodeagent/appliedPositionStore.js';
import { CGROUP2_ROOT } from '../../nodeagent/cgroup.js';
import { DEFAULT_AGENT_SOCKET } from '../../nodeagent/cni/netConf.js';
import { startCniAgentSide } from '../../nodeagent/cni/startCniAgentSide.js';
import { KernelMapBackend } from '../../nodeagent/kernelMapBackend.js';
import { serveMetrics } from '../../nodeagent/metricsServer.js';
import { NodeAgent } from '../../nodeagent/nodeAgent.js';
import { type EtcdCliOptions, logger, openLog, withEtcdOptions } from '../etcdOptions.js';

interface AgentOptions extends EtcdCliOptions {
  node: string;
  pinRoot: string;
  cgroup: string;
  attach: boolean;
  metricsPort: string;
  driftCheckSeconds: string;
  maglevTableSize?: string;
  bpfLbMapMax?: string;
  cniSocket: string;
  cni: boolean;
}

/** `cairn agent`: the node agent of this node, against the cluster's log. */
export function registerAgent(program: Command): void {
  withEtcdOptions(
    program
      .command('agent')
      .description("follow this node's projection of the log and program its BPF maps")
      .option('--node <name>', "this node's name (as in Kubernetes)", hostname())
      .option('--pin-root <dir>', 'bpffs directory of the pinned maps and links', DEFAULT_PIN_ROOT)
      .option('--cgroup <dir>', 'cgroup v2 directory socket load balancing applies to', CGROUP2_ROOT)
      .option('--no-attach', 'do not attach the socket load-balancing programs')
      .option('--metrics-port <port>', 'Prometheus metrics on 127.0.0.1:<port>/metrics (0: off)', '9464')
      .option('--drift-check-seconds <s>', 'period of the full comparison that repairs drift', '60')
      .option('--maglev-table-size <m>', 'Maglev table size (a prime)')
      .option(
        '--bpf-lb-map-max <n>',
        'capacity of the services, backends and rev-NAT maps (default 65536; a Service takes 1 + its backends in services)',
      )
      .option(
        '--cni-socket <path>',
        "where the CNI plugin posts its events (the conflist's agentSocket)",
        DEFAULT_AGENT_SOCKET,
      )
      .option('--no-cni', "neither take the CNI plugin's events nor attach policy programs to pod veths"),
  ).action(async (options: AgentOptions) => {
    const opened = await openLog(options, false);
    const backend = KernelMapBackend.open({
      pinRoot: options.pinRoot,
      ...(options.attach ? { cgroupPath: options.cgroup } : {}),
      ...(options.maglevTableSize ? { maglevTableSize: Number(options.maglevTableSize) } : {}),
      ...(options.bpfLbMapMax ? { mapMaxEntries: lbMapCapacities(options.bpfLbMapMax) } : {}),
    });
    const onError = (error: unknown) => logger.warn({ err: error }, 'agent error (retrying)');
    // The CNI plugin's side on the node: its event socket, and the policy programs on pod veths.
    const cni = options.cni
      ? await startCniAgentSide({
          log: opened.log,
          pinRoot: options.pinRoot,
          socketPath: options.cniSocket,
          onError,
        })
      : undefined;
    const agent = new NodeAgent({
      node: options.node,
      log: opened.log,
      backend,
      positions: new EtcdAppliedPositionStore(opened.log.etcd),
      driftCheckMs: Number(options.driftCheckSeconds) * 1000,
      ...(options.maglevTableSize
        ? { projectionOptions: { maglevTableSize: Number(options.maglevTableSize) } }
        : {}),
      onError,
      ...(cni ? { onEndpoints: cni.onEndpoints } : {}),
    });
    const metricsPort = Number(options.metricsPort);
    const metrics = metricsPort > 0 ? await serveMetrics(metricsPort) : undefined;
    const report = await agent.start();
    logger.info(
      {
        node: options.node,
        position: String(report.position),
        events: report.events,
        writes: report.writes,
        ms: Math.round(report.millis),
      },
      'agent started: maps match the log',
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await agent.stop();
    await cni?.close();
    await backend.close();
    metrics?.close();
    await opened.close();
  });
}

/** --bpf-lb-map-max: one capacity for the three load-balancing maps, as Cilium's flag of that name. */
function lbMapCapacities(text: string) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 28) {
    throw new RangeError(
      `--bpf-lb-map-max must be an integer between 1 and ${2 ** 28}, got ${JSON.stringify(text)}`,
    );
  }
  return { services: n, backends: n, revNat: n };
}
