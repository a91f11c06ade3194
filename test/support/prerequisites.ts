/**
 * Tests that need root, BPF or another real component run in CI and fail loudly there when it is
 * missing; outside CI (a laptop without root) they may be skipped, and say why.
 */
export function inCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * Returns undefined when `missing` is undefined (the prerequisite is there). Otherwise throws in CI,
 * and outside CI returns a reason to pass to `describe.skipIf(...)`.
 */
export function skipUnlessAvailable(missing: string | undefined): string | undefined {
  if (missing === undefined) return undefined;
  if (inCI()) throw new Error(`prerequisite missing in CI: ${missing}`);
  console.warn(`skipping outside CI: ${missing}`);
  return missing;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
