import { join } from 'node:path';
import type { MapName } from '../maps/model.js';
import { ensureBpffs } from './bpffs.js';
import { KernelMap } from './kernelMap.js';
import { MAP_CODECS } from './mapCodecs.js';
import {
  type NativeLink,
  type NativeMap,
  type NativeObject,
  nativeBinding,
  type TcAttachment,
} from './native.js';

export interface OpenOptions {
  /** bpffs directory the maps are pinned in by name; reopening reuses what is pinned there. */
  readonly pinRoot: string;
  /** Maglev table size M (a prime); must match the pinned map when one exists. Default 16381. */
  readonly maglevTableSize?: number;
  /** Capacities by C map name, overriding bpf/maps.h; must match maps already pinned. */
  readonly maxEntries?: Readonly<Record<string, number>>;
}

/** A loaded BPF object file: programs to attach, maps pinned under `pinRoot`. */
export class BpfObject {
  readonly path: string;
  readonly pinRoot: string;
  readonly #obj: NativeObject;

  private constructor(path: string, pinRoot: string, obj: NativeObject) {
    this.path = path;
    this.pinRoot = pinRoot;
    this.#obj = obj;
  }

  /** Opens and loads `path`, creating or reusing the maps pinned in `options.pinRoot`. */
  static open(path: string, options: OpenOptions): BpfObject {
    ensureBpffs();
    const inner =
      options.maglevTableSize === undefined ? undefined : { cairn_lb4_mglv: options.maglevTableSize };
    const obj = new (nativeBinding().ObjectHandle)(path, options.pinRoot, inner, options.maxEntries);
    return new BpfObject(path, options.pinRoot, obj);
  }

  mapNames(): string[] {
    return this.#obj.mapNames();
  }

  programNames(): string[] {
    return this.#obj.programs().map((p) => p.name);
  }

  /** A raw handle on a map of this object (by its C name). */
  rawMap(cName: string): NativeMap {
    return this.#obj.map(cName);
  }

  /** A typed handle on one of the node maps of src/maps/model.ts. */
  map<M extends MapName>(name: M): KernelMap<M> {
    const codec = MAP_CODECS[name];
    return new KernelMap(this.#obj.map(codec.cName), codec);
  }

  /** Where a map of this object is pinned. */
  pinPath(cName: string): string {
    return join(this.pinRoot, cName);
  }

  /** Attaches a cgroup program (bpf_link): closing the link detaches it unless it was pinned. */
  attachCgroup(program: string, cgroupPath: string): NativeLink {
    return this.#obj.attachCgroup(program, cgroupPath);
  }

  /** Attaches a tc program to ifindex's clsact hook; detach with `detachTc(attachment)`. */
  attachTc(
    program: string,
    ifindex: number,
    attachPoint: 'ingress' | 'egress',
    priority = 1,
    handle = 1,
  ): TcAttachment {
    return this.#obj.attachTc(program, ifindex, attachPoint, priority, handle);
  }

  /**
   * Swaps the program behind an existing cgroup link (a pinned one from an earlier agent) for
   * this object's `program`: an upgrade without a moment of being detached.
   */
  updateLink(link: NativeLink, program: string): void {
    this.#obj.updateLink(link, program);
  }

  pinProgram(program: string, path: string): void {
    this.#obj.pinProgram(program, path);
  }

  /** Frees the object; pinned maps, pinned links and tc filters stay. */
  close(): void {
    this.#obj.close();
  }
}

/** Removes a tc filter by the ids `attachTc` returned; false when it was already gone. */
export function detachTc(a: Pick<TcAttachment, 'ifindex' | 'attachPoint' | 'priority' | 'handle'>): boolean {
  return nativeBinding().detachTc(a.ifindex, a.attachPoint, a.priority, a.handle);
}

/** Opens a map pinned at `path` without loading any object (tools, dumps). */
export function openPinnedMap(path: string): NativeMap {
  return nativeBinding().openPinnedMap(path);
}

/** Opens a typed handle on a node map pinned under `pinRoot`. */
export function openPinnedNodeMap<M extends MapName>(pinRoot: string, name: M): KernelMap<M> {
  const codec = MAP_CODECS[name];
  return new KernelMap(openPinnedMap(join(pinRoot, codec.cName)), codec);
}

/** Opens a link pinned at `path` (to detach an attachment made by an earlier process). */
export function openPinnedLink(path: string): NativeLink {
  return nativeBinding().openPinnedLink(path);
}

/** Removes a pin; false when nothing was pinned there. */
export function unpin(path: string): boolean {
  return nativeBinding().unpin(path);
}

/** Interface index of a network device in this process's netns. */
export function ifIndex(ifname: string): number {
  return nativeBinding().ifIndex(ifname);
}
