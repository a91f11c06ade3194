import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The pinned Kubernetes release; scripts/build-kube.sh builds the same one (a test checks). */
export const KUBE_VERSION = 'v1.33.13';

/** The binaries scripts/build-kube.sh builds. */
export type KubeBinary = 'kube-apiserver' | 'kube-proxy' | 'kubectl';

/** Where scripts/build-kube.sh caches the binaries of `version`: outside the clone, keyed by version. */
export function kubeCacheDir(version = KUBE_VERSION): string {
  const cache = process.env.CAIRN_CACHE || join(homedir(), '.cache', 'cairn');
  return join(cache, 'kube', version);
}

/**
 * The path of a pinned Kubernetes binary: `CAIRN_KUBE_APISERVER` (or `CAIRN_KUBE_PROXY`,
 * `CAIRN_KUBECTL`) when set, else the build cache.
 */
export function kubeBinaryPath(binary: KubeBinary, version = KUBE_VERSION): string {
  const variable = {
    'kube-apiserver': 'CAIRN_KUBE_APISERVER',
    'kube-proxy': 'CAIRN_KUBE_PROXY',
    kubectl: 'CAIRN_KUBECTL',
  }[binary];
  return process.env[variable] || join(kubeCacheDir(version), binary);
}

/** Why the binary cannot be used, or undefined when it is there. */
export function missingKubeBinary(binary: KubeBinary, version = KUBE_VERSION): string | undefined {
  const path = kubeBinaryPath(binary, version);
  return existsSync(path)
    ? undefined
    : `${binary} ${version} not found at ${path} (run scripts/build-kube.sh)`;
}

/**
 * The kubectl to use: `CAIRN_KUBECTL`, else the one scripts/build-kube.sh built (only when the
 * machine's was missing or too old), else the machine's.
 */
export function kubectlPath(version = KUBE_VERSION): string {
  const built = kubeBinaryPath('kubectl', version);
  return process.env.CAIRN_KUBECTL || (existsSync(built) ? built : 'kubectl');
}
