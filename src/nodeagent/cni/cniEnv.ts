import { delimiter } from 'node:path';
import { CNI_ERROR, CniError } from './cniError.js';

export const CNI_COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'] as const;

export type CniCommand = (typeof CNI_COMMANDS)[number];

/** The runtime's parameters of one call, read from the environment. */
export interface CniEnv {
  readonly command: CniCommand;
  readonly containerId: string;
  /** Path of the container's network namespace; '' when the runtime gave none (DEL may omit it). */
  readonly netns: string;
  readonly ifName: string;
  /** `CNI_ARGS` as key/value pairs (`K8S_POD_NAMESPACE`, `K8S_POD_NAME`, …). */
  readonly args: ReadonlyMap<string, string>;
  /** Directories to look for delegated plugins in (`CNI_PATH`). */
  readonly path: readonly string[];
  /** The environment as received, handed on to delegated plugins unchanged. */
  readonly raw: NodeJS.ProcessEnv;
}

const REQUIRED: Readonly<Record<CniCommand, readonly string[]>> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
  GC: ['CNI_PATH'],
  STATUS: ['CNI_PATH'],
  VERSION: [],
};

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Reads and validates the CNI_* variables the spec defines for the command. Every problem is
 * the spec's error 4, naming each variable that is missing or invalid.
 */
export function parseCniEnv(env: NodeJS.ProcessEnv): CniEnv {
  const command = env.CNI_COMMAND ?? '';
  if (!(CNI_COMMANDS as readonly string[]).includes(command)) {
    throw new CniError(
      CNI_ERROR.invalidEnvironment,
      command === ''
        ? 'required environment variable CNI_COMMAND is not set'
        : `CNI_COMMAND ${JSON.stringify(command)} is not one of ${CNI_COMMANDS.join(', ')}`,
    );
  }
  const cmd = command as CniCommand;
  const missing = REQUIRED[cmd].filter((name) => (env[name] ?? '') === '');
  if (missing.length > 0) {
    throw new CniError(
      CNI_ERROR.invalidEnvironment,
      `${cmd} needs environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not set`,
    );
  }
  const containerId = env.CNI_CONTAINERID ?? '';
  const ifName = env.CNI_IFNAME ?? '';
  const problems: string[] = [];
  if (containerId !== '' && !CONTAINER_ID.test(containerId)) {
    problems.push(
      `CNI_CONTAINERID ${JSON.stringify(containerId)} must start with a letter or digit and hold only letters, digits, '_', '.' and '-'`,
    );
  }
  if (ifName !== '') {
    const why = ifNameProblem(ifName);
    if (why) problems.push(`CNI_IFNAME ${JSON.stringify(ifName)} ${why}`);
  }
  let args = new Map<string, string>();
  try {
    args = parseCniArgs(env.CNI_ARGS ?? '');
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0) throw new CniError(CNI_ERROR.invalidEnvironment, problems.join('; '));
  return {
    command: cmd,
    containerId,
    netns: env.CNI_NETNS ?? '',
    ifName,
    args,
    path: (env.CNI_PATH ?? '').split(delimiter).filter(Boolean),
    raw: env,
  };
}

/** Why `name` cannot be an interface name (spec and Linux's IFNAMSIZ), or undefined. */
export function ifNameProblem(name: string): string | undefined {
  if (name.length > 15) return 'is longer than 15 characters';
  if (name === '.' || name === '..') return 'must not be . or ..';
  if (/[/:\s]/.test(name)) return "must not contain '/', ':' or whitespace";
  return undefined;
}

/** `CNI_ARGS` (`K1=V1;K2=V2`) as a map; a pair without '=' is an error naming it. */
export function parseCniArgs(text: string): Map<string, string> {
  const args = new Map<string, string>();
  for (const pair of text.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`CNI_ARGS pair ${JSON.stringify(pair)} is not KEY=VALUE`);
    args.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return args;
}
