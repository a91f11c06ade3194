import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEtcd } from '../../../src/etcd/etcdClient.js';
import type { StoredEvent } from '../../../src/events/envelope.js';
import { EtcdEventLog } from '../../../src/events/etcdEventLog.js';
import { hostIfName } from '../../../src/nodeagent/cni/hostIfName.js';
import { packageRoot } from '../../../src/paths.js';
import { REFERENCE_PLUGINS } from './cniPrereq.js';

/** What one plugin call printed and returned. */
export interface PluginRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, when it is JSON. */
  readonly json: Record<string, unknown> | undefined;
}

/** Runs `binary` as a runtime does: environment in, configuration on stdin. */
export function runPlugin(binary: string, env: Record<string, string>, stdin: string): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ exitCode: code ?? -1, stdout, stderr, json });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/**
 * Everything one test file's CNI calls need, all with unique names: the plugin bundled from the
 * source into a temporary CNI_PATH next to links to the reference plugins, a /24 of its own,
 * host-local's and cairn's state directories, an etcd prefix, and the netns it made. `cleanup()`
 * removes exactly those, by name.
 */
export class CniHarness {
  readonly id = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'cairn-cni-test-'));
  readonly binDir = join(this.dir, 'bin');
  readonly ipamDir = join(this.dir, 'ipam');
  readonly stateDir = join(this.dir, 'state');
  readonly agentSocket = join(this.dir, 'agent.sock');
  readonly prefix = `/test/cni-${this.id}/`;
  readonly network = `cairn-test-${this.id}`;
  readonly node = `node-${this.id}`;
  /** 10.(150..199).x.0/24: away from the datapath tests' 10.200+ ranges. */
  readonly subnetBase: string;
  readonly plugin: string;
  private readonly bundle: string;
  private readonly namespaces = new Set<string>();
  private readonly containers = new Set<string>();
  private log: EtcdEventLog | undefined;
  private client: ReturnType<typeof connectEtcd> | undefined;
  private counter = 0;

  constructor(readonly etcdEndpoints: readonly string[]) {
    const n = Number.parseInt(this.id, 16);
    this.subnetBase = `10.${150 + (n % 50)}.${(n >> 8) & 255}`;
    mkdirSync(this.binDir);
    for (const name of readdirSync(REFERENCE_PLUGINS))
      symlinkSync(join(REFERENCE_PLUGINS, name), join(this.binDir, name));
    // The plugin from the source as it is now, bundled (imports stay in node_modules): every call
    // then starts as fast as the installed, compiled plugin does.
    const cacheDir = join(packageRoot(), 'node_modules', '.cache', 'cairn-test');
    mkdirSync(cacheDir, { recursive: true });
    this.bundle = join(cacheDir, `cairn-cni-${process.pid}-${this.id}.mjs`);
    execFileSync(join(packageRoot(), 'node_modules', '.bin', 'esbuild'), [
      join(packageRoot(), 'src', 'nodeagent', 'cni', 'main.ts'),
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--packages=external',
      `--outfile=${this.bundle}`,
      '--log-level=warning',
    ]);
    this.plugin = join(this.binDir, 'cairn');
    writeFileSync(this.plugin, `#!/bin/sh\nexec ${process.execPath} ${this.bundle} "$@"\n`, { mode: 0o755 });
  }

  /** cairn's network configuration for this harness; `extra` overrides fields. */
  conf(extra: Record<string, unknown> = {}, cniVersion = '1.0.0'): Record<string, unknown> {
    return {
      cniVersion,
      name: this.network,
      type: 'cairn',
      etcdEndpoints: this.etcdEndpoints,
      prefix: this.prefix,
      nodeName: this.node,
      agentSocket: this.agentSocket,
      dataDir: this.stateDir,
      etcdTimeoutMs: 3_000,
      ipam: this.ipam(),
      ...extra,
    };
  }

  /** host-local on this harness's /24 (or a smaller range), default route via the gateway. */
  ipam(range: { rangeStart?: string; rangeEnd?: string } = {}): Record<string, unknown> {
    return {
      type: 'host-local',
      dataDir: this.ipamDir,
      ranges: [[{ subnet: `${this.subnetBase}.0/24`, ...range }]],
      routes: [{ dst: '0.0.0.0/0' }],
    };
  }

  /** A new netns (`ip netns add`), removed by cleanup; returns its path. */
  netns(): string {
    const name = `cairn-cni-${this.id}-${this.counter++}`;
    execFileSync('ip', ['netns', 'add', name]);
    this.namespaces.add(name);
    return `/run/netns/${name}`;
  }

  /** A new container id (remembered, so cleanup can delete its veth by derived name). */
  containerId(): string {
    const id = `ct-${this.id}-${this.counter++}`;
    this.containers.add(id);
    return id;
  }

  /** Remembers a container id made elsewhere (cnitool derives its own), for cleanup. */
  adopt(containerId: string): string {
    this.containers.add(containerId);
    return containerId;
  }

  /** The CNI_* environment of a call. */
  env(
    command: string,
    containerId: string,
    netns: string,
    extra: Record<string, string> = {},
  ): Record<string, string> {
    return {
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: this.binDir,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=ns-${this.id};K8S_POD_NAME=pod-${containerId}`,
      ...extra,
    };
  }

  /** Runs the plugin as a runtime would. */
  call(env: Record<string, string>, conf: Record<string, unknown> | string): Promise<PluginRun> {
    return runPlugin(this.plugin, env, typeof conf === 'string' ? conf : JSON.stringify(conf));
  }

  /** Addresses host-local holds reserved in this harness's network (a leak shows here). */
  reservedIps(network = this.network): string[] {
    const dir = join(this.ipamDir, network);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  }

  /** Attachment records cairn keeps for this network. */
  records(network = this.network): string[] {
    const dir = join(this.stateDir, network);
    return existsSync(dir) ? readdirSync(dir) : [];
  }

  /** Whether the host-side veth of `containerId`/`ifName` exists. */
  hostVethExists(containerId: string, ifName = 'eth0'): boolean {
    return existsSync(`/sys/class/net/${hostIfName(containerId, ifName)}`);
  }

  /** The events under this harness's prefix. */
  async events(): Promise<StoredEvent[]> {
    const log = this.eventLog();
    const out: StoredEvent[] = [];
    for await (const event of log.read()) out.push(event);
    return out;
  }

  /** The event log under this harness's prefix (opened once). */
  eventLog(): EtcdEventLog {
    if (!this.log) {
      this.client = connectEtcd({ endpoints: this.etcdEndpoints });
      this.log = new EtcdEventLog({
        client: this.client,
        endpoints: this.etcdEndpoints,
        prefix: this.prefix,
      });
    }
    return this.log;
  }

  /** Deletes this harness's veths, namespaces, files and bundle, by name. */
  async cleanup(): Promise<void> {
    for (const id of this.containers) {
      for (const ifName of ['eth0', 'net1']) {
        const name = hostIfName(id, ifName);
        if (existsSync(`/sys/class/net/${name}`)) execFileSync('ip', ['link', 'del', name]);
      }
    }
    for (const name of this.namespaces) {
      if (existsSync(`/run/netns/${name}`)) execFileSync('ip', ['netns', 'del', name]);
    }
    await this.log?.close();
    this.client?.close();
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.bundle, { force: true });
  }
}
