import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { missingKubeBinary } from '../../src/kube/kubeBinaries.js';
import { packageRoot } from '../../src/paths.js';
import { kernelTestsSkipReason } from '../datapath/support/datapathPrereq.js';
import { skipUnlessAvailable } from '../support/prerequisites.js';

const skip = kernelTestsSkipReason() ?? skipUnlessAvailable(missingKubeBinary('kube-apiserver'));

describe.skipIf(skip)('the README main job', () => {
  it('cairn run --once: etcd, kube-apiserver, kubectl apply, apiwatch, the agent on BPF maps, a ClusterIP answered', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [`${packageRoot()}/bin/cairn.js`, 'run', '--once'],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(stdout).toContain('$ kubectl apply -f');
    expect(stdout).toContain('service/web created');
    // apiwatch's events, with the field manager (the audit user may arrive after the log is shown).
    expect(stdout).toMatch(
      /kubectl-client-side-apply\)\s+ServiceUpserted\s+Service\/[0-9a-f-]{36}\/\d+\s+demo\/web ClusterIP 10\.96\.0\.10/,
    );
    expect(stdout).toMatch(/# agent on node .*: maps at log position \d+/);
    expect(stdout).toContain('10.96.0.10:80/TCP@external  rev-nat 2  clusterIP  3 backends');
    const answers = stdout.split('\n').filter((line) => line.startsWith('$ curl http://10.96.0.10:80/'));
    expect(answers).toHaveLength(4);
    for (const answer of answers)
      expect(answer).toMatch(/-> {2}hello from web-[012] \(10\.244\.200\.1[123]:8080\)/);
  });
});
