import { request } from 'node:http';
import type { AnyEvent } from '../../events/envelope.js';
import { CNI_ERROR, CniError } from './cniError.js';
import { CNI_EVENTS_PATH } from './cniEventServer.js';
import type { NetConf } from './netConf.js';

/** Where the events went: through the local agent, or straight to etcd when the agent is down. */
export interface AppendOutcome {
  readonly via: 'agent' | 'etcd';
  readonly positions: readonly bigint[];
}

type Target = Pick<
  NetConf,
  | 'agentSocket'
  | 'etcdEndpoints'
  | 'prefix'
  | 'etcdCaFile'
  | 'etcdCertFile'
  | 'etcdKeyFile'
  | 'etcdUsername'
  | 'etcdPassword'
  | 'etcdTimeoutMs'
>;

/** The agent refused the events themselves (they would fail in etcd too). */
class RejectedByAgent extends Error {}

/**
 * Appends the plugin's events to the log: through the local agent's socket when it answers,
 * otherwise directly to etcd. Both paths are idempotent by event id, so trying the second after
 * the first timed out cannot write twice. Fails with the spec's "try again later" (11), naming
 * both paths, when neither took the events.
 */
export async function appendCniEvents(events: readonly AnyEvent[], target: Target): Promise<AppendOutcome> {
  let agentProblem: string;
  try {
    return { via: 'agent', positions: await postToAgent(events, target.agentSocket) };
  } catch (error) {
    if (error instanceof RejectedByAgent) {
      throw new CniError(
        CNI_ERROR.internal,
        `the agent rejected ${events.map((e) => e.id).join(', ')}: ${error.message}`,
      );
    }
    agentProblem = (error as Error).message;
  }
  try {
    return { via: 'etcd', positions: await appendToEtcd(events, target) };
  } catch (error) {
    throw new CniError(
      CNI_ERROR.tryAgainLater,
      `cannot record ${events.map((e) => e.type).join(', ')} in the event log: agent at ${target.agentSocket}: ${agentProblem}; etcd: ${(error as Error).message}`,
    );
  }
}

function postToAgent(events: readonly AnyEvent[], socketPath: string, timeoutMs = 5_000): Promise<bigint[]> {
  const body = JSON.stringify({ events });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: CNI_EVENTS_PATH,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            const parsed = JSON.parse(text) as { results?: { position: string }[]; error?: string };
            if (response.statusCode === 400) return reject(new RejectedByAgent(parsed.error ?? text));
            if (response.statusCode !== 200 || parsed.results?.length !== events.length) {
              return reject(new Error(`answered ${response.statusCode}: ${parsed.error ?? text}`));
            }
            resolve(parsed.results.map((r) => BigInt(r.position)));
          } catch {
            reject(new Error(`answered ${response.statusCode} with ${JSON.stringify(text.slice(0, 200))}`));
          }
        });
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
            ? `not running (${error.code})`
            : error.message,
        ),
      ),
    );
    req.end(body);
  });
}

async function appendToEtcd(events: readonly AnyEvent[], target: Target): Promise<bigint[]> {
  // Loaded only on this path: the gRPC client costs start-up time the agent path does not need.
  const [{ connectEtcd }, { EtcdEventLog }] = await Promise.all([
    import('../../etcd/etcdClient.js'),
    import('../../events/etcdEventLog.js'),
  ]);
  const callTimeoutMs = Math.max(500, Math.min(5_000, Math.floor(target.etcdTimeoutMs / 2)));
  const client = connectEtcd({
    endpoints: target.etcdEndpoints,
    callTimeoutMs,
    ...(target.etcdCaFile ? { caFile: target.etcdCaFile } : {}),
    ...(target.etcdCertFile ? { certFile: target.etcdCertFile } : {}),
    ...(target.etcdKeyFile ? { keyFile: target.etcdKeyFile } : {}),
    ...(target.etcdUsername ? { username: target.etcdUsername, password: target.etcdPassword ?? '' } : {}),
  });
  const log = new EtcdEventLog({
    client,
    endpoints: target.etcdEndpoints,
    prefix: target.prefix,
    backoff: {
      attempts: Math.max(2, Math.ceil(target.etcdTimeoutMs / callTimeoutMs)),
      initialMs: 100,
      maxMs: 1_000,
    },
  });
  try {
    return (await log.append(events)).map((r) => r.position);
  } finally {
    await log.close().catch(() => undefined);
    client.close();
  }
}
