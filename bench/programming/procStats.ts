/** CPU time and memory of a process, from /proc (Linux). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcessUsage {
  /** User + system CPU seconds of the process and of the children it has waited for. */
  readonly cpuSeconds: number;
  readonly rssMiB: number;
  /** Peak resident set (VmHWM). */
  readonly peakRssMiB: number;
}

/** The usage of `pid`, or undefined once it has exited. */
export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): the 3rd field of the line is [0].
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const ticks = f[11]! + f[12]! + f[13]! + f[14]!;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);
    return {
      cpuSeconds: ticks / TICKS_PER_SECOND,
      rssMiB: kib('VmRSS') / 1024,
      peakRssMiB: kib('VmHWM') / 1024,
    };
  } catch {
    return undefined;
  }
}

/** The summed usage of several processes (those that have exited count as zero). */
export function totalUsage(pids: readonly number[]): ProcessUsage {
  let cpuSeconds = 0;
  let rssMiB = 0;
  let peakRssMiB = 0;
  for (const pid of pids) {
    const u = processUsage(pid);
    if (!u) continue;
    cpuSeconds += u.cpuSeconds;
    rssMiB += u.rssMiB;
    peakRssMiB += u.peakRssMiB;
  }
  return { cpuSeconds, rssMiB, peakRssMiB };
}
