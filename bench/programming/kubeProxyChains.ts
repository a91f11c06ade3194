/**
 * The names kube-proxy v1.33 gives the chains of one Service port and of one of its endpoints,
 * computed as pkg/proxy/iptables and pkg/proxy/nftables do (SHA-256, base32, truncated), so the
 * bench can ask the kernel for exactly the chain a change must create or remove.
 */
import { createHash } from 'node:crypto';

/** A Service port as kube-proxy names it: namespace, Service name, port name, protocol. */
export interface ServicePortRef {
  readonly namespace: string;
  readonly name: string;
  readonly port: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (Go's base32.StdEncoding) of a SHA-256, first `chars` characters. */
export function sha256Base32(text: string, chars: number): string {
  const bytes = createHash('sha256').update(text).digest();
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
    if (out.length >= chars) break;
  }
  return out;
}

/** ServicePortName.String(): "ns/name:port" (no colon for an unnamed port). */
const portName = (s: ServicePortRef) => `${s.namespace}/${s.name}${s.port ? `:${s.port}` : ''}`;

/** iptables mode: KUBE-SVC-<hash> of the Service port (its Cluster-policy chain, in table nat). */
export function iptablesServiceChain(s: ServicePortRef): string {
  return `KUBE-SVC-${sha256Base32(portName(s) + s.protocol, 16)}`;
}

/** iptables mode: KUBE-SEP-<hash> of one endpoint ("ip:port") of the Service port. */
export function iptablesEndpointChain(s: ServicePortRef, endpoint: string): string {
  return `KUBE-SEP-${sha256Base32(portName(s) + s.protocol + endpoint, 16)}`;
}

/** nftables' hashAndTruncate: "<8 hash chars>-<name>", cut to 240 characters with "...". */
function hashAndTruncate(name: string): string {
  const full = `${sha256Base32(name, 8)}-${name}`;
  return full.length > 240 ? `${full.slice(0, 237)}...` : full;
}

/** nftables mode: the Service port's chain, "service-HASH-ns/name/tcp/port" (table ip kube-proxy). */
export function nftServiceChain(s: ServicePortRef): string {
  return `service-${hashAndTruncate(`${s.namespace}/${s.name}/${s.protocol}/${s.port}`)}`;
}

/** nftables mode: one endpoint's chain, "endpoint-HASH-ns/name/tcp/port__ip/port". */
export function nftEndpointChain(s: ServicePortRef, endpoint: string): string {
  const at = endpoint.lastIndexOf(':');
  const ip = endpoint
    .slice(0, at)
    .replace(/^\[|\]$/g, '')
    .replaceAll(':', '.');
  const base = `${s.namespace}/${s.name}/${s.protocol}/${s.port}__${ip}/${endpoint.slice(at + 1)}`;
  return `endpoint-${hashAndTruncate(base)}`;
}
