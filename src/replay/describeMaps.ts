import type { DesiredMaps, MapEntry } from '../maps/delta.js';
import { SERVICE_FLAGS } from '../maps/model.js';
import type { NodeProjection } from '../projections/nodeProjection.js';
import { describeIdentity } from '../projections/policy/describeIdentity.js';
import type { PolicyFoldState } from '../projections/policy/policyState.js';

/** A node's desired maps decoded for people: what `cairn replay` prints. */
export interface MapsDescription {
  readonly services: {
    frontend: string;
    scope: string;
    revNatId: number;
    flags: string[];
    affinityTimeoutSec: number;
    backends: { slot: number; backendId: number; address: string | null; state: string | null }[];
  }[];
  readonly endpoints: {
    ip: string;
    pod: string | null;
    endpointId: number;
    ifIndex: number;
    identity: number;
    enforces: string[];
    policy: {
      direction: string;
      peer: number;
      peerLabels: readonly string[] | null;
      ports: string;
      verdict: string;
    }[];
  }[];
  readonly identities: { id: number; labels: readonly string[] }[];
  readonly ipcache: { cidr: string; identity: number }[];
  readonly counts: Record<string, number>;
}

const entries = <M extends keyof DesiredMaps>(maps: DesiredMaps, map: M) => [
  ...(maps[map] as ReadonlyMap<string, MapEntry<M>>).values(),
];

/** The policy fold's state inside a projection (for identity labels and pod names), if any. */
export function policyStateOf(projection: NodeProjection): PolicyFoldState | undefined {
  return projection.saveState().folds.find((f) => f.name === 'policy')?.state as PolicyFoldState | undefined;
}

/** Services with frontends and backends, policy per endpoint, identities with labels. */
export function describeMaps(
  projection: NodeProjection,
  maps: DesiredMaps = projection.desired(),
): MapsDescription {
  const policy = policyStateOf(projection);
  const backends = new Map(entries(maps, 'backends').map((e) => [e.key.id, e.value]));
  const frontends = new Map<string, MapEntry<'services'>[]>();
  for (const e of entries(maps, 'services')) {
    const f = `${e.key.address}:${e.key.port}/${e.key.proto}@${e.key.scope}`;
    frontends.set(f, [...(frontends.get(f) ?? []), e]);
  }
  const services = [...frontends]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([f, list]) => {
      const master = list.find((e) => e.key.slot === 0)?.value;
      if (master?.kind !== 'master') return [];
      return [
        {
          frontend: f.slice(0, f.indexOf('@')),
          scope: f.slice(f.indexOf('@') + 1),
          revNatId: master.revNatId,
          flags: Object.entries(SERVICE_FLAGS)
            .filter(([, bit]) => (master.flags & bit) !== 0)
            .map(([n]) => n),
          affinityTimeoutSec: master.affinityTimeoutSec,
          backends: list
            .filter((e) => e.key.slot > 0 && e.value.kind === 'slot')
            .sort((a, b) => a.key.slot - b.key.slot)
            .map((e) => {
              const id = e.value.kind === 'slot' ? e.value.backendId : 0;
              const be = backends.get(id);
              return {
                slot: e.key.slot,
                backendId: id,
                address: be ? `${be.address}:${be.port}/${be.proto}` : null,
                state: be?.state ?? null,
              };
            }),
        },
      ];
    });
  const podByIp = new Map<string, string>();
  for (const pod of policy?.pods.values() ?? []) for (const ip of pod.podIPs) podByIp.set(ip, pod.key);
  const labelsOf = (id: number) => (policy ? describeIdentity(policy, id) : null);
  const rulesByEndpoint = new Map<number, MapEntry<'policy'>[]>();
  for (const e of entries(maps, 'policy'))
    rulesByEndpoint.set(e.key.endpointId, [...(rulesByEndpoint.get(e.key.endpointId) ?? []), e]);
  const endpoints = entries(maps, 'endpoints')
    .sort((a, b) => a.key.ip.localeCompare(b.key.ip))
    .map(({ key, value }) => ({
      ip: key.ip,
      pod: podByIp.get(key.ip) ?? null,
      endpointId: value.endpointId,
      ifIndex: value.ifIndex,
      identity: value.identity,
      enforces: [value.flags & 1 ? 'ingress' : '', value.flags & 2 ? 'egress' : ''].filter(Boolean),
      policy: (rulesByEndpoint.get(value.endpointId) ?? [])
        .sort(
          (a, b) =>
            a.key.direction.localeCompare(b.key.direction) ||
            a.key.identity - b.key.identity ||
            a.key.port - b.key.port,
        )
        .map((r) => ({
          direction: r.key.direction,
          peer: r.key.identity,
          peerLabels: r.key.identity === 0 ? ['any'] : labelsOf(r.key.identity),
          ports:
            r.key.proto === 'ANY'
              ? 'any'
              : r.key.portPrefixLen === 0
                ? `${r.key.proto} any port`
                : `${r.key.port}/${r.key.proto}${r.key.portPrefixLen < 16 ? ` (/${r.key.portPrefixLen})` : ''}`,
          verdict: r.value.verdict,
        })),
    }));
  const identities: { id: number; labels: readonly string[] }[] = [];
  for (const id of [...(policy?.identitiesById.keys() ?? []), ...(policy?.cidrsById.keys() ?? [])].sort(
    (a, b) => a - b,
  ))
    identities.push({ id, labels: labelsOf(id) ?? [] });
  const ipcache = entries(maps, 'ipcache')
    .map((e) => ({ cidr: e.key.cidr, identity: e.value.identity }))
    .sort((a, b) => a.cidr.localeCompare(b.cidr));
  const counts = Object.fromEntries(
    Object.entries(maps).map(([m, v]) => [m, (v as ReadonlyMap<string, unknown>).size]),
  );
  return { services, endpoints, identities, ipcache, counts };
}

/** The description as text tables. */
export function formatDescription(d: MapsDescription): string {
  const lines: string[] = [];
  lines.push(`services (${d.services.length} frontends)`);
  for (const s of d.services) {
    const aff = s.affinityTimeoutSec > 0 ? ` affinity ${s.affinityTimeoutSec}s` : '';
    lines.push(
      `  ${s.frontend}@${s.scope}  rev-nat ${s.revNatId}  ${s.flags.join(',') || '-'}${aff}  ${s.backends.length} backends`,
    );
    for (const b of s.backends)
      lines.push(
        `    slot ${b.slot} -> backend ${b.backendId} ${b.address ?? 'MISSING'} ${b.state ?? ''}`.trimEnd(),
      );
  }
  lines.push(`endpoints (${d.endpoints.length})`);
  for (const e of d.endpoints) {
    lines.push(
      `  ${e.ip}  ${e.pod ?? '(no pod)'}  endpoint ${e.endpointId}  ifindex ${e.ifIndex}  identity ${e.identity}  enforces ${e.enforces.join('+') || 'nothing'}`,
    );
    for (const r of e.policy)
      lines.push(
        `    ${r.direction} ${r.peer === 0 ? 'any peer' : `identity ${r.peer} ${JSON.stringify(r.peerLabels)}`} ${r.ports} -> ${r.verdict}`,
      );
  }
  lines.push(`identities (${d.identities.length})`);
  for (const i of d.identities) lines.push(`  ${i.id}  ${i.labels.join(' ')}`);
  lines.push(`ipcache (${d.ipcache.length})`);
  for (const c of d.ipcache) lines.push(`  ${c.cidr} -> identity ${c.identity}`);
  return lines.join('\n');
}
