/**
 * A direct evaluator of the Kubernetes Service rules, written separately from the fold for the
 * property tests: given the final objects (Services, EndpointSlices, this node's addresses) it
 * says what each frontend must serve, in the shape of `logicalView`. It knows nothing about ids,
 * slots, claims or incremental state. Frontends must not collide across Services (the
 * arbitraries guarantee it). Backend states are global, as in the backends map.
 */
import type { EndpointSliceUpserted, ServiceUpserted } from '../../src/events/payloads.js';
import { SERVICE_FLAGS } from '../../src/maps/model.js';

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const okPort = (p: number | null) => p !== null && Number.isInteger(p) && p >= 1 && p <= 65535;

interface Ep {
  key: string;
  rank: number; // 2 ready, 1 serving and terminating, 0 neither
  local: boolean;
}

/** What every frontend@scope of the cluster's Services serves on `node`. */
export function oracleView(
  services: readonly ServiceUpserted[],
  slices: readonly EndpointSliceUpserted[],
  node: string,
  nodeAddresses: readonly string[],
): Record<string, unknown> {
  const out: Record<string, { flags: number; affinity: number; backends: string[]; maglev?: string[] }> = {};
  for (const svc of services) {
    if (svc.type === 'ExternalName' || svc.clusterIPs.includes('None')) continue;
    const affinity = svc.sessionAffinity === 'ClientIP';
    const t = svc.sessionAffinityTimeoutSeconds;
    const timeout = !affinity ? 0 : t !== null && t >= 1 && t <= 86400 ? t : 10800;
    const iLocal = svc.internalTrafficPolicy === 'Local';
    const eLocal = svc.externalTrafficPolicy === 'Local';
    for (const port of svc.ports) {
      if (!['TCP', 'UDP', 'SCTP'].includes(port.protocol) || !okPort(port.port)) continue;
      // Endpoints of this port: best condition per address:port across slices.
      const eps = new Map<string, Ep>();
      for (const sl of slices) {
        if (sl.namespace !== svc.namespace || sl.serviceName !== svc.name || sl.addressType !== 'IPv4')
          continue;
        const sp = sl.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
        if (sp === undefined || !okPort(sp.port)) continue;
        for (const e of sl.endpoints) {
          const a = e.addresses[0];
          if (a === undefined || !V4.test(a)) continue;
          const ready = e.ready !== false;
          const st = e.serving !== false && e.terminating === true;
          const ep: Ep = {
            key: `${a}:${sp.port}/${port.protocol}`,
            rank: ready ? 2 : st ? 1 : 0,
            local: e.nodeName === node,
          };
          const old = eps.get(ep.key);
          if (old === undefined || ep.rank > old.rank) eps.set(ep.key, ep);
          else if (ep.rank === old.rank && ep.local) old.local = true;
        }
      }
      const choose = (onlyLocal: boolean): string[] => {
        const pool = [...eps.values()].filter((e) => !onlyLocal || e.local);
        const ready = pool.filter((e) => e.rank === 2).map((e) => `${e.key}:active`);
        const list =
          ready.length > 0 ? ready : pool.filter((e) => e.rank === 1).map((e) => `${e.key}:terminating`);
        return list.sort();
      };
      const base = affinity ? SERVICE_FLAGS.sessionAffinity : 0;
      const fe = (addr: string, p: number, scope: string) => `${addr}:${p}/${port.protocol}@${scope}`;
      for (const ip of svc.clusterIPs.filter((a) => V4.test(a)))
        out[fe(ip, port.port, 'external')] = {
          flags: SERVICE_FLAGS.clusterIP | base | (iLocal ? SERVICE_FLAGS.internalLocal : 0),
          affinity: timeout,
          backends: choose(iLocal),
        };
      const external: [string, number, number][] = [];
      for (const ip of svc.externalIPs.filter((a) => V4.test(a)))
        external.push([ip, port.port, SERVICE_FLAGS.externalIP]);
      if (svc.type === 'LoadBalancer')
        for (const ip of svc.loadBalancerIngressIPs.filter((a) => V4.test(a)))
          external.push([ip, port.port, SERVICE_FLAGS.loadBalancer]);
      if (
        (svc.type === 'NodePort' || svc.type === 'LoadBalancer') &&
        port.nodePort !== null &&
        okPort(port.nodePort)
      )
        for (const ip of nodeAddresses) external.push([ip, port.nodePort, SERVICE_FLAGS.nodePort]);
      for (const [ip, p, type] of external) {
        const two = eLocal && !iLocal;
        const flags =
          type |
          base |
          (eLocal ? SERVICE_FLAGS.externalLocal : 0) |
          (eLocal && iLocal ? SERVICE_FLAGS.internalLocal : 0) |
          (two ? SERVICE_FLAGS.twoScopes : 0);
        const ext = choose(eLocal);
        out[fe(ip, p, 'external')] = {
          flags,
          affinity: timeout,
          backends: ext,
          ...(ext.length > 0 ? { maglev: [...new Set(ext)].sort() } : {}),
        };
        if (two) out[fe(ip, p, 'internal')] = { flags, affinity: timeout, backends: choose(false) };
      }
    }
  }
  // A backend (address:port/proto) is one entry shared by every Service using it: active if any
  // of them uses it as a ready endpoint, terminating otherwise.
  const active = new Set<string>();
  for (const v of Object.values(out))
    for (const b of v.backends) if (b.endsWith(':active')) active.add(b.slice(0, -':active'.length));
  const global = (b: string) =>
    b.endsWith(':terminating') && active.has(b.slice(0, -':terminating'.length))
      ? b.replace(/:terminating$/, ':active')
      : b;
  for (const v of Object.values(out)) {
    v.backends = v.backends.map(global).sort();
    if (v.maglev !== undefined) v.maglev = [...new Set(v.maglev.map(global))].sort();
  }
  return out;
}
