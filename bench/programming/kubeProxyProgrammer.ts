/**
 * kube-proxy (the binary scripts/build-kube.sh built) in iptables or nftables mode, each in a
 * network namespace of its own so its rules never touch the host's. The namespace has only a
 * loopback and a veth pair (both ends inside) with the Node's address; kube-proxy reaches the API server through a
 * socat relay (TCP in the namespace -> a unix socket -> the API server's loopback port), TLS end to
 * end. kube-proxy runs with its defaults (min sync period 1 s, full resync every 30 s) and
 * --v=2, so it logs each sync; a change counts as programmed at the end of the first sync after
 * which the kernel holds it, checked with `nft` in the namespace.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { kubeconfigYaml } from '../../src/kube/apiserverHarness.js';
import type { Expectation } from './changes.js';
import {
  iptablesEndpointChain,
  iptablesServiceChain,
  nftEndpointChain,
  nftServiceChain,
  type ServicePortRef,
} from './kubeProxyChains.js';
import { parseKubeProxyLine } from './kubeProxyLog.js';
import { NAMESPACE, nodeAddress, PORT_NAME, SERVICE_PORT } from './population.js';
import { type ProcessUsage, totalUsage } from './procStats.js';
import { type ClusterSize, NotProgrammedError, type Programmed, type Programmer } from './programmer.js';

const run = promisify(execFile);
const RELAY_PORT = 6443;
const METRICS = '127.0.0.1:10249';

export interface KubeProxyOptions {
  readonly mode: 'iptables' | 'nftables';
  /** The Node it runs as (created by the bench) and its index (for its address). */
  readonly node: string;
  readonly nodeIndex: number;
  readonly apiserverPort: number;
  readonly caFile: string;
  readonly token: string;
  readonly binary: string;
  /** Where its kubeconfig, relay socket and log go. */
  readonly dir: string;
  /** Pod network, for kube-proxy's masquerade rules. */
  readonly clusterCidr: string;
}

interface SyncEnd {
  readonly at: number;
  readonly elapsedMs: number;
  /** Service ports and endpoints the sync programmed (from its "Reloading" line). */
  readonly services: number;
  readonly endpoints: number;
}

export class KubeProxyProgrammer implements Programmer {
  readonly system: string;
  readonly netns: string;
  readonly logFile: string;
  readonly syncs: SyncEnd[] = [];
  #syncStarts = 0;
  #reload = { services: -1, endpoints: -1 };
  #wake = new Set<() => void>();
  #children: ChildProcess[] = [];
  #proxy: ChildProcess | undefined;

  constructor(private readonly o: KubeProxyOptions) {
    this.system = `kube-proxy ${o.mode}`;
    this.netns = `cairn-bench-${o.mode}-${process.pid}`;
    this.logFile = join(o.dir, `kube-proxy-${o.mode}.log`);
  }

  get pid(): number | undefined {
    return this.#proxy?.pid;
  }

