import { CNI_ERROR, CniError } from './cniError.js';

/** Spec versions cairn speaks; results are written in the version the configuration names. */
export const SUPPORTED_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

export type CniVersion = (typeof SUPPORTED_CNI_VERSIONS)[number];

/** The newest version cairn implements (VERSION reports it). */
export const CURRENT_CNI_VERSION: CniVersion = '1.1.0';

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` (semver x.y.z). */
export function compareCniVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `version` if cairn supports it; otherwise the spec's error 1 naming it and what is supported. */
export function checkCniVersion(version: unknown, where = 'cniVersion'): CniVersion {
  if (typeof version !== 'string' || version === '') {
    throw new CniError(CNI_ERROR.invalidNetworkConfig, `network configuration has no ${where}`);
  }
  if (!(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(version)) {
    throw new CniError(
      CNI_ERROR.incompatibleVersion,
      `incompatible CNI versions: ${where} ${JSON.stringify(version)} is not supported; cairn supports ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  }
  return version as CniVersion;
}

/** The VERSION answer. */
export function versionInfo(): { cniVersion: string; supportedVersions: string[] } {
  return { cniVersion: CURRENT_CNI_VERSION, supportedVersions: [...SUPPORTED_CNI_VERSIONS] };
}
