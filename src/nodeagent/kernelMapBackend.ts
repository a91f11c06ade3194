import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isBpfError } from '../datapath/bpfError.js';
import { BpfObject } from '../datapath/bpfObject.js';
import type { KernelMap } from '../datapath/kernelMap.js';
import { MAP_CODECS } from '../datapath/mapCodecs.js';
import { BPF_OBJECTS } from '../datapath/paths.js';
import { SOCK_LB_PROGRAMS } from '../datapath/programs.js';
import type { MapDelta, MapEntry } from '../maps/delta.js';
import { mapKeyId } from '../maps/keys.js';
import { MAP_NAMES, type MapName, type NodeMaps } from '../maps/model.js';
import { type ApplyResult, type MapBackend, type MapFill, MapOpError } from './mapBackend.js';

/** The socket load-balancing programs, attached to the node's cgroup. */
export const SOCKET_LB_PROGRAMS = [
  'cairn_connect4',
  'cairn_sendmsg4',
  'cairn_recvmsg4',
  'cairn_getpeername4',
] as const;

export interface KernelBackendOptions {
  /** bpffs directory of the node's pinned maps and links; reopening reuses them. */
  readonly pinRoot: string;
  readonly maglevTableSize?: number;
  /** Map capacities, overriding bpf/maps.h (e.g. for 100k Services); must match pinned maps. */
  readonly mapMaxEntries?: Partial<Record<MapName, number>>;
  /** cgroup v2 directory to attach socket load balancing to (e.g. the node's root cgroup). */
  readonly cgroupPath?: string;
}

type HandleOf = { [M in MapName]: KernelMap<M> };

/**
 * The node's real BPF maps, through the native addon: programs loaded with their maps pinned
 * under `pinRoot` (a restarted agent gets the same maps back, with their contents, and traffic
 * never stops), writes in batch syscalls off the main thread.
 */
export class KernelMapBackend implements MapBackend {
  readonly name = 'kernel';

  private constructor(
    private readonly maps: HandleOf,
    private readonly objects: readonly BpfObject[],
  ) {}

  /** Loads (or reuses) the programs and maps; attaches socket LB to `cgroupPath` once (pinned links). */
  static open(options: KernelBackendOptions): KernelMapBackend {
    mkdirSync(options.pinRoot, { recursive: true });
    const maxEntries = Object.fromEntries(
      Object.entries(options.mapMaxEntries ?? {}).map(([name, n]) => [MAP_CODECS[name as MapName].cName, n]),
    );
    const open = (path: string) =>
      BpfObject.open(path, {
        pinRoot: options.pinRoot,
        maxEntries,
        ...(options.maglevTableSize ? { maglevTableSize: options.maglevTableSize } : {}),
      });
    const objects = [open(BPF_OBJECTS.sockLb), open(BPF_OBJECTS.policy)];
    const maps: Partial<Record<MapName, unknown>> = {};
    for (const name of MAP_NAMES) {
      const owner = objects.find((o) => o.mapNames().includes(MAP_CODECS[name].cName));
      if (!owner) throw new Error(`no BPF object defines map ${MAP_CODECS[name].cName} (${name})`);
      maps[name] = owner.map(name);
    }
    if (options.cgroupPath) attachSocketLb(objects[0]!, options.cgroupPath, options.pinRoot);
    return new KernelMapBackend(maps as HandleOf, objects);
  }

  async dump<M extends MapName>(map: M): Promise<MapEntry<M>[]> {
    return (this.maps[map] as KernelMap<M>).readAll();
  }

  async apply(ops: readonly MapDelta[]): Promise<ApplyResult> {
    if (ops.length === 0) return { applied: 0 };
    const first = ops[0]!;
    const handle = this.maps[first.map] as KernelMap<MapName>;
    try {
      if (first.op === 'upsert') {
        await handle.updateMany(
          ops.map((op) => ({ key: op.key, value: (op as { value: unknown }).value }) as never),
        );
      } else {
        await handle.deleteMany(ops.map((op) => op.key as NodeMaps[MapName]['key']));
      }
      return { applied: ops.length };
    } catch (error) {
      if (isBpfError(error)) {
        const applied = Math.min(error.done ?? 0, ops.length - 1);
        const failed = ops[applied]!;
        return {
          applied,
          error: new MapOpError(
            failed.map,
            mapKeyId(failed.map, failed.key as never),
            error.message,
            error.code,
          ),
        };
      }
      // A value the codec refuses (e.g. an id beyond its field): find it, apply what precedes it.
      if (ops.length > 1) {
        for (let i = 0; i < ops.length; i++) {
          const one = await this.apply([ops[i]!]);
          if (one.error) return { applied: i, error: one.error };
        }
        return { applied: ops.length };
      }
      const op = ops[0]!;
      return {
        applied: 0,
        error: new MapOpError(op.map, mapKeyId(op.map, op.key as never), (error as Error).message),
      };
    }
  }

  async fill(map: MapName): Promise<MapFill> {
    const info = this.maps[map].info(true);
    return { entries: info.count ?? 0, maxEntries: info.maxEntries };
  }

  async close(): Promise<void> {
    for (const name of MAP_NAMES) this.maps[name].close();
    for (const object of this.objects) object.close();
  }
}

/**
 * Attaches the socket LB programs to `cgroupPath` and pins the links under `pinRoot/links`, so
 * they stay attached when the agent exits; a later agent finds the pins and leaves them be.
 */
export function attachSocketLb(object: BpfObject, cgroupPath: string, pinRoot: string): void {
  const dir = join(pinRoot, 'links');
  mkdirSync(dir, { recursive: true });
  for (const program of SOCK_LB_PROGRAMS) {
    const pin = join(dir, program);
    if (existsSync(pin)) continue;
    const link = object.attachCgroup(program, cgroupPath);
    link.pin(pin);
    link.close();
  }
}
