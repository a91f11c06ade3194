import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesUnder(path));
    else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/**
 * A hash of the projection and map-model code this process runs. A snapshot holds fold
 * internals, so it is only restored by the very code that wrote it; any other snapshot is
 * skipped (and replay folds from an older one, or from the start).
 */
export function projectionCodeFingerprint(): string {
  if (cached !== undefined) return cached;
  const hash = createHash('sha256');
  for (const part of ['../projections/', '../maps/']) {
    const dir = fileURLToPath(new URL(part, import.meta.url));
    for (const file of sourcesUnder(dir)) {
      hash.update(file.slice(dir.length)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  cached = hash.digest('hex').slice(0, 16);
  return cached;
}
