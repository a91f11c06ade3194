/**
 * IPv4 addresses and CIDR prefixes as unsigned 32-bit numbers. The maps of the model are IPv4
 * only, so anything else is rejected here and counted by the caller.
 */

/** A prefix with its host bits cleared. */
export interface Cidr {
  readonly net: number;
  readonly len: number;
}

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** Parses a dotted quad into an unsigned 32-bit number; null when it is not one. */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Formats an unsigned 32-bit number as a dotted quad. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** The netmask of a prefix length, as an unsigned 32-bit number. */
export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/**
 * Parses `a.b.c.d/len` (or a bare address, meaning /32). Host bits are cleared, as Cilium and
 * older API servers do with a non-canonical `ipBlock.cidr`.
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (address === null) return null;
  if (slash < 0) return { net: address, len: 32 };
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > 32) return null;
  return { net: (address & maskOf(len)) >>> 0, len };
}

/** The canonical text of a prefix, `a.b.c.d/len`: also its ipcache key. */
export function cidrText(cidr: Cidr): string {
  return `${formatIpv4(cidr.net)}/${cidr.len}`;
}

/** Whether `inner` lies inside `outer` (a prefix contains itself). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.len >= outer.len && (inner.net & maskOf(outer.len)) >>> 0 === outer.net;
}

/** Whether the address lies inside the prefix. */
export function cidrContainsIp(cidr: Cidr, address: number): boolean {
  return (address & maskOf(cidr.len)) >>> 0 === cidr.net;
}

/** The address part of a CNI result IP (`10.0.1.7/24` → `10.0.1.7`), canonical; null when not IPv4. */
export function addressOfInterfaceIp(text: string): string | null {
  const slash = text.indexOf('/');
  const address = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  return address === null ? null : formatIpv4(address);
}
