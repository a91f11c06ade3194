import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { kernelTestsSkipReason } from '../datapath/support/datapathPrereq.js';

const skip = kernelTestsSkipReason();

describe.skipIf(skip)('the README main job', () => {
  it('cairn run --once: etcd, the log, the agent on BPF maps, and a ClusterIP answered through the socket LB', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [`${packageRoot()}/bin/cairn.js`, 'run', '--once'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(stdout).toMatch(
      /ServiceUpserted\s+Service\/manifest-[0-9a-f]+\/[0-9a-f]+\s+demo\/web ClusterIP 10\.96\.0\.10/,
    );
    expect(stdout).toMatch(/# agent on node .*: maps at log position 3/);
    expect(stdout).toContain('10.96.0.10:80/TCP@external  rev-nat 1  clusterIP  3 backends');
    const answers = stdout.split('\n').filter((line) => line.startsWith('$ curl http://10.96.0.10:80/'));
    expect(answers).toHaveLength(4);
    for (const answer of answers)
      expect(answer).toMatch(/-> {2}hello from web-[012] \(127\.0\.0\.1[123]:8080\)/);
  });
});
