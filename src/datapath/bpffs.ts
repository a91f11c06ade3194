import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { BPFFS_ROOT } from './paths.js';

/** True when a bpf filesystem is mounted at `path`. */
export function isBpffsMounted(path = BPFFS_ROOT): boolean {
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((line) => {
    const [, mountPoint, type] = line.split(' ');
    return mountPoint === path && type === 'bpf';
  });
}

/** Mounts bpffs at `path` unless it is there already (idempotent; needs root). */
export function ensureBpffs(path = BPFFS_ROOT): void {
  if (isBpffsMounted(path)) return;
  if (!existsSync(path)) mkdirSync(path, { recursive: true });
  execFileSync('mount', ['-t', 'bpf', 'bpf', path], { stdio: 'pipe' });
}
