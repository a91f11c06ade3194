import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CniCommand } from './cniEnv.js';
import { CNI_ERROR, CniError } from './cniError.js';

/** Finds plugin `type` in the `CNI_PATH` directories, as the spec's delegation procedure says. */
export function findPlugin(type: string, path: readonly string[]): string {
  for (const dir of path) {
    const candidate = join(dir, type);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new CniError(
    CNI_ERROR.invalidNetworkConfig,
    `plugin ${JSON.stringify(type)} not found in CNI_PATH (${path.join(':') || 'empty'})`,
  );
}

/**
 * Runs a delegated plugin (IPAM) with the environment and configuration this plugin received,
 * `CNI_COMMAND` set to `command`; its stderr goes to ours. Resolves with its stdout; a failure
 * becomes a CniError with the delegate's own code and message (prefixed with its name).
 */
export async function execDelegate(
  type: string,
  command: CniCommand,
  stdin: string,
  env: NodeJS.ProcessEnv,
  path: readonly string[],
  timeoutMs = 60_000,
): Promise<string> {
  const binary = findPlugin(type, path);
  const child = spawn(binary, [], {
    env: { ...env, CNI_COMMAND: command },
    stdio: ['pipe', 'pipe', 'inherit'],
    timeout: timeoutMs,
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  // A delegate that exits without reading stdin closes the pipe: that is its business.
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin);
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  ).catch((error: Error) => {
    throw new CniError(CNI_ERROR.ioFailure, `cannot run ${binary}: ${error.message}`);
  });
  const stdout = Buffer.concat(chunks).toString('utf8');
  if (outcome.code === 0) return stdout;
  throw delegateError(type, command, stdout, outcome);
}

function delegateError(
  type: string,
  command: string,
  stdout: string,
  outcome: { code: number | null; signal: NodeJS.Signals | null },
): CniError {
  try {
    const parsed = JSON.parse(stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof parsed.code === 'number' && typeof parsed.msg === 'string') {
      return new CniError(
        parsed.code,
        `${type} ${command}: ${parsed.msg}`,
        typeof parsed.details === 'string' && parsed.details !== '' ? parsed.details : undefined,
      );
    }
  } catch {
    // not an error object: report what it printed
  }
  const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with ${outcome.code}`;
  return new CniError(CNI_ERROR.internal, `${type} ${command} ${how}: ${stdout.trim() || 'no output'}`);
}

/** The versions a plugin reports on VERSION ([] when it does not answer). */
export async function delegateVersions(
  type: string,
  cniVersion: string,
  env: NodeJS.ProcessEnv,
  path: readonly string[],
): Promise<string[]> {
  try {
    const out = await execDelegate(type, 'VERSION', JSON.stringify({ cniVersion }), env, path, 10_000);
    return (JSON.parse(out) as { supportedVersions?: string[] }).supportedVersions ?? [];
  } catch {
    return [];
  }
}

/**
 * execDelegate for the IPAM plugin, with one concession to plugins a spec version behind: when
 * IPAM refuses a 1.1.0 configuration as an incompatible version (Debian 12's host-local stops at
 * 1.0.0), the call is repeated once at 1.0.0, which has the same result format, without the
 * 1.1-only GC field. Any other failure is IPAM's, as it reported it.
 */
export async function execIpam(
  type: string,
  command: CniCommand,
  stdin: string,
  env: NodeJS.ProcessEnv,
  path: readonly string[],
): Promise<string> {
  try {
    return await execDelegate(type, command, stdin, env, path);
  } catch (error) {
    if (!(error instanceof CniError) || error.code !== CNI_ERROR.incompatibleVersion) throw error;
    const conf = JSON.parse(stdin) as Record<string, unknown>;
    if (conf.cniVersion !== '1.1.0') throw error;
    if (!(await delegateVersions(type, '1.0.0', env, path)).includes('1.0.0')) throw error;
    delete conf['cni.dev/valid-attachments'];
    return execDelegate(type, command, JSON.stringify({ ...conf, cniVersion: '1.0.0' }), env, path);
  }
}
