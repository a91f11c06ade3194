/**
 * cairn as a node runs it: `cairn apiwatch` turns the API server's changes into log events in
 * etcd, `cairn agent` folds this node's projection of the log and programs its pinned BPF maps
 * (socket load balancing attached to a cgroup of the bench's). Two processes of the compiled CLI,
 * so their CPU and memory are theirs alone. A change counts as programmed when the kernel's
 * services map (read through the addon, every millisecond) holds the Service's master entry with
 * the expected backend count, or no longer holds it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPinnedNodeMap } from '../../src/datapath/bpfObject.js';
import type { KernelMap } from '../../src/datapath/kernelMap.js';
import { ensureCgroup, removeCgroup } from '../../src/nodeagent/cgroup.js';
import { packageRoot } from '../../src/paths.js';
import type { Expectation } from './changes.js';
import { type BenchService, SERVICE_PORT } from './population.js';
import { type ProcessUsage, totalUsage } from './procStats.js';
import { type ClusterSize, NotProgrammedError, type Programmed, type Programmer } from './programmer.js';

export interface CairnOptions {
  readonly etcdEndpoints: readonly string[];
  /** Key prefix of the log in etcd. */
  readonly prefix: string;
  readonly kubeconfig: string;
  readonly node: string;
  readonly pinRoot: string;
  /** Capacity of the load-balancing maps (--bpf-lb-map-max). */
  readonly lbMapMax: number;
  readonly metricsPort: number;
  /** Where the two processes' logs go. */
  readonly dir: string;
  /** The Services the bench created, for the convergence check. */
  readonly services: () => Iterable<BenchService>;
}

export class CairnProgrammer implements Programmer {
  readonly system = 'cairn';
  #apiwatch: ChildProcess | undefined;
  #agent: ChildProcess | undefined;
  #services: KernelMap<'services'> | undefined;
  #cgroup: string | undefined;

  constructor(private readonly o: CairnOptions) {}

  async start(): Promise<number> {
    const startedAt = performance.now();
    this.#cgroup = ensureCgroup(`cairn-bench-${process.pid}`);
    this.#apiwatch ??= this.#spawn('apiwatch', [
      '--kubeconfig',
      this.o.kubeconfig,
      '--cluster',
      'bench',
      '-q',
    ]);
    await this.startAgent();
    return startedAt;
  }

  /** Starts (or restarts) the agent process alone; resolves with its "agent started" report. */
  async startAgent(): Promise<{ spawnedAt: number; readyAt: number; writes: number; ms: number }> {
    const spawnedAt = performance.now();
    const agent = this.#spawn('agent', [
      ...['--node', this.o.node, '--pin-root', this.o.pinRoot, '--cgroup', this.#cgroup!],
      ...['--metrics-port', String(this.o.metricsPort), '--bpf-lb-map-max', String(this.o.lbMapMax)],
      '--no-cni',
    ]);
    this.#agent = agent;
    const ready = await new Promise<{ writes: number; ms: number }>((resolve, reject) => {
      agent.once('exit', (code) =>
        reject(new Error(`cairn agent exited with ${code} (log: ${this.#log('agent')})`)),
      );
      createInterface({ input: agent.stderr! }).on('line', (line) => {
        if (!line.includes('agent started')) return;
        const record = JSON.parse(line) as { writes: number; ms: number };
        resolve({ writes: record.writes, ms: record.ms });
      });
    });
    return { spawnedAt, readyAt: performance.now(), ...ready };
  }

  async stopAgent(): Promise<void> {
    await stopProcess(this.#agent);
    this.#agent = undefined;
  }

  async waitConverged(_size: ClusterSize, deadlineAt: number): Promise<number> {
    const pending = [...this.o.services()];
    while (pending.length > 0) {
      const s = pending.at(-1)!;
      if (this.#master(s.clusterIP)?.count === s.endpoints.length) {
        pending.pop();
        continue;
      }
      if (performance.now() > deadlineAt) {
        throw new NotProgrammedError(`cairn: ${pending.length} Services not programmed (e.g. ${s.name})`);
      }
      await sleep(20);
    }
    return performance.now();
  }

  async waitProgrammed(e: Expectation, _ackAt: number, deadlineAt: number): Promise<Programmed> {
    for (;;) {
      const master = this.#master(e.service.clusterIP);
      const holds = e.endpointCount === 0 ? master === undefined : master?.count === e.endpointCount;
      if (holds) return { at: performance.now() };
      if (performance.now() > deadlineAt) {
        throw new NotProgrammedError(`cairn: ${e.kind} ${e.service.name} not programmed`);
      }
      await sleep(1);
    }
  }

  usage(): ProcessUsage {
    return totalUsage([this.#apiwatch?.pid, this.#agent?.pid].filter((p): p is number => p !== undefined));
  }

  async metrics(): Promise<string | undefined> {
    try {
      return await (await fetch(`http://127.0.0.1:${this.o.metricsPort}/metrics`)).text();
    } catch {
      return undefined;
    }
  }

  /** Stops both processes and removes the pinned maps and the cgroup. */
  async stop(): Promise<void> {
    await stopProcess(this.#agent);
    await stopProcess(this.#apiwatch);
    this.#agent = this.#apiwatch = undefined;
    this.#services = undefined;
    rmSync(this.o.pinRoot, { recursive: true, force: true });
    if (this.#cgroup) removeCgroup(this.#cgroup);
  }

  /** The master entry of ClusterIP:80/TCP in the kernel's services map. */
  #master(clusterIP: string) {
    this.#services ??= openPinnedNodeMap(this.o.pinRoot, 'services');
    const value = this.#services.lookup({
      address: clusterIP,
      port: SERVICE_PORT,
      proto: 'TCP',
      slot: 0,
      scope: 'external',
    });
    return value?.kind === 'master' ? value : undefined;
  }

  #log = (name: string) => join(this.o.dir, `cairn-${name}.log`);

  #spawn(command: 'apiwatch' | 'agent', args: string[]): ChildProcess {
    const etcd = ['--etcd-endpoints', ...this.o.etcdEndpoints, '--prefix', this.o.prefix];
    const child = spawn(
      process.execPath,
      [join(packageRoot(), 'bin', 'cairn.js'), command, ...args, ...etcd],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr!.pipe(createWriteStream(this.#log(command), { flags: 'a' }));
    return child;
  }
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}
