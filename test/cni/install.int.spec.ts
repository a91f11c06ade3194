import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { skipUnlessAvailable } from '../support/prerequisites.js';
import { runPlugin } from './support/cniHarness.js';
import { REFERENCE_PLUGINS } from './support/cniPrereq.js';

const entry = join(packageRoot(), 'dist', 'src', 'nodeagent', 'cni', 'main.js');
const skip = skipUnlessAvailable(existsSync(entry) ? undefined : `${entry} is not built (scripts/setup.sh)`);

describe.skipIf(skip !== undefined)('scripts/install-cni.sh', () => {
  const binDir = join(mkdtempSync(join(tmpdir(), 'cairn-cni-install-')), 'bin');
  afterAll(() => rmSync(join(binDir, '..'), { recursive: true, force: true }));

  it('installs the compiled plugin, which answers VERSION, next to the reference plugins', async () => {
    execFileSync('bash', [join(packageRoot(), 'scripts', 'install-cni.sh'), '--bin-dir', binDir], {
      stdio: 'pipe',
    });
    // Runtimes may call plugins with a bare environment: the wrapper must not need PATH.
    const run = await runPlugin(
      join(binDir, 'cairn'),
      { PATH: '', CNI_COMMAND: 'VERSION' },
      '{"cniVersion":"1.0.0"}',
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      supportedVersions: expect.arrayContaining(['0.4.0', '1.0.0']),
    });
    if (existsSync(join(REFERENCE_PLUGINS, 'host-local'))) {
      expect(readlinkSync(join(binDir, 'host-local'))).toBe(join(REFERENCE_PLUGINS, 'host-local'));
    }
    // A second run replaces the plugin and keeps the links.
    execFileSync('bash', [join(packageRoot(), 'scripts', 'install-cni.sh'), '--bin-dir', binDir], {
      stdio: 'pipe',
    });
    expect(existsSync(join(binDir, 'cairn'))).toBe(true);
  });
});
