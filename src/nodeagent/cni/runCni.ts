import { cmdAdd } from './cmdAdd.js';
import { cmdCheck } from './cmdCheck.js';
import { cmdDel } from './cmdDel.js';
import { cmdGc } from './cmdGc.js';
import { cmdStatus } from './cmdStatus.js';
import { parseCniEnv } from './cniEnv.js';
import { asCniError } from './cniError.js';
import { CURRENT_CNI_VERSION, versionInfo } from './cniVersions.js';
import { parseNetConf } from './netConf.js';

/** What the plugin prints and its exit status. */
export interface CniOutcome {
  readonly stdout: string;
  readonly exitCode: number;
}

/**
 * One plugin invocation, as the spec defines it: the CNI_* environment and the configuration on
 * stdin in; the result (or nothing) and status 0, or the error object and status 1, out.
 */
export async function runCni(
  env: NodeJS.ProcessEnv,
  stdin: string,
  now: () => number = Date.now,
): Promise<CniOutcome> {
  try {
    const cniEnv = parseCniEnv(env);
    if (cniEnv.command === 'VERSION') return { stdout: JSON.stringify(versionInfo()), exitCode: 0 };
    const conf = parseNetConf(stdin);
    const call = { env: cniEnv, conf, stdin, now };
    const commands = { ADD: cmdAdd, DEL: cmdDel, CHECK: cmdCheck, STATUS: cmdStatus, GC: cmdGc } as const;
    const result = await commands[cniEnv.command](call);
    return { stdout: result === undefined ? '' : JSON.stringify(result), exitCode: 0 };
  } catch (error) {
    return { stdout: JSON.stringify(asCniError(error).toObject(requestedVersion(stdin))), exitCode: 1 };
  }
}

/** The version to write an error in: the configuration's, even one cairn does not support. */
function requestedVersion(stdin: string): string {
  try {
    const version = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    return typeof version === 'string' && version !== '' ? version : CURRENT_CNI_VERSION;
  } catch {
    return CURRENT_CNI_VERSION;
  }
}
