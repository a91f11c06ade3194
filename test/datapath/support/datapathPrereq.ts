import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { ensureBpffs } from '../../../src/datapath/bpffs.js';
import { ADDON_PATH, BPF_OBJECTS, BPFFS_ROOT, CGROUP2_ROOT } from '../../../src/datapath/paths.js';
import { isRoot, skipUnlessAvailable } from '../../support/prerequisites.js';

/** Why the real-kernel datapath tests cannot run here, or undefined when they can. */
function missing(needs: { objects: boolean; root: boolean }): string | undefined {
  if (!existsSync(ADDON_PATH)) return `the libbpf addon is not built (${ADDON_PATH}); run make setup`;
  if (needs.objects && !existsSync(BPF_OBJECTS.sockLb))
    return `BPF objects not built (${BPF_OBJECTS.sockLb}); run make setup`;
  if (!needs.root) return undefined;
  if (!isRoot()) return 'the datapath tests need root (BPF, bpffs, cgroups, netns)';
  try {
    ensureBpffs();
    // Creating a directory in bpffs proves it is mounted and writable.
    const probe = `${BPFFS_ROOT}/cairn-probe-${process.pid}`;
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (err) {
    return `bpffs is not usable at ${BPFFS_ROOT}: ${(err as Error).message}`;
  }
  if (!existsSync(`${CGROUP2_ROOT}/cgroup.procs`)) return `cgroup v2 is not mounted at ${CGROUP2_ROOT}`;
  return undefined;
}

/**
 * Skip reason for describe.skipIf: undefined when the kernel tests can run. In CI a missing
 * prerequisite throws (the test file fails with the reason) instead of skipping.
 */
export function kernelTestsSkipReason(needs = { objects: true, root: true }): string | undefined {
  return skipUnlessAvailable(missing(needs));
}
