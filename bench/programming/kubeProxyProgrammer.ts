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
import { createWriteStream, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  /**
   * iptables mode: which of Debian's two iptables kube-proxy runs (as kube-proxy's image does
   * with iptables-wrapper): `legacy` (x_tables), or `nft` (iptables-nft, Debian 12's default).
   */
  readonly iptablesBackend?: 'legacy' | 'nft';
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
  /** iptables, iptables-nft or nftables: names its namespace and files. */
  readonly #label: string;

  constructor(private readonly o: KubeProxyOptions) {
    this.#label = o.mode === 'iptables' && o.iptablesBackend === 'nft' ? 'iptables-nft' : o.mode;
    this.system = `kube-proxy ${this.#label}`;
    this.netns = `cairn-bench-${this.#label}-${process.pid}`;
    this.logFile = join(o.dir, `kube-proxy-${this.#label}.log`);
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
    const socket = join(o.dir, `relay-${this.#label}.sock`);
    rmSync(socket, { force: true });
    this.#spawn('socat', [`UNIX-LISTEN:${socket},fork,mode=600`, `TCP:127.0.0.1:${o.apiserverPort}`]);
    this.#spawn('ip', [
      ...['netns', 'exec', netns, 'socat'],
      `TCP-LISTEN:${RELAY_PORT},bind=127.0.0.1,fork,reuseaddr`,
      `UNIX-CONNECT:${socket}`,
    ]);
    const kubeconfig = join(o.dir, `kube-proxy-${this.#label}.kubeconfig`);
    writeFileSync(
      kubeconfig,
      kubeconfigYaml('bench', `https://127.0.0.1:${RELAY_PORT}`, o.caFile, { token: o.token }),
      { mode: 0o600 },
    );
    if (this.#legacy) linkLegacyIptables(this.#binDir);
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
    const spawnedAt = this.#launch(join(this.o.dir, `kube-proxy-${this.#label}.kubeconfig`));
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
    if (this.o.mode === 'iptables') return this.#iptablesHolds(e, s);
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

  /**
   * iptables mode. Above 1,000 endpoints kube-proxy deletes unused chains only every 30 s (its
   * "large cluster mode"), so a removal shows as the reference to the chain being gone: the
   * Service chain no longer jumps to the endpoint's chain, KUBE-SERVICES no longer to the Service's.
   */
  async #iptablesHolds(e: Expectation, s: ServicePortRef): Promise<boolean> {
    // x_tables chains are read with iptables-legacy; iptables-nft's chains are nf_tables ones.
    const list = (chain: string) =>
      this.#legacy
        ? this.#inNetns('iptables-legacy', '-w', '-t', 'nat', '-S', chain)
        : this.#inNetns('nft', 'list', 'chain', 'ip', 'nat', chain);
    switch (e.kind) {
      case 'add-endpoint':
      case 'create-service':
        return (await list(iptablesEndpointChain(s, e.endpoint!))).ok;
      case 'remove-endpoint': {
        const service = await list(iptablesServiceChain(s));
        return service.ok && !service.stdout.includes(iptablesEndpointChain(s, e.endpoint!));
      }
      case 'delete-service': {
        const services = await list('KUBE-SERVICES');
        return services.ok && !services.stdout.includes(iptablesServiceChain(s));
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
    rmSync(join(this.o.dir, `relay-${this.#label}.sock`), { force: true });
  }

  get #legacy(): boolean {
    return this.o.mode === 'iptables' && this.o.iptablesBackend !== 'nft';
  }

  get #binDir(): string {
    return join(this.o.dir, 'iptables-legacy-bin');
  }

  #spawn(command: string, args: string[], stderr: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
    // kube-proxy runs `iptables`, `iptables-save`, `iptables-restore` (and ip6tables) from PATH.
    const path = this.#legacy ? `${this.#binDir}:${process.env.PATH}` : process.env.PATH;
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', stderr],
      env: { ...process.env, PATH: path },
    });
    child.on('error', () => undefined);
    this.#children.push(child);
    return child;
  }

  #onLine(line: string, at: number): void {
    const event = parseKubeProxyLine(line);
    // kube-proxy also runs an IPv6 proxier where the kernel has ip6tables; the bench is IPv4.
    if (event?.ipFamily !== 'IPv4') return;
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

  #nft = (...args: string[]) => this.#inNetns('nft', ...args);

  /** Runs a command in the namespace; ok is whether it exited 0. */
  async #inNetns(...command: string[]): Promise<{ ok: boolean; stdout: string }> {
    try {
      const { stdout } = await run('ip', ['netns', 'exec', this.netns, ...command], { maxBuffer: 1 << 28 });
      return { ok: true, stdout };
    } catch {
      return { ok: false, stdout: '' };
    }
  }
}

/** A PATH directory where iptables* are Debian's x_tables (legacy) binaries. */
function linkLegacyIptables(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const family of ['iptables', 'ip6tables']) {
    for (const suffix of ['', '-save', '-restore']) {
      const link = join(dir, `${family}${suffix}`);
      rmSync(link, { force: true });
      symlinkSync(`/usr/sbin/${family}-legacy${suffix}`, link);
    }
  }
}
