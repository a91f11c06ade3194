import type { MapEntry } from '../maps/delta.js';
import { SERVICE_FLAGS } from '../maps/model.js';

/** Decoded node maps, as read from the kernel or computed by a projection. */
export interface MapsView {
  readonly services?: readonly MapEntry<'services'>[];
  readonly backends?: readonly MapEntry<'backends'>[];
  readonly revNat?: readonly MapEntry<'revNat'>[];
  readonly ipcache?: readonly MapEntry<'ipcache'>[];
  readonly policy?: readonly MapEntry<'policy'>[];
  readonly endpoints?: readonly MapEntry<'endpoints'>[];
  readonly maglev?: readonly MapEntry<'maglev'>[];
}

const flagNames = (flags: number) =>
  Object.entries(SERVICE_FLAGS)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name)
    .join(',') || '-';

/** Services with their backends, policy per endpoint, endpoints and ipcache, as text. */
export function formatMaps(view: MapsView): string {
  const lines: string[] = [];
  const backends = new Map((view.backends ?? []).map((e) => [e.key.id, e.value]));
  const slots = new Map<string, MapEntry<'services'>[]>();
  for (const entry of view.services ?? []) {
    const frontend = `${entry.key.address}:${entry.key.port}/${entry.key.proto}@${entry.key.scope}`;
    slots.set(frontend, [...(slots.get(frontend) ?? []), entry]);
  }
  lines.push(`services (${slots.size} frontends, ${backends.size} backends)`);
  for (const [frontend, entries] of [...slots].sort(([a], [b]) => a.localeCompare(b))) {
    const master = entries.find((e) => e.key.slot === 0)?.value;
    if (master?.kind !== 'master') {
      lines.push(`  ${frontend}  (no master entry)`);
      continue;
    }
    const affinity = master.affinityTimeoutSec > 0 ? ` affinity ${master.affinityTimeoutSec}s` : '';
    lines.push(
      `  ${frontend}  rev-nat ${master.revNatId}  ${flagNames(master.flags)}${affinity}  ${master.count} backends`,
    );
    for (const slot of entries.filter((e) => e.key.slot > 0).sort((a, b) => a.key.slot - b.key.slot)) {
      if (slot.value.kind !== 'slot') continue;
      const be = backends.get(slot.value.backendId);
      const where = be ? `${be.address}:${be.port}/${be.proto} ${be.state}` : 'MISSING';
      const beyond = slot.key.slot > master.count ? '  (beyond count)' : '';
      lines.push(`    slot ${slot.key.slot} -> backend ${slot.value.backendId} ${where}${beyond}`);
    }
  }
  const policy = view.policy ?? [];
  const byEndpoint = new Map<number, MapEntry<'policy'>[]>();
  for (const entry of policy)
    byEndpoint.set(entry.key.endpointId, [...(byEndpoint.get(entry.key.endpointId) ?? []), entry]);
  lines.push(`endpoints (${view.endpoints?.length ?? 0})`);
  for (const { key, value } of view.endpoints ?? []) {
    const enforced = [value.flags & 1 ? 'ingress' : '', value.flags & 2 ? 'egress' : '']
      .filter(Boolean)
      .join('+');
    lines.push(
      `  ${key.ip}  endpoint ${value.endpointId}  ifindex ${value.ifIndex}  identity ${value.identity}  ${value.mac}  enforces ${enforced || 'nothing'}`,
    );
    for (const rule of (byEndpoint.get(value.endpointId) ?? []).sort(
      (a, b) => a.key.identity - b.key.identity,
    )) {
      const k = rule.key;
      const ports =
        k.proto === 'ANY'
          ? 'any'
          : k.portPrefixLen === 0
            ? `${k.proto} any port`
            : `${k.proto} ${k.port}/${k.portPrefixLen}`;
      const peer = k.identity === 0 ? 'any peer' : `identity ${k.identity}`;
      lines.push(`    ${k.direction} ${peer} ${ports} -> ${rule.value.verdict}`);
    }
  }
  lines.push(`ipcache (${view.ipcache?.length ?? 0})`);
  for (const { key, value } of [...(view.ipcache ?? [])].sort((a, b) =>
    a.key.cidr.localeCompare(b.key.cidr),
  )) {
    lines.push(`  ${key.cidr} -> identity ${value.identity}`);
  }
  return lines.join('\n');
}
