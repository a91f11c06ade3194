import type { MapEntry } from '../maps/delta.js';
import { MAP_NAMES, type MapName } from '../maps/model.js';
import type { NodeProjection } from '../projections/nodeProjection.js';
import type { EntryMatcher } from './blame.js';
import { policyStateOf } from './describeMaps.js';

/** A parsed `cairn blame` key: which entries it names, and a description. */
export interface ResolvedKey {
  readonly match: EntryMatcher;
  readonly describe: string;
}

const USAGE = `keys: service ADDR:PORT[/PROTO] | backend ADDR:PORT[/PROTO] | endpoint IP | endpoint pod NS/NAME | ipcache CIDR | policy pod NS/NAME ingress|egress PEER-IP PORT[/PROTO] | <map> <key id>`;

const ipToInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

function podIp(projection: NodeProjection, podKey: string): string {
  const pod = policyStateOf(projection)?.pods.get(podKey);
  const ip = pod?.podIPs[0];
  if (ip === undefined) throw new Error(`pod ${podKey} has no IPv4 address at this point of the log`);
  return ip;
}

/** The identity of `ip` in the ipcache (longest prefix), world (2) when none. */
function identityOf(projection: NodeProjection, ip: string): number {
  let best = -1;
  let identity = 2;
  const x = ipToInt(ip);
  for (const e of projection.desired().ipcache.values()) {
    const [net, len] = e.key.cidr.split('/') as [string, string];
    const bits = Number(len);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((x & mask) >>> 0 === (ipToInt(net) & mask) >>> 0 && bits > best) {
      best = bits;
      identity = e.value.identity;
    }
  }
  return identity;
}

/**
 * Parses a key in human form against the projection at the blamed point (a pod's IP and a
 * peer's identity are looked up there). A policy key names every entry that could decide the
 * verdict (the peer's identity or any peer; the port or a range holding it; the protocol or
 * any) and the pod's endpoint entry (which says whether policy is enforced at all).
 */
export function resolveHumanKey(words: readonly string[], projection: NodeProjection): ResolvedKey {
  const [kind, ...rest] = words;
  const frontend = (s: string | undefined) => {
    const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)(?:\/(TCP|UDP|SCTP|ANY))?$/i.exec(s ?? '');
    if (!m) throw new Error(`expected ADDR:PORT[/PROTO], got ${JSON.stringify(s)}`);
    return { address: m[1]!, port: Number(m[2]), proto: (m[3] ?? 'TCP').toUpperCase() };
  };
  switch (kind) {
    case 'service': {
      const f = frontend(rest[0]);
      const prefix = `${f.address}:${f.port}/${f.proto}#`;
      return {
        match: (map, id) => map === 'services' && id.startsWith(prefix),
        describe: `service ${f.address}:${f.port}/${f.proto}`,
      };
    }
    case 'backend': {
      if (/^\d+$/.test(rest[0] ?? '')) {
        const id = rest[0]!;
        return { match: (map, k) => map === 'backends' && k === id, describe: `backend ${id}` };
      }
      const f = frontend(rest[0]);
      const ids = [...(projection.desired().backends as ReadonlyMap<string, MapEntry<'backends'>>)]
        .filter(
          ([, e]) => e.value.address === f.address && e.value.port === f.port && e.value.proto === f.proto,
        )
        .map(([id]) => id);
      return {
        match: (map, k) => map === 'backends' && ids.includes(k),
        describe: `backend ${f.address}:${f.port}/${f.proto}`,
      };
    }
    case 'endpoint': {
      const ip = rest[0] === 'pod' ? podIp(projection, rest[1] ?? '') : (rest[0] ?? '');
      return { match: (map, k) => map === 'endpoints' && k === ip, describe: `endpoint ${ip}` };
    }
    case 'ipcache': {
      const cidr = rest[0]?.includes('/') ? rest[0] : `${rest[0]}/32`;
      return { match: (map, k) => map === 'ipcache' && k === cidr, describe: `ipcache ${cidr}` };
    }
    case 'policy': {
      if (rest[0] !== 'pod' || rest.length < 5)
        throw new Error(`policy key: policy pod NS/NAME ingress|egress PEER-IP PORT[/PROTO]\n${USAGE}`);
      const [, podKey, direction, peerIp, portSpec] = rest as [string, string, string, string, string];
      if (direction !== 'ingress' && direction !== 'egress')
        throw new Error(`direction must be ingress or egress, got ${direction}`);
      const ip = podIp(projection, podKey);
      const endpoint = projection.desired().endpoints.get(ip);
      if (endpoint === undefined)
        throw new Error(`pod ${podKey} (${ip}) is not a local endpoint of this node at this point`);
      const endpointId = endpoint.value.endpointId;
      const peer = identityOf(projection, peerIp);
      const [portText, protoText] = portSpec.split('/');
      const port = Number(portText);
      const proto = (protoText ?? 'TCP').toUpperCase();
      return {
        match: (map, k) => {
          if (map === 'endpoints') return k === ip;
          if (map !== 'policy') return false;
          const [e, id, dir, pr, p, len] = k.split('/');
          if (Number(e) !== endpointId || dir !== direction) return false;
          if (Number(id) !== 0 && Number(id) !== peer) return false;
          if (pr === 'ANY') return true;
          if (pr !== proto) return false;
          const bits = Number(len);
          const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
          return (port & mask) === (Number(p) & mask);
        },
        describe: `policy of pod ${podKey} (${ip}, endpoint ${endpointId}) ${direction} from/to ${peerIp} (identity ${peer}) ${port}/${proto}`,
      };
    }
    default: {
      if (MAP_NAMES.includes(kind as MapName) && rest.length === 1) {
        const id = rest[0]!;
        return { match: (map, k) => map === kind && k === id, describe: `${kind} ${id}` };
      }
      throw new Error(`unknown key ${JSON.stringify(words.join(' '))}\n${USAGE}`);
    }
  }
}
