import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'lbClient.mjs');

export interface ClientResult {
  readonly ok: boolean;
  readonly code?: string;
  readonly data?: string;
  readonly peer?: string;
  readonly from?: string;
  readonly codes?: Record<string, number>;
  readonly backends?: Record<string, number>;
}

/** Where the client runs: in a cgroup (moved there before it does anything) and/or a netns. */
export interface ClientPlacement {
  readonly cgroup?: string;
  readonly netns?: string;
}

/**
 * A long-lived child that makes connections on request, so every socket it opens goes through
 * the cgroup's BPF programs or leaves from the netns (the test process itself stays outside).
 */
export class ProbeClient {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, (r: ClientResult) => void>();
  #nextId = 1;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') return;
      const msg = JSON.parse(line) as ClientResult & { id: number };
      this.#pending.get(msg.id)?.(msg);
      this.#pending.delete(msg.id);
    });
    // A child that dies answers what it still owed, instead of leaving the test to time out.
    child.once('exit', (code, signal) => {
      for (const resolve of this.#pending.values())
        resolve({ ok: false, code: `CHILD_EXITED ${code ?? signal}` });
      this.#pending.clear();
    });
  }

  static async start(placement: ClientPlacement): Promise<ProbeClient> {
    const argv = [process.execPath, SCRIPT];
    const [cmd, ...args] = placement.netns ? ['ip', 'netns', 'exec', placement.netns, ...argv] : argv;
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const client = new ProbeClient(child);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) =>
          reject(new Error(`probe client exited with ${code} before it was ready`)),
        );
        child.stdout.once('data', () => resolve());
      });
      if (placement.cgroup) writeFileSync(join(placement.cgroup, 'cgroup.procs'), String(child.pid));
    } catch (err) {
      await client.stop(); // our own child, by its pid
      throw err;
    }
    return client;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  request(cmd: Record<string, unknown>): Promise<ClientResult> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.stdin.write(`${JSON.stringify({ id, ...cmd })}\n`);
    });
  }

  /** One TCP connection; a silently dropped SYN shows as ETIMEDOUT after `timeoutMs`. */
  tcp(host: string, port: number, timeoutMs = 3000): Promise<ClientResult> {
    return this.request({ op: 'tcp', host, port, timeoutMs });
  }

  /** Stops the child (by its own pid) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
