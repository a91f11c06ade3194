import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort } from '../etcd/freePort.js';
import { AUDIT_POLICY } from './auditPolicy.js';
import { kubeBinaryPath } from './kubeBinaries.js';
import { createKubePki, type KubePki } from './kubePki.js';

/** Where the apiserver sends its audit events: apiwatch's receiver (see startAuditReceiver). */
export interface AuditWebhookTarget {
  /** https URL of the receiver; its certificate must be signed by the harness PKI's CA. */
  readonly url: string;
  /** Bearer token sent with each batch, in addition to the PKI's audit client certificate. */
  readonly token?: string;
}

export interface KubeApiserverOptions {
  /** The etcd the apiserver stores its objects in (the project's). */
  readonly etcdEndpoints: readonly string[];
  /** Key prefix of this apiserver's objects in etcd; a fresh `/cairn-kube-<random>` when absent. */
  readonly etcdPrefix?: string;
  /** State dir (PKI, kubeconfig, tokens, log); a temporary one when absent (removed on stop). */
  readonly dir?: string;
  /** A PKI made by createKubePki; generated in `<dir>/pki` when absent. */
  readonly pki?: KubePki;
  /** Secure port on 127.0.0.1; a random free one when absent. */
  readonly port?: number;
  /** The kube-apiserver binary; default: the one scripts/build-kube.sh cached. */
  readonly binary?: string;
  readonly auditWebhook?: AuditWebhookTarget;
  /** How long the apiserver buffers audit events before sending a batch. */
  readonly auditBatchMaxWaitMs?: number;
  readonly serviceClusterIPRange?: string;
  readonly extraArgs?: readonly string[];
  readonly startTimeoutMs?: number;
}

/** A real kube-apiserver on loopback, started and stopped by its own pid. */
export interface KubeApiserver {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** A kubeconfig for the admin user (token auth, member of system:masters). */
  readonly kubeconfigPath: string;
  readonly adminUser: string;
  readonly adminToken: string;
  /** The CA that signed the apiserver's certificate. */
  readonly caFile: string;
  readonly pki: KubePki;
  readonly etcdPrefix: string;
  readonly dir: string;
  /** Where the apiserver's own output goes. */
  readonly logFile: string;
  /** The pid of the running process (changes on restart). */
  readonly pid: number;
  /** Stops the process (SIGTERM, then SIGKILL) and starts it again with the same port, PKI and prefix. */
  restart(): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL) and removes a temporary dir. */
  stop(): Promise<void>;
}

/** The apiserver did not start or did not become ready; says which binary, why, and its last output. */
export class KubeApiserverStartError extends Error {
  override readonly name = 'KubeApiserverStartError';
}

/** The name the admin token authenticates as. */
export const ADMIN_USER = 'cairn-admin';

/**
 * Starts kube-apiserver on 127.0.0.1 against `etcdEndpoints` under its own prefix, with a
 * generated PKI, a service-account key pair, token auth for an admin user, and (when asked) an
 * audit policy and webhook pointing at apiwatch; writes a kubeconfig and waits for /readyz.
 * No controller-manager runs: the ServiceAccount admission plugin is off (nothing would create
 * the `default` service accounts), and nothing writes EndpointSlices for Services but the caller.
 */
