/** The datapath module: BPF objects, kernel maps with their codecs, and errors. */
export { BpfError, isBpfError } from './bpfError.js';
export { ensureBpffs, isBpffsMounted } from './bpffs.js';
export {
  BpfObject,
  detachTc,
  ifIndex,
  type OpenOptions,
  openPinnedLink,
  openPinnedMap,
  openPinnedNodeMap,
  unpin,
} from './bpfObject.js';
export type { Codec, FieldLayout } from './codec.js';
export { DROP_REASON, type DropReason, type DropStats, dropStatsCodec } from './codecs/dropStatsCodec.js';
export { dumpNodeMaps, type NodeMapsDump } from './dumpMaps.js';
export { KernelMap, UPDATE_FLAGS } from './kernelMap.js';
export { compareLayout } from './layoutCheck.js';
export { INTERNAL_MAPS, MAP_CODECS, type MapCodec } from './mapCodecs.js';
export type {
  BatchResult,
  NativeLink,
  NativeMap,
  NativeMapInfo,
  RawEntries,
  TcAttachment,
} from './native.js';
export { ADDON_PATH, BPF_OBJECTS, BPFFS_ROOT, CGROUP2_ROOT, DEFAULT_PIN_ROOT } from './paths.js';
export { POLICY_PROGRAMS, SOCK_LB_PROGRAMS } from './programs.js';
