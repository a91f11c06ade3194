import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MapEntry } from '../maps/delta.js';
import { MAP_NAMES, type MapName } from '../maps/model.js';
import { openPinnedMap, openPinnedNodeMap } from './bpfObject.js';
import { DROP_REASON, dropStatsCodec } from './codecs/dropStatsCodec.js';
import { INTERNAL_MAPS, MAP_CODECS } from './mapCodecs.js';

export interface NodeMapsDump {
  readonly pinRoot: string;
  readonly maps: { readonly [M in MapName]?: readonly MapEntry<M>[] };
  /** Packets and bytes dropped per reason, summed over CPUs. */
  readonly drops?: Record<string, { packets: string; bytes: string }>;
}

/**
 * Reads the node maps pinned under `pinRoot` and decodes them with the codecs: what
 * `bpftool map dump pinned` shows as bytes, in model.ts terms. Maps not pinned are left out.
 */
export async function dumpNodeMaps(
  pinRoot: string,
  names: readonly MapName[] = MAP_NAMES,
): Promise<NodeMapsDump> {
  const maps: { [M in MapName]?: MapEntry<M>[] } = {};
  for (const name of names) {
    if (!existsSync(join(pinRoot, MAP_CODECS[name].cName))) continue;
    const map = openPinnedNodeMap(pinRoot, name);
    try {
      (maps as Record<MapName, unknown>)[name] = await map.readAll();
    } finally {
      map.close();
    }
  }
  const dropsPath = join(pinRoot, INTERNAL_MAPS.drops);
  if (!existsSync(dropsPath)) return { pinRoot, maps };
  const drops: Record<string, { packets: string; bytes: string }> = {};
  const raw = openPinnedMap(dropsPath);
  try {
    for (const [reason, index] of Object.entries(DROP_REASON)) {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(index);
      const stats = dropStatsCodec.decode(raw.lookup(key) ?? Buffer.alloc(0), undefined);
      drops[reason] = { packets: stats.packets.toString(), bytes: stats.bytes.toString() };
    }
  } finally {
    raw.close();
  }
  return { pinRoot, maps, drops };
}
