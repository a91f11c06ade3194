import { request } from 'node:http';
import type { CniCall } from './cniCall.js';
import { CNI_ERROR, CniError } from './cniError.js';
import { findPlugin } from './delegatePlugin.js';

/**
 * STATUS (CNI 1.1): ready when the IPAM plugin is installed and the event log can be reached,
 * through the local agent or etcd; otherwise the spec's 50 ("plugin not available"), naming what
 * is missing. An ADD now would fail on the same thing.
 */
export async function cmdStatus(call: CniCall): Promise<undefined> {
  const { conf, env } = call;
  try {
    findPlugin(conf.ipam.type, env.path);
  } catch (error) {
    throw new CniError(CNI_ERROR.pluginNotAvailable, (error as Error).message);
  }
  if (await agentAnswers(conf.agentSocket)) return undefined;
  const problem = await etcdProblem(call);
  if (problem === undefined) return undefined;
  throw new CniError(
    CNI_ERROR.pluginNotAvailable,
    `the event log is unreachable: agent at ${conf.agentSocket} not running, etcd: ${problem}`,
  );
}

function agentAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/', method: 'GET', timeout: 2_000 }, (response) => {
      response.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function etcdProblem(call: CniCall): Promise<string | undefined> {
  const { conf } = call;
  const { connectEtcd } = await import('../../etcd/etcdClient.js');
  const client = connectEtcd({
    endpoints: conf.etcdEndpoints,
    callTimeoutMs: Math.min(conf.etcdTimeoutMs, 3_000),
    ...(conf.etcdCaFile ? { caFile: conf.etcdCaFile } : {}),
    ...(conf.etcdCertFile ? { certFile: conf.etcdCertFile } : {}),
    ...(conf.etcdKeyFile ? { keyFile: conf.etcdKeyFile } : {}),
    ...(conf.etcdUsername ? { username: conf.etcdUsername, password: conf.etcdPassword ?? '' } : {}),
  });
  try {
    await client.maintenance.status();
    return undefined;
  } catch (error) {
    return `${conf.etcdEndpoints.join(',')}: ${(error as Error).message}`;
  } finally {
    client.close();
  }
}
