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

/**
 * A child process placed in `cgroup` before it does anything, so every socket it opens goes
 * through the cgroup's BPF programs (the test process itself stays outside).
 */
export class CgroupClient {
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
  }

  static async start(cgroup: string): Promise<CgroupClient> {
    const child = spawn(process.execPath, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.stdout.once('data', () => resolve());
    });
    writeFileSync(join(cgroup, 'cgroup.procs'), String(child.pid));
    return new CgroupClient(child);
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

  tcp(host: string, port: number): Promise<ClientResult> {
    return this.request({ op: 'tcp', host, port });
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
