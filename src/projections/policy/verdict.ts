import type { DesiredMaps } from '../../maps/delta.js';
import {
  type Direction,
  ENDPOINT_FLAGS,
  type EndpointValue,
  L4_PROTO_NUMBER,
  type L4Proto,
  type PolicyKey,
  type PolicyValue,
  RESERVED_IDENTITY,
} from '../../maps/model.js';
import { cidrText, maskOf, parseCidr, parseIpv4 } from './ipv4.js';

/** A packet as the policy program at an endpoint's veth sees it. */
export interface VerdictQuery {
  /** The local endpoint's IP (source for egress, destination for ingress). */
  readonly endpointIp: string;
  readonly direction: Direction;
  /** The other side's IP. */
  readonly peerIp: string;
  readonly proto: Exclude<L4Proto, 'ANY'>;
  readonly port: number;
}

/** The datapath's answer and the step that decided it (for debugging tools). */
export interface VerdictResult {
  readonly verdict: 'allow' | 'drop';
  readonly reason: 'not-local-endpoint' | 'not-enforced' | 'policy-peer' | 'policy-any-peer' | 'no-match';
  readonly peerIdentity: number;
  readonly endpointId: number | null;
  readonly entry: PolicyKey | null;
}

/** Bits of the policy LPM key after the prefix length: endpoint_id(32) identity(32) direction(8). */
const FIXED_KEY_BITS = 72;

/**
 * A TypeScript model of the datapath's policy decision over a node's maps, mirroring the eBPF
 * program step by step: endpoint lookup by IP and its enforcement flag for the direction; peer
 * identity = ipcache LPM lookup of the peer IP (a miss is world); policy LPM lookup with the
 * peer identity, then with identity 0; an allow hit allows, anything else drops.
 */
export class DatapathModel {
  private readonly ipcache = new Map<string, number>();
  private readonly ipcacheLengths: number[];
  private readonly policy = new Map<string, { key: PolicyKey; value: PolicyValue }[]>();
  private readonly endpoints: ReadonlyMap<string, { value: EndpointValue }>;

  constructor(maps: Pick<DesiredMaps, 'ipcache' | 'policy' | 'endpoints'>) {
    const lengths = new Set<number>();
    for (const { key, value } of maps.ipcache.values()) {
      const cidr = parseCidr(key.cidr);
      if (cidr === null) continue;
      this.ipcache.set(cidrText(cidr), value.identity);
      lengths.add(cidr.len);
    }
    this.ipcacheLengths = [...lengths].sort((a, b) => b - a);
    for (const entry of maps.policy.values()) {
      const slot = policySlot(entry.key.endpointId, entry.key.identity, entry.key.direction);
      const list = this.policy.get(slot) ?? [];
      list.push(entry);
      this.policy.set(slot, list);
    }
    this.endpoints = new Map([...maps.endpoints.values()].map((entry) => [entry.key.ip, entry]));
  }

  /** The identity of an address: the longest matching ipcache prefix, else world. */
  identityOf(ip: string): number {
    const address = parseIpv4(ip);
    if (address === null) return RESERVED_IDENTITY.world;
    for (const len of this.ipcacheLengths) {
      const hit = this.ipcache.get(cidrText({ net: (address & maskOf(len)) >>> 0, len }));
      if (hit !== undefined) return hit;
    }
    return RESERVED_IDENTITY.world;
  }

  /** The verdict of the policy program for one packet. */
  verdict(query: VerdictQuery): VerdictResult {
    const peerIdentity = this.identityOf(query.peerIp);
    const endpoint = this.endpoints.get(query.endpointIp)?.value;
    const base = { peerIdentity, endpointId: endpoint?.endpointId ?? null, entry: null };
    if (endpoint === undefined) return { ...base, verdict: 'allow', reason: 'not-local-endpoint' };
    const flag =
      query.direction === 'ingress' ? ENDPOINT_FLAGS.ingressEnforced : ENDPOINT_FLAGS.egressEnforced;
    if ((endpoint.flags & flag) === 0) return { ...base, verdict: 'allow', reason: 'not-enforced' };
    for (const identity of [peerIdentity, RESERVED_IDENTITY.unknown]) {
      const hit = this.lookup(endpoint.endpointId, identity, query);
      if (hit?.value.verdict === 'allow') {
        return {
          ...base,
          verdict: 'allow',
          reason: identity === peerIdentity ? 'policy-peer' : 'policy-any-peer',
          entry: hit.key,
        };
      }
    }
    return { ...base, verdict: 'drop', reason: 'no-match' };
  }

  /** LPM over the port part of the key: the matching entry with the longest prefix, as the trie returns. */
  private lookup(endpointId: number, identity: number, query: VerdictQuery) {
    let best: { key: PolicyKey; value: PolicyValue } | undefined;
    let bestLen = -1;
    for (const entry of this.policy.get(policySlot(endpointId, identity, query.direction)) ?? []) {
      const len = matchLength(entry.key, query);
      if (len > bestLen) {
        best = entry;
        bestLen = len;
      }
    }
    return best;
  }
}

function policySlot(endpointId: number, identity: number, direction: Direction): string {
  return `${endpointId}/${identity}/${direction}`;
}

/** The LPM prefix length of an entry if it matches the packet's proto and port, else -1. */
function matchLength(key: PolicyKey, query: VerdictQuery): number {
  if (key.proto === 'ANY') return FIXED_KEY_BITS;
  if (L4_PROTO_NUMBER[key.proto] !== L4_PROTO_NUMBER[query.proto]) return -1;
  const shift = 16 - key.portPrefixLen;
  if (key.portPrefixLen > 0 && query.port >>> shift !== key.port >>> shift) return -1;
  return FIXED_KEY_BITS + 8 + key.portPrefixLen;
}
