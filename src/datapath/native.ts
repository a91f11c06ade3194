/**
 * The one module that loads the libbpf addon (build/Release/cairn_bpf.node, built from
 * native/ by node-gyp during set-up). Everything else imports these types from here.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BpfError } from './bpfError.js';
import { ADDON_PATH } from './paths.js';

/** Raw entries of a whole-map read: keys and values concatenated, `count` of each. */
export interface RawEntries {
  readonly keys: Buffer;
  readonly values: Buffer;
  readonly count: number;
  /** Whether BPF_MAP_*_BATCH was used (false: the per-element fallback ran). */
  readonly batch: boolean;
}

export interface BatchResult {
  readonly count: number;
  readonly batch: boolean;
}

export interface NativeMapInfo {
  readonly name: string;
  readonly id: number;
  /** enum bpf_map_type */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  /** Bytes per value exchanged with user space (valueSize rounded to 8 times possible CPUs for per-CPU maps). */
  readonly valueStride: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly perCpu: boolean;
}

export interface NativeMap {
  info(): NativeMapInfo;
  count(): number;
  lookup(key: Buffer): Buffer | undefined;
  /** Lookup into `out` (valueStride bytes), no allocation per call; false when the key is absent. */
  lookupInto(key: Buffer, out: Buffer): boolean;
  update(key: Buffer, value: Buffer, flags?: number | bigint): void;
  delete(key: Buffer): boolean;
  nextKey(key?: Buffer): Buffer | undefined;
  dump(): RawEntries;
  lookupBatch(): Promise<RawEntries>;
  updateBatch(keys: Buffer, values: Buffer, flags?: number | bigint): Promise<BatchResult>;
  deleteBatch(keys: Buffer): Promise<BatchResult>;
  lookupBatchSync(): RawEntries;
  updateBatchSync(keys: Buffer, values: Buffer, flags?: number | bigint): BatchResult;
  setInnerArray(key: Buffer, values: Buffer): void;
  getInnerArray(key: Buffer): Buffer | undefined;
  pin(path: string): void;
  close(): void;
}

export interface NativeProgram {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  readonly fd: number;
}

export interface TcAttachment {
  readonly ifindex: number;
  readonly attachPoint: 'ingress' | 'egress';
  readonly priority: number;
  readonly handle: number;
  readonly progId: number;
}

export interface NativeLink {
  pin(path: string): void;
  unpin(): void;
  detach(): void;
  close(): void;
  info(): { id: number; progId: number; type: number; pinPath: string | undefined };
}

export interface NativeObject {
  mapNames(): string[];
  map(name: string): NativeMap;
  programs(): NativeProgram[];
  attachCgroup(program: string, cgroupPath: string): NativeLink;
  attachTc(
    program: string,
    ifindex: number,
    attachPoint: 'ingress' | 'egress',
    priority: number,
    handle: number,
  ): TcAttachment;
  pinProgram(program: string, path: string): void;
  /** Points an existing link (e.g. reopened from its pin) at this object's `program`. */
  updateLink(link: NativeLink, program: string): void;
  close(): void;
}

export interface BtfTypeLayout {
  readonly name: string;
  readonly size: number;
  readonly members?: readonly { name: string; offset: number; size: number; bitSize: number; type: string }[];
}

export interface NativeBinding {
  ObjectHandle: new (
    path: string,
    pinRoot: string,
    innerMaxEntries?: Record<string, number>,
    maxEntries?: Readonly<Record<string, number>>,
  ) => NativeObject;
  openPinnedMap(path: string): NativeMap;
  openPinnedLink(path: string): NativeLink;
  unpin(path: string): boolean;
  detachTc(ifindex: number, attachPoint: 'ingress' | 'egress', priority: number, handle: number): boolean;
  ifIndex(ifname: string): number;
  numPossibleCpus(): number;
  /** Test hook: batch syscalls fail with ENOTSUPP, as on a kernel without them (process-wide). */
  simulateNoBatch(on: boolean): void;
  btfStruct(objectPath: string, structName: string): BtfTypeLayout | undefined;
  btfMapLayout(
    objectPath: string,
    mapName: string,
  ): { key?: BtfTypeLayout; value?: BtfTypeLayout } | undefined;
  setErrorClass(ctor: typeof BpfError): void;
}

let binding: NativeBinding | undefined;

/** Loads the addon once; throws an Error that says how to build it when it is missing. */
export function nativeBinding(): NativeBinding {
  if (binding) return binding;
  if (!existsSync(ADDON_PATH)) {
    throw new Error(`the libbpf addon is not built (${ADDON_PATH} missing): run \`make setup\``);
  }
  const require = createRequire(import.meta.url);
  const loaded = require(ADDON_PATH) as NativeBinding;
  loaded.setErrorClass(BpfError);
  binding = loaded;
  return loaded;
}
