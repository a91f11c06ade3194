import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './freePort.js';

export interface EtcdServerOptions {
  /** Data directory; a fresh temporary one when absent (removed on stop). */
  readonly dataDir?: string;
  /** Client port; a random free one when absent. Give the old one to restart on the same data dir. */
  readonly clientPort?: number;
  readonly peerPort?: number;
  /** The etcd binary (Debian's `etcd-server` installs /usr/bin/etcd). */
  readonly binary?: string;
  /** How long to wait for the server to answer. */
  readonly startTimeoutMs?: number;
  /** Extra command-line flags, e.g. `--max-txn-ops=256`. */
  readonly extraArgs?: readonly string[];
  /** Where etcd's own log goes; discarded when absent. */
  readonly logFile?: string;
  /** Serve clients over TLS (https), optionally requiring client certificates. */
  readonly tls?: EtcdServerTls;
}

/** PEM files of the server's TLS identity and, for mutual TLS, the client's. */
export interface EtcdServerTls {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Require client certificates signed by the CA; the health check then presents these. */
  readonly clientCertFile?: string;
  readonly clientKeyFile?: string;
}

/** A real etcd server on loopback, started and stopped by its own pid. */
export interface EtcdServer {
  readonly endpoints: readonly string[];
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes a temporary data dir. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), keeping the data dir: a crash. */
  kill(): Promise<void>;
}

/** Thrown when etcd does not start or does not answer in time; says which binary and why. */
export class EtcdStartError extends Error {
  override readonly name = 'EtcdStartError';
}

/** Starts the Debian etcd on 127.0.0.1 with random free ports and waits until it answers. */
export async function startEtcdServer(options: EtcdServerOptions = {}): Promise<EtcdServer> {
  const binary = options.binary ?? process.env.CAIRN_ETCD_BINARY ?? 'etcd';
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'cairn-etcd-')));
  const clientPort = options.clientPort ?? (await freePort());
  const peerPort = options.peerPort ?? (await freePort());
  const tls = options.tls;
  const clientUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    `--name=cairn-${clientPort}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=cairn-${clientPort}=${peerUrl}`,
    '--log-level=error',
    '--logger=zap',
    ...(tls
      ? [
          `--cert-file=${tls.certFile}`,
          `--key-file=${tls.keyFile}`,
          `--trusted-ca-file=${tls.caFile}`,
          ...(tls.clientCertFile ? ['--client-cert-auth'] : []),
        ]
      : []),
    ...(options.extraArgs ?? []),
  ];
  const output: string[] = [];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    const early = await Promise.race([
      exited.then((code) => new EtcdStartError(`${binary} exited with ${code}: ${output.join('').trim()}`)),
      spawnError.then(
        (error) =>
          new EtcdStartError(
            `cannot run ${binary}: ${error.message} (install Debian's etcd-server: scripts/setup.sh)`,
          ),
      ),
      sleep(100).then(() => undefined),
    ]);
    if (early) throw early;
    if (await answers(clientUrl, tls)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new EtcdStartError(`${binary} did not answer on ${clientUrl}: ${output.join('').trim()}`);
    }
  }

  const pid = child.pid;
  if (pid === undefined) throw new EtcdStartError(`${binary} started without a pid`);
  return {
    endpoints: [clientUrl],
    clientPort,
    peerPort,
    dataDir,
    pid,
    kill: () => killAndWait(child, 'SIGKILL', exited),
    async stop() {
      await killAndWait(child, 'SIGTERM', exited);
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function answers(clientUrl: string, tls: EtcdServerTls | undefined): Promise<boolean> {
  if (tls) return answersTls(clientUrl, tls);
  try {
    const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await response.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

function answersTls(clientUrl: string, tls: EtcdServerTls): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpsGet(
      `${clientUrl}/health`,
      {
        ca: readFileSync(tls.caFile),
        ...(tls.clientCertFile ? { cert: readFileSync(tls.clientCertFile) } : {}),
        ...(tls.clientKeyFile ? { key: readFileSync(tls.clientKeyFile) } : {}),
        timeout: 1000,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve(body.includes('"health":"true"')));
      },
    );
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
  });
}

async function killAndWait(
  child: ChildProcess,
  signal: NodeJS.Signals,
  exited: Promise<unknown>,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timeout = sleep(5000).then(() => 'timeout' as const);
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
