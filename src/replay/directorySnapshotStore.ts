import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Position } from '../events/envelope.js';
import type { SnapshotStore } from './history.js';

const hex16 = (p: Position) => p.toString(16).padStart(16, '0');

/** Snapshots as files `<dir>/<name>/<16 hex position>.snap` (for exported log files). */
export function directorySnapshotStore(dir: string): SnapshotStore {
  const folder = (name: string) => join(dir, encodeURIComponent(name));
  return {
    async save(name, position, state) {
      await mkdir(folder(name), { recursive: true });
      const file = join(folder(name), `${hex16(position)}.snap`);
      // Written aside then renamed: a reader never sees half a snapshot.
      await writeFile(`${file}.tmp`, state);
      await rename(`${file}.tmp`, file);
    },
    async load(name, atOrBefore) {
      let files: string[];
      try {
        files = await readdir(folder(name));
      } catch {
        return undefined;
      }
      const positions = files
        .filter((f) => /^[0-9a-f]{16}\.snap$/.test(f))
        .map((f) => BigInt(`0x${f.slice(0, 16)}`))
        .filter((p) => atOrBefore === undefined || p <= atOrBefore)
        .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
      const best = positions[0];
      if (best === undefined) return undefined;
      return {
        position: best,
        state: new Uint8Array(await readFile(join(folder(name), `${hex16(best)}.snap`))),
      };
    },
  };
}
