import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProbeClient } from './probeClient.js';
import { run, tryRun, uniqueSuffix } from './scratch.js';

const SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'netnsTcp.mjs');

/** One "pod": a netns with eth0, joined to the host by a veth whose host end is `hostIf`. */
export interface Pod {
  readonly netns: string;
  readonly hostIf: string;
  readonly ip: string;
  readonly gateway: string;
}

/**
 * Two pods on their own /30 links to the host, forwarding enabled only on their host-side
 * veths (the machine's global ip_forward is left alone). Every name carries a random suffix;
 * `remove()` deletes exactly these namespaces and links.
 */
export class PodNetwork {
  readonly pods: readonly [Pod, Pod];
  readonly #servers: ChildProcessWithoutNullStreams[] = [];
  readonly #clients: ProbeClient[] = [];

  private constructor(pods: [Pod, Pod]) {
    this.pods = pods;
  }

  static create(): PodNetwork {
    const r = uniqueSuffix();
    // 10.(200..249).x.0/29 from the random suffix: unlikely to meet a real network on a test box.
    const n = Number.parseInt(r, 16);
    const net = `10.${200 + (n % 50)}.${(n >> 8) & 255}`;
    const pods: [Pod, Pod] = [
      { netns: `cairn-t-${r}-a`, hostIf: `ctha${r}`, ip: `${net}.2`, gateway: `${net}.1` },
      { netns: `cairn-t-${r}-b`, hostIf: `cthb${r}`, ip: `${net}.6`, gateway: `${net}.5` },
    ];
    const network = new PodNetwork(pods);
    try {
      for (const pod of pods) network.#createPod(pod);
    } catch (err) {
      network.remove();
      throw err;
    }
    return network;
  }

  #createPod(pod: Pod): void {
    const peer = `${pod.hostIf}p`;
    run('ip', ['netns', 'add', pod.netns]);
    run('ip', ['link', 'add', pod.hostIf, 'type', 'veth', 'peer', 'name', peer]);
    run('ip', ['link', 'set', peer, 'netns', pod.netns]);
    run('ip', ['-n', pod.netns, 'link', 'set', peer, 'name', 'eth0']);
    run('ip', ['-n', pod.netns, 'addr', 'add', `${pod.ip}/30`, 'dev', 'eth0']);
    run('ip', ['-n', pod.netns, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', pod.netns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', pod.netns, 'route', 'add', 'default', 'via', pod.gateway]);
    run('ip', ['addr', 'add', `${pod.gateway}/30`, 'dev', pod.hostIf]);
    run('ip', ['link', 'set', pod.hostIf, 'up']);
    // Per-device forwarding: the machine's global ip_forward stays as it is.
    writeFileSync(`/proc/sys/net/ipv4/conf/${pod.hostIf}/forwarding`, '1');
  }

  /** Starts a TCP server answering "pong" inside `pod`'s netns. */
  async serve(pod: Pod, port: number): Promise<void> {
    const child = spawn(
      'ip',
      ['netns', 'exec', pod.netns, process.execPath, SCRIPT, 'serve', pod.ip, String(port)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.#servers.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`server in ${pod.netns} exited with ${code}`)));
      child.stdout.once('data', () => resolve());
    });
  }

  /** A long-lived client inside `pod`'s netns (stopped by stopServers). */
  async client(pod: Pod): Promise<ProbeClient> {
    const client = await ProbeClient.start({ netns: pod.netns });
    this.#clients.push(client);
    return client;
  }

  /** Stops the clients and servers (by their pids). */
  async stopProcesses(): Promise<void> {
    for (const client of this.#clients) await client.stop();
    for (const child of this.#servers) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
  }

  /** Deletes this network's namespaces and veths, by name. */
  remove(): void {
    for (const pod of this.pods) {
      // Deleting the host end deletes its peer; deleting the netns frees what is left inside.
      if (existsSync(`/sys/class/net/${pod.hostIf}`)) tryRun('ip', ['link', 'del', pod.hostIf]);
      if (existsSync(`/run/netns/${pod.netns}`)) tryRun('ip', ['netns', 'del', pod.netns]);
    }
  }
}
