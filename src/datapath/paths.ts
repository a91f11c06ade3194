import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found from this file (src/datapath/ or dist/src/datapath/). */
const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = here.includes(`${join('dist', 'src')}`)
  ? join(here, '..', '..', '..')
  : join(here, '..', '..');

/** The compiled addon (node-gyp output). */
export const ADDON_PATH = join(REPO_ROOT, 'build', 'Release', 'cairn_bpf.node');

/** BPF objects built by bpf/Makefile. */
export const BPF_OBJECTS = {
  sockLb: join(REPO_ROOT, 'build', 'bpf', 'sock_lb.bpf.o'),
  policy: join(REPO_ROOT, 'build', 'bpf', 'policy.bpf.o'),
} as const;

/** Where bpffs is mounted and where cgroup v2 lives on the machines cairn runs on. */
export const BPFFS_ROOT = '/sys/fs/bpf';
export const CGROUP2_ROOT = '/sys/fs/cgroup/unified';

/** Default pin root of a node's maps (the node agent may choose another). */
export const DEFAULT_PIN_ROOT = `${BPFFS_ROOT}/cairn`;
