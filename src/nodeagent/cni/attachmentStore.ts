import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CniResult } from './cniResult.js';

/** What one successful ADD made, kept on disk until its DEL: what DEL, CHECK and GC work from. */
export interface AttachmentRecord {
  readonly containerId: string;
  readonly ifName: string;
  readonly netns: string;
  readonly hostIf: string;
  readonly hostIfIndex: number;
  /** Distinguishes this ADD from an earlier ADD of the same container and interface. */
  readonly attempt: string;
  readonly podNamespace: string | null;
  readonly podName: string | null;
  /** This plugin's own part of the result (1.0.0 shape), for CHECK. */
  readonly result: CniResult;
  /** The runtime's CNI_ARGS, so a GC can call IPAM DEL as the runtime would. */
  readonly cniArgs: string;
  readonly createdAtMs: number;
}

/**
 * Attachment records of one network, one JSON file each under `<dataDir>/<network>/`. Writes go
 * to a temporary file renamed into place, so a crash leaves the old record or the new one.
 */
export class AttachmentStore {
  readonly dir: string;

  constructor(dataDir: string, network: string) {
    this.dir = join(dataDir, network);
  }

  private file(containerId: string, ifName: string): string {
    // ':' is in neither a container id nor an interface name: the file name is unambiguous.
    return join(this.dir, `${containerId}:${ifName}.json`);
  }

  get(containerId: string, ifName: string): AttachmentRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.file(containerId, ifName), 'utf8')) as AttachmentRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  put(record: AttachmentRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(record.containerId, record.ifName);
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(record), { mode: 0o600 });
    renameSync(temporary, target);
  }

  remove(containerId: string, ifName: string): void {
    rmSync(this.file(containerId, ifName), { force: true });
  }

  /** Every record of the network (files that do not parse are skipped). */
  list(): AttachmentRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records: AttachmentRecord[] = [];
    for (const name of names) {
      try {
        records.push(JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as AttachmentRecord);
      } catch {
        // a torn or foreign file: not ours to act on
      }
    }
    return records;
  }
}