export async function startKubeApiserver(options: KubeApiserverOptions): Promise<KubeApiserver> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'cairn-kube-')));
  try {
    return await start(options, dir, ownsDir);
  } catch (error) {
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function start(options: KubeApiserverOptions, dir: string, ownsDir: boolean): Promise<KubeApiserver> {
  const binary = options.binary ?? kubeBinaryPath('kube-apiserver');
  let pki = options.pki;
  if (!pki) {
    await mkdir(join(dir, 'pki'), { recursive: true });
    pki = await createKubePki(join(dir, 'pki'));
  }
  const port = options.port ?? (await freePort());
  const url = `https://127.0.0.1:${port}`;
  const etcdPrefix = options.etcdPrefix ?? `/cairn-kube-${randomBytes(4).toString('hex')}`;
  const adminToken = randomBytes(24).toString('hex');
  const tokensFile = join(dir, 'tokens.csv');
  await writeFile(tokensFile, `${adminToken},${ADMIN_USER},${ADMIN_USER},"system:masters"\n`, {
    mode: 0o600,
  });
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfigYaml('cairn', url, pki.caFile, { token: adminToken }), {
    mode: 0o600,
  });

  const args = [
    `--etcd-servers=${options.etcdEndpoints.join(',')}`,
    `--etcd-prefix=${etcdPrefix}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'certs')}`,
    `--tls-cert-file=${pki.apiserver.certFile}`,
    `--tls-private-key-file=${pki.apiserver.keyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--token-auth-file=${tokensFile}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
    `--service-cluster-ip-range=${options.serviceClusterIPRange ?? '10.96.0.0/16'}`,
    '--disable-admission-plugins=ServiceAccount',
    '--profiling=false',
    '--v=1',
  ];
  if (options.auditWebhook) {
    const policyFile = join(dir, 'audit-policy.yaml');
    const webhookConfig = join(dir, 'audit-webhook.kubeconfig');
    await writeFile(policyFile, stringify(AUDIT_POLICY));
    await writeFile(
      webhookConfig,
      kubeconfigYaml('cairn-audit', options.auditWebhook.url, pki.caFile, {
        clientCertificate: pki.auditClient.certFile,
        clientKey: pki.auditClient.keyFile,
        ...(options.auditWebhook.token ? { token: options.auditWebhook.token } : {}),
      }),
      { mode: 0o600 },
    );
    args.push(
      `--audit-policy-file=${policyFile}`,
      `--audit-webhook-config-file=${webhookConfig}`,
      '--audit-webhook-mode=batch',
      `--audit-webhook-batch-max-wait=${options.auditBatchMaxWaitMs ?? 200}ms`,
      '--audit-webhook-initial-backoff=1s',
    );
  }
  args.push(...(options.extraArgs ?? []));

  const logFile = join(dir, 'kube-apiserver.log');
  let child = await launch(binary, args, logFile, url, pki.caFile, adminToken, options.startTimeoutMs);
  return {
    url,
    port,
    kubeconfigPath,
    adminUser: ADMIN_USER,
    adminToken,
    caFile: pki.caFile,
    pki,
    etcdPrefix,
    dir,
    logFile,
    get pid() {
      return child.pid ?? -1;
    },
    async restart() {
      await terminate(child);
      child = await launch(binary, args, logFile, url, pki.caFile, adminToken, options.startTimeoutMs);
    },
    async stop() {
      await terminate(child);
      if (ownsDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

async function launch(
  binary: string,
  args: readonly string[],
  logFile: string,
  url: string,
  caFile: string,
  token: string,
  startTimeoutMs = 90_000,
): Promise<ChildProcess> {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const failed = new Promise<string>((resolve) => {
    child.once('error', (error) =>
      resolve(`cannot run ${binary}: ${error.message} (build it: scripts/build-kube.sh)`),
    );
    child.once('exit', (code, signal) => resolve(`${binary} exited with ${code ?? signal}`));
  });
  const ca = await readFile(caFile);
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    const early = await Promise.race([failed, sleep(250).then(() => undefined)]);
    if (early) throw new KubeApiserverStartError(`${early}: ${await tail(logFile)}`);
    if (await ready(url, ca, token)) return child;
    if (Date.now() > deadline) {
      await terminate(child);
      throw new KubeApiserverStartError(
        `${binary} not ready at ${url}/readyz after ${startTimeoutMs} ms: ${await tail(logFile)}`,
      );
    }
  }
}

/** Whether GET /readyz answers 200. */
function ready(url: string, ca: Buffer, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/readyz`,
      { ca, headers: { Authorization: `Bearer ${token}` }, timeout: 2_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
        res.on('error', () => resolve(false));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  if (
    (await Promise.race([exited.then(() => 'exited'), sleep(15_000).then(() => 'timeout')])) === 'timeout'
  ) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/** A kubeconfig with one cluster, one user and one context. */
export function kubeconfigYaml(
  name: string,
  server: string,
  caFile: string,
  user: { token?: string; clientCertificate?: string; clientKey?: string },
): string {
  const userEntry: Record<string, string> = {};
  if (user.token) userEntry.token = user.token;
  if (user.clientCertificate) userEntry['client-certificate'] = user.clientCertificate;
  if (user.clientKey) userEntry['client-key'] = user.clientKey;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name, user: userEntry }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  });
}
