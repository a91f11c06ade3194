import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/paths.js';
import { isRoot, skipUnlessAvailable } from '../../support/prerequisites.js';

/** Debian's containernetworking-plugins install the reference plugins here. */
export const REFERENCE_PLUGINS = '/usr/lib/cni';

function missing(): string | undefined {
  if (!isRoot()) return 'the CNI tests need root (network namespaces, veths)';
  for (const plugin of ['host-local', 'bandwidth']) {
    if (!existsSync(join(REFERENCE_PLUGINS, plugin))) {
      return `${REFERENCE_PLUGINS}/${plugin} is missing: install Debian's containernetworking-plugins (scripts/setup.sh)`;
    }
  }
  if (!existsSync(join(packageRoot(), 'node_modules', '.bin', 'esbuild')))
    return 'esbuild (from tsx) is not installed';
  return undefined;
}

/** Skip reason for the CNI tests (undefined when they can run); in CI a missing piece throws. */
export function cniTestsSkipReason(): string | undefined {
  return skipUnlessAvailable(missing());
}

/** The cnitool that scripts/build-cnitool.sh built (setup runs it), or a skip reason. */
export function findCnitool(): { path?: string; skip?: string } {
  try {
    const out = execFileSync('bash', [join(packageRoot(), 'scripts', 'build-cnitool.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    return { path: out.trim() };
  } catch (error) {
    return {
      skip: skipUnlessAvailable(
        `cnitool is not built (scripts/build-cnitool.sh): ${(error as Error).message}`,
      ),
    };
  }
}
