import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** cgroup v2 on the machines cairn runs on. */
export const CGROUP2_ROOT = '/sys/fs/cgroup/unified';

/** Creates (if needed) a cgroup v2 directory `name` under the root and returns its path. */
export function ensureCgroup(name: string, root = CGROUP2_ROOT): string {
  if (!existsSync(join(root, 'cgroup.procs'))) {
    throw new Error(
      `${root} is not a cgroup v2 mount (no cgroup.procs): mount cgroup2 there or pass --cgroup`,
    );
  }
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * Removes a cgroup this process created, by its path: processes still in it move to the parent
 * first (rmdir fails on a populated cgroup).
 */
export function removeCgroup(path: string): void {
  if (!existsSync(path)) return;
  const parent = join(path, '..');
  for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      writeFileSync(join(parent, 'cgroup.procs'), pid);
    } catch {
      // The process exited meanwhile.
    }
  }
  rmdirSync(path);
}

/** A shell prefix that moves the shell into `cgroupPath`, then runs the rest of the command. */
export function inCgroup(cgroupPath: string, command: string): string[] {
  return ['sh', '-c', `echo $$ > ${join(cgroupPath, 'cgroup.procs')} && exec ${command}`];
}