  async start(): Promise<number> {
    const { o, netns } = this;
    await run('ip', ['netns', 'add', netns]);
    await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', netns, 'link', 'add', 'node0', 'type', 'veth', 'peer', 'name', 'node1']);
    await run('ip', ['-n', netns, 'addr', 'add', `${nodeAddress(o.nodeIndex)}/24`, 'dev', 'node0']);
    await run('ip', ['-n', netns, 'link', 'set', 'node0', 'up']);
    await run('ip', ['-n', netns, 'link', 'set', 'node1', 'up']);
    const socket = join(o.dir, `relay-${o.mode}.sock`);
    rmSync(socket, { force: true });
    this.#spawn('socat', [`UNIX-LISTEN:${socket},fork,mode=600`, `TCP:127.0.0.1:${o.apiserverPort}`]);
    this.#spawn('ip', [
      ...['netns', 'exec', netns, 'socat'],
      `TCP-LISTEN:${RELAY_PORT},bind=127.0.0.1,fork,reuseaddr`,
      `UNIX-CONNECT:${socket}`,
    ]);
    const kubeconfig = join(o.dir, `kube-proxy-${o.mode}.kubeconfig`);
    writeFileSync(
      kubeconfig,
      kubeconfigYaml('bench', `https://127.0.0.1:${RELAY_PORT}`, o.caFile, { token: o.token }),
      { mode: 0o600 },
    );
    await sleep(200); // the relay's listeners
    return this.#launch(kubeconfig);
  }

  /**
   * Restarts the kube-proxy process alone (its rules stay in the namespace) and resolves when its
   * first sync after the restart has programmed the whole cluster: kube-proxy's restart story.
   */
  async restart(size: ClusterSize, deadlineAt: number): Promise<{ readyMs: number; syncMs: number }> {
    const proxy = this.#proxy!;
    const exited = once(proxy, 'exit');
    proxy.kill('SIGTERM');
    await exited;
    this.#children = this.#children.filter((c) => c !== proxy);
    const seen = this.syncs.length;
    const spawnedAt = this.#launch(join(this.o.dir, `kube-proxy-${this.o.mode}.kubeconfig`));
    const readyAt = await this.waitConverged(size, deadlineAt, seen);
    return { readyMs: readyAt - spawnedAt, syncMs: this.syncs.at(-1)!.elapsedMs };
  }

  #launch(kubeconfig: string): number {
    const { o, netns } = this;
    const startedAt = performance.now();
    const proxy = this.#spawn(
      'ip',
      [
        ...['netns', 'exec', netns, o.binary],
        `--kubeconfig=${kubeconfig}`,
        `--hostname-override=${o.node}`,
        `--proxy-mode=${o.mode}`,
        `--cluster-cidr=${o.clusterCidr}`,
        '--conntrack-max-per-core=0',
        `--metrics-bind-address=${METRICS}`,
        '--healthz-bind-address=127.0.0.1:10256',
        '--v=2',
      ],
      'pipe',
    );
    this.#proxy = proxy;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    createInterface({ input: proxy.stderr! }).on('line', (line) => {
      log.write(`${line}\n`);
      this.#onLine(line, performance.now());
    });
    proxy.once('exit', () => log.end());
    return startedAt;
  }

  async waitConverged(size: ClusterSize, deadlineAt: number, after = 0): Promise<number> {
    for (let seen = after; ; ) {
      seen = await this.#nextSync(seen, deadlineAt, () => `${size.services} Services not programmed`);
      const sync = this.syncs[seen - 1]!;
      if (sync.services === size.services && sync.endpoints === size.endpoints) return sync.at;
    }
  }

  async waitProgrammed(e: Expectation, ackAt: number, deadlineAt: number): Promise<Programmed> {
    let seen = this.syncs.length;
    if (await this.holds(e)) return { at: Math.max(ackAt, this.syncs.at(-1)?.at ?? ackAt) };
    for (;;) {
      seen = await this.#nextSync(seen, deadlineAt, () => `${e.kind} ${e.service.name} not programmed`);
      const startsBefore = this.#syncStarts;
      if (await this.holds(e)) {
        // Another sync may have started (and committed) while we looked: then the change could be
        // that sync's, and this earlier end is a lower bound. Counted, not hidden.
        return { at: this.syncs[seen - 1]!.at, ambiguous: this.#syncStarts !== startsBefore };
      }
    }
  }

  /** Whether the namespace's ruleset holds the change (one `nft` query). */
  async holds(e: Expectation): Promise<boolean> {
    const s: ServicePortRef = {
      namespace: NAMESPACE,
      name: e.service.name,
      port: PORT_NAME,
      protocol: 'tcp',
    };
    if (this.o.mode === 'iptables') {
      const chain =
        e.kind === 'delete-service' ? iptablesServiceChain(s) : iptablesEndpointChain(s, e.endpoint!);
      const exists = await this.#nft('list', 'chain', 'ip', 'nat', chain);
      return e.kind === 'remove-endpoint' || e.kind === 'delete-service' ? !exists.ok : exists.ok;
    }
    switch (e.kind) {
      case 'add-endpoint':
      case 'create-service':
        return (await this.#nft('list', 'chain', 'ip', 'kube-proxy', nftEndpointChain(s, e.endpoint!))).ok;
      case 'remove-endpoint': {
        // The endpoint's chain is flushed now and deleted a second later: what counts is that the
        // Service's chain no longer sends traffic to it.
        const service = await this.#nft('list', 'chain', 'ip', 'kube-proxy', nftServiceChain(s));
        return service.ok && !service.stdout.includes(nftEndpointChain(s, e.endpoint!));
      }
      case 'delete-service': {
        const element = `{ ${e.service.clusterIP} . tcp . ${SERVICE_PORT} }`;
        return !(await this.#nft('get', 'element', 'ip', 'kube-proxy', 'service-ips', element)).ok;
      }
    }
  }

  usage(): ProcessUsage {
    return totalUsage(this.#proxy?.pid ? [this.#proxy.pid] : []);
  }

  async metrics(): Promise<string | undefined> {
    try {
      return (
        await run('ip', ['netns', 'exec', this.netns, 'curl', '-s', '-m', '5', `http://${METRICS}/metrics`])
      ).stdout;
    } catch {
      return undefined;
    }
  }

  /** Stops kube-proxy and its relay, and removes the namespace (and with it every rule). */
  async stop(): Promise<void> {
    for (const child of this.#children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    }
    this.#children = [];
    await run('ip', ['netns', 'del', this.netns]).catch(() => undefined);
    rmSync(join(this.o.dir, `relay-${this.o.mode}.sock`), { force: true });
  }

  #spawn(command: string, args: string[], stderr: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', stderr] });
    child.on('error', () => undefined);
    this.#children.push(child);
    return child;
  }

  #onLine(line: string, at: number): void {
    const event = parseKubeProxyLine(line);
    if (!event) return;
    if (event.kind === 'syncStart') this.#syncStarts++;
    else if (event.kind === 'reload') this.#reload = { services: event.services, endpoints: event.endpoints };
    else {
      this.syncs.push({ at, elapsedMs: event.elapsedMs, ...this.#reload });
      for (const wake of this.#wake) wake();
    }
  }

  /** Waits until more than `seen` syncs have ended; returns the new count. */
  async #nextSync(seen: number, deadlineAt: number, what: () => string): Promise<number> {
    while (this.syncs.length <= seen) {
      const left = deadlineAt - performance.now();
      if (left <= 0 || this.#proxy?.exitCode != null) {
        const why = this.#proxy?.exitCode != null ? `exited with ${this.#proxy.exitCode}` : 'timed out';
        throw new NotProgrammedError(`${this.system}: ${what()} (${why}; log: ${this.logFile})`);
      }
      let wake = () => {};
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.#wake.add(wake);
      });
      this.#wake.delete(wake);
    }
    return seen + 1;
  }

  async #nft(...args: string[]): Promise<{ ok: boolean; stdout: string }> {
    try {
      const { stdout } = await run('ip', ['netns', 'exec', this.netns, 'nft', ...args], {
        maxBuffer: 1 << 26,
      });
      return { ok: true, stdout };
    } catch {
      return { ok: false, stdout: '' };
    }
  }
}
