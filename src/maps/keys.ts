/**
 * Canonical key ids and whole-map helpers shared by projections and the node agent.
 *
 * A `DesiredMaps` indexes every map by `mapKeyId(map, key)`: two keys that name the same map
 * slot give the same string, and different slots give different strings, so the id can be
 * used as a `Map` key, compared, sorted and printed.
 */
import type { DesiredMaps, MapDelta, MapEntry } from './delta.js';
import { MAP_NAMES, type MapName, type NodeMaps } from './model.js';

type KeyOf<M extends MapName> = NodeMaps[M]['key'];

const KEY_ID: { readonly [M in MapName]: (key: KeyOf<M>) => string } = {
  services: (k) => `${k.address}:${k.port}/${k.proto}#${k.slot}@${k.scope}`,
  backends: (k) => String(k.id),
  revNat: (k) => String(k.id),
  maglev: (k) => String(k.revNatId),
  ipcache: (k) => k.cidr,
  policy: (k) => `${k.endpointId}/${k.identity}/${k.direction}/${k.proto}/${k.port}/${k.portPrefixLen}`,
  endpoints: (k) => k.ip,
};

/** The canonical, deterministic string of one key of `map` (e.g. `10.0.0.1:80/TCP#0@external`). */
export function mapKeyId<M extends MapName>(map: M, key: KeyOf<M>): string {
  return (KEY_ID[map] as (k: KeyOf<M>) => string)(key);
}

/** Mutable counterpart of `DesiredMaps`, for builders and appliers. */
export type MutableDesiredMaps = { [M in MapName]: Map<string, MapEntry<M>> };

/** A map set with every map empty. */
export function emptyDesiredMaps(): MutableDesiredMaps {
  return {
    services: new Map(),
    backends: new Map(),
    revNat: new Map(),
    maglev: new Map(),
    ipcache: new Map(),
    policy: new Map(),
    endpoints: new Map(),
  };
}

/** Sets one entry of `maps` (keyed by its canonical id). */
export function putEntry<M extends MapName>(
  maps: MutableDesiredMaps,
  map: M,
  key: KeyOf<M>,
  value: NodeMaps[M]['value'],
): void {
  (maps[map] as Map<string, MapEntry<M>>).set(mapKeyId(map, key), { key, value });
}

/** Applies deltas in order to `maps` (in place); deleting a missing key is a no-op. Returns `maps`. */
export function applyDeltas(maps: MutableDesiredMaps, deltas: Iterable<MapDelta>): MutableDesiredMaps {
  for (const d of deltas) {
    const id = mapKeyId(d.map, d.key as never);
    const target = maps[d.map] as Map<string, MapEntry<MapName>>;
    if (d.op === 'upsert') target.set(id, { key: d.key, value: d.value } as MapEntry<MapName>);
    else target.delete(id);
  }
  return maps;
}

/**
 * Builds a complete map set from partial ones (e.g. one per fold). A key present in several
 * parts keeps the last part's entry; folds own disjoint maps, so that does not happen in practice.
 */
export function mergeDesiredMaps(parts: Iterable<Partial<DesiredMaps>>): MutableDesiredMaps {
  const out = emptyDesiredMaps();
  for (const part of parts) {
    for (const name of MAP_NAMES) {
      const src = part[name] as ReadonlyMap<string, MapEntry<MapName>> | undefined;
      if (src === undefined) continue;
      const dst = out[name] as Map<string, MapEntry<MapName>>;
      for (const [id, entry] of src) dst.set(id, entry);
    }
  }
  return out;
}

/** A deep copy of `maps` (entries are immutable values, so they are shared). */
export function cloneDesiredMaps(maps: DesiredMaps): MutableDesiredMaps {
  return mergeDesiredMaps([maps]);
}

/**
 * The upserts that build `maps` from empty, in map order then key-id order: a deterministic,
 * comparable form (e.g. for `expect(...).toEqual(...)` or byte-identical replay checks).
 */
export function desiredToDeltas(maps: Partial<DesiredMaps>): MapDelta[] {
  const out: MapDelta[] = [];
  for (const name of MAP_NAMES) {
    const m = maps[name] as ReadonlyMap<string, MapEntry<MapName>> | undefined;
    if (m === undefined) continue;
    for (const id of [...m.keys()].sort()) {
      const e = m.get(id)!;
      out.push({ map: name, op: 'upsert', key: e.key, value: e.value } as MapDelta);
    }
  }
  return out;
}

/**
 * The deltas that turn `from` into `to` (upserts of new or changed entries, deletes of vanished
 * ones), in map order then key-id order. Values are compared structurally through JSON.
 */
export function diffDesiredMaps(from: Partial<DesiredMaps>, to: Partial<DesiredMaps>): MapDelta[] {
  const out: MapDelta[] = [];
  for (const name of MAP_NAMES) {
    const a = (from[name] ?? new Map()) as ReadonlyMap<string, MapEntry<MapName>>;
    const b = (to[name] ?? new Map()) as ReadonlyMap<string, MapEntry<MapName>>;
    const ids = [...new Set([...a.keys(), ...b.keys()])].sort();
    for (const id of ids) {
      const x = a.get(id);
      const y = b.get(id);
      if (y === undefined) out.push({ map: name, op: 'delete', key: x!.key } as MapDelta);
      else if (x === undefined || JSON.stringify(x.value) !== JSON.stringify(y.value))
        out.push({ map: name, op: 'upsert', key: y.key, value: y.value } as MapDelta);
    }
  }
  return out;
}
