import type { EndpointSliceUpserted } from '../../events/payloads.js';
import type { L4Proto } from '../../maps/model.js';
import { classifyAddress, isValidPort } from './ipv4.js';

/** Condition rank of an endpoint: 2 ready, 1 serving and terminating (the fallback), 0 neither. */
export type EndpointRank = 0 | 1 | 2;

/** What the fold keeps of one endpoint: its first IPv4 address, condition and node. */
export interface CompactEndpoint {
  readonly address: string;
  readonly rank: EndpointRank;
  readonly nodeName: string | null;
}

export interface CompactPort {
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
}

/**
 * What the fold keeps of an EndpointSlice: only what endpoint selection reads, validated once
 * when the slice arrives (100k Services × 10 endpoints are held in memory).
 */
export interface CompactSlice {
  readonly uid: string;
  readonly ports: readonly CompactPort[];
  readonly endpoints: readonly CompactEndpoint[];
}

/**
 * Validates and compacts a slice. Non-IPv4 slices keep no endpoints (the maps are IPv4 only).
 * Endpoint conditions follow the v1 API and kube-proxy: nil `ready` and nil `serving` mean true,
 * nil `terminating` means false; only an endpoint's first address is used. Invalid addresses and
 * ports are reported in `rejected` and dropped.
 */
export function compactSlice(slice: EndpointSliceUpserted, rejected: string[]): CompactSlice {
  const where = `EndpointSlice ${slice.namespace}/${slice.name}`;
  if (slice.addressType !== 'IPv4') return { uid: slice.uid, ports: [], endpoints: [] };
  const ports: CompactPort[] = [];
  for (const p of slice.ports) {
    if (p.port === null) continue; // "all ports": nothing a service port can map to
    if (!isValidPort(p.port))
      rejected.push(`${where}: port ${JSON.stringify(p.name)}: ${p.port} out of range`);
    else ports.push({ name: p.name, protocol: p.protocol, port: p.port });
  }
  const endpoints: CompactEndpoint[] = [];
  for (const ep of slice.endpoints) {
    const first = ep.addresses[0];
    if (first === undefined) continue;
    const a = classifyAddress(first);
    if (a.kind !== 'ipv4') {
      if (a.kind === 'invalid') rejected.push(`${where}: invalid endpoint address ${JSON.stringify(first)}`);
      continue;
    }
    const ready = ep.ready ?? true;
    const servingTerminating = (ep.serving ?? true) && (ep.terminating ?? false);
    endpoints.push({
      address: a.address,
      rank: ready ? 2 : servingTerminating ? 1 : 0,
      nodeName: ep.nodeName,
    });
  }
  return { uid: slice.uid, ports, endpoints };
}

/** The slice port a service port maps to: same name and protocol. */
export function matchPort(slice: CompactSlice, portName: string, proto: L4Proto): CompactPort | undefined {
  return slice.ports.find((p) => p.name === portName && p.protocol === proto);
}
