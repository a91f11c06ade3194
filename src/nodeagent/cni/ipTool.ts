import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where iproute2 and util-linux live on Debian, for runtimes that call plugins with a bare PATH. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** An `ip` command that failed: the command line and what iproute2 said. */
export class IpCommandError extends Error {
  override readonly name = 'IpCommandError';
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')}: ${stderr.trim() || 'failed'}`);
  }

  /** iproute2's "Cannot find device" / "No such device": the link is already gone. */
  get noSuchDevice(): boolean {
    return /Cannot find device|No such device|does not exist/i.test(this.stderr);
  }

  get exists(): boolean {
    return /File exists/i.test(this.stderr);
  }
}

/**
 * Runs `ip args…` in the host's netns, or in the netns at path `netns` (through nsenter, since
 * `ip -n` takes only names under /run/netns). Resolves with stdout.
 */
export async function ip(args: readonly string[], netns?: string): Promise<string> {
  const argv = netns ? ['nsenter', `--net=${netns}`, '--', 'ip', ...args] : ['ip', ...args];
  try {
    const { stdout } = await run(argv[0]!, argv.slice(1), {
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:${SYSTEM_PATH}`, LC_ALL: 'C' },
      timeout: 30_000,
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new IpCommandError(argv, e.stderr || e.message);
  }
}

/**
 * Runs several `ip` commands in one process (`ip -batch -`), stopping at the first that fails;
 * the error names that command.
 */
export async function ipBatch(commands: readonly string[], netns?: string): Promise<void> {
  if (commands.length === 0) return;
  const argv = netns ? ['nsenter', `--net=${netns}`, '--', 'ip', '-batch', '-'] : ['ip', '-batch', '-'];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:${SYSTEM_PATH}`, LC_ALL: 'C' },
    stdio: ['pipe', 'ignore', 'pipe'],
    timeout: 30_000,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(`${commands.join('\n')}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code === 0) return;
  // iproute2 reports "Command failed -:N" for the Nth line.
  const line = /Command failed -:(\d+)/.exec(stderr)?.[1];
  const failed = line ? commands[Number(line) - 1] : undefined;
  throw new IpCommandError(failed ? [...argv.slice(0, -2), ...failed.split(' ')] : argv, stderr);
}

/** `ip -j args…` parsed. */
export async function ipJson<T>(args: readonly string[], netns?: string): Promise<T> {
  const out = await ip(['-j', ...args], netns);
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

/** One link as `ip -j link show` prints it (the fields cairn reads). */
export interface IpLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly address: string;
  readonly flags: readonly string[];
  readonly operstate: string;
  readonly mtu: number;
  readonly link_type?: string;
  readonly linkinfo?: { readonly info_kind?: string };
}

/** The link `name`, or undefined when there is none. */
export async function findLink(name: string, netns?: string): Promise<IpLink | undefined> {
  try {
    const [link] = await ipJson<IpLink[]>(['-d', 'link', 'show', 'dev', name], netns);
    return link;
  } catch (error) {
    if (error instanceof IpCommandError && error.noSuchDevice) return undefined;
    throw error;
  }
}
