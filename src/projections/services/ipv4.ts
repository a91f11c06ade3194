/** Result of reading an address: a canonical IPv4 dotted quad, an IPv6 address (skipped: the maps are IPv4 only), or invalid. */
export type AddressKind =
  | { readonly kind: 'ipv4'; readonly address: string }
  | { readonly kind: 'ipv6' }
  | { readonly kind: 'invalid' };

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Classifies an address string. IPv4 must be a strict dotted quad (no leading zeros, which
 * Kubernetes rejects as ambiguous octal); anything with a colon that looks hexadecimal is IPv6.
 */
export function classifyAddress(text: string): AddressKind {
  if (text.includes(':')) return /^[0-9a-fA-F:.]+$/.test(text) ? { kind: 'ipv6' } : { kind: 'invalid' };
  const parts = text.split('.');
  if (parts.length !== 4) return { kind: 'invalid' };
  for (const p of parts) if (!OCTET.test(p) || Number(p) > 255) return { kind: 'invalid' };
  return { kind: 'ipv4', address: text };
}

/** Whether `port` is a valid L4 port (1..65535). */
export function isValidPort(port: number | null | undefined): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}
