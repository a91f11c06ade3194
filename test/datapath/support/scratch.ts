import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BPFFS_ROOT, CGROUP2_ROOT } from '../../../src/datapath/paths.js';

/** A short random suffix that makes this run's names unique (interface names allow 15 chars). */
export function uniqueSuffix(): string {
  return randomBytes(3).toString('hex');
}

/** Creates /sys/fs/bpf/cairn-test-<pid>-<rand> for this test's pins. */
export function makePinDir(): string {
  const dir = join(BPFFS_ROOT, `cairn-test-${process.pid}-${uniqueSuffix()}`);
  mkdirSync(dir);
  return dir;
}

/** Removes the pins in a directory this test created, then the directory; nothing else. */
export function removePinDir(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
  rmdirSync(dir);
}

/** Creates a cgroup v2 directory cairn-test-<pid>-<rand> for this test. */
export function makeCgroup(): string {
  const dir = join(CGROUP2_ROOT, `cairn-test-${process.pid}-${uniqueSuffix()}`);
  mkdirSync(dir);
  return dir;
}

/** Removes a test cgroup (its processes must have exited; rmdir fails otherwise). */
export async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; existsSync(dir); attempt++) {
    try {
      rmdirSync(dir);
    } catch (err) {
      // EBUSY while an exiting child is still being reaped: retry briefly.
      if (attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Runs a command and returns its stdout; throws with stderr on failure. */
export function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command, ignoring failure (cleanup of something that may already be gone). */
export function tryRun(cmd: string, args: readonly string[]): void {
  try {
    run(cmd, args);
  } catch {
    // already gone
  }
}
