/** Id-free views and invariants of the services maps, for property tests. */
import type { DesiredMaps } from '../../src/maps/delta.js';

/**
 * What the datapath does with the maps, without ids or slot order: per frontend and scope, the
 * master's flags and affinity and the sorted backends (`address:port/proto:state`); per external
 * frontend, the sorted distinct backends of its Maglev table.
 */
export function logicalView(maps: DesiredMaps): Record<string, unknown> {
  const byId = new Map<number, string>();
  for (const { key, value } of maps.backends.values())
    byId.set(key.id, `${value.address}:${value.port}/${value.proto}:${value.state}`);
  const out: Record<string, { flags: number; affinity: number; backends: string[]; maglev?: string[] }> = {};
  const revNatOf = new Map<number, string>();
  for (const { key, value } of maps.services.values()) {
    const fe = `${key.address}:${key.port}/${key.proto}@${key.scope}`;
    out[fe] ??= { flags: 0, affinity: 0, backends: [] };
    const v = out[fe];
    if (value.kind === 'master') {
      v.flags = value.flags;
      v.affinity = value.affinityTimeoutSec;
      if (key.scope === 'external') revNatOf.set(value.revNatId, fe);
    } else v.backends.push(byId.get(value.backendId) ?? `missing ${value.backendId}`);
  }
  for (const v of Object.values(out)) v.backends.sort();
  for (const { key, value } of maps.maglev.values()) {
    const fe = revNatOf.get(key.revNatId) ?? `orphan maglev ${key.revNatId}`;
    out[fe] ??= { flags: -1, affinity: -1, backends: [] };
    out[fe].maglev = [...new Set(value.backendIds.map((id) => byId.get(id) ?? `missing ${id}`))].sort();
  }
  return out;
}

/**
 * Every structural invariant of the services maps; returns the violations (empty when sound):
 * slots 1..count name existing backends with the master's rev-NAT id, nothing lies beyond count,
 * every rev-NAT id of a master has its entry (with the frontend's address and port), Maglev
 * tables only name backends of their frontend, and no backend or rev-NAT entry is orphaned.
 */
export function servicesViolations(maps: DesiredMaps, maglevSize: number): string[] {
  const bad: string[] = [];
  const masters = new Map<string, { count: number; revNatId: number; address: string; port: number }>();
  const slots = new Map<string, Map<number, { backendId: number; revNatId: number }>>();
  for (const { key, value } of maps.services.values()) {
    const fe = `${key.address}:${key.port}/${key.proto}@${key.scope}`;
    if (value.kind === 'master') {
      if (key.slot !== 0) bad.push(`${fe}: master at slot ${key.slot}`);
      masters.set(fe, { count: value.count, revNatId: value.revNatId, address: key.address, port: key.port });
    } else {
      if (!slots.has(fe)) slots.set(fe, new Map());
      slots.get(fe)!.set(key.slot, value);
    }
  }
  const usedBackends = new Set<number>();
  const usedRevNat = new Set<number>();
  for (const [fe, m] of masters) {
    usedRevNat.add(m.revNatId);
    const rn = maps.revNat.get(String(m.revNatId));
    if (rn === undefined) bad.push(`${fe}: rev-NAT ${m.revNatId} missing`);
    else if (rn.value.address !== m.address || rn.value.port !== m.port)
      bad.push(`${fe}: rev-NAT ${m.revNatId} is ${JSON.stringify(rn.value)}`);
    const s = slots.get(fe) ?? new Map();
    for (let i = 1; i <= m.count; i++) {
      const slot = s.get(i);
      if (slot === undefined) bad.push(`${fe}: slot ${i} of ${m.count} missing`);
      else {
        if (!maps.backends.has(String(slot.backendId)))
          bad.push(`${fe}: slot ${i} names missing backend ${slot.backendId}`);
        if (slot.revNatId !== m.revNatId)
          bad.push(`${fe}: slot ${i} rev-NAT ${slot.revNatId} != ${m.revNatId}`);
        usedBackends.add(slot.backendId);
      }
    }
    for (const i of s.keys()) if (i > m.count || i < 1) bad.push(`${fe}: slot ${i} beyond count ${m.count}`);
  }
  for (const fe of slots.keys()) if (!masters.has(fe)) bad.push(`${fe}: slots without a master`);
  for (const { key, value } of maps.maglev.values()) {
    if (!usedRevNat.has(key.revNatId)) bad.push(`maglev ${key.revNatId}: no frontend`);
    if (value.backendIds.length !== maglevSize)
      bad.push(`maglev ${key.revNatId}: size ${value.backendIds.length}`);
    for (const id of new Set(value.backendIds))
      if (!usedBackends.has(id)) bad.push(`maglev ${key.revNatId}: names unused backend ${id}`);
  }
  for (const { key } of maps.backends.values())
    if (!usedBackends.has(key.id)) bad.push(`backend ${key.id} orphaned`);
  for (const { key } of maps.revNat.values())
    if (!usedRevNat.has(key.id)) bad.push(`rev-NAT ${key.id} orphaned`);
  return bad;
}
