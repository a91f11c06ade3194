/** IPv4 helpers shared by the codecs: addresses are dotted quads in the model, network order in maps. */

/** Parses a dotted quad; throws a TypeError naming the input when it is not one. */
export function parseIpv4(address: string): number {
  const parts = address.split('.');
  if (parts.length !== 4) throw new TypeError(`not an IPv4 address: ${JSON.stringify(address)}`);
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255)
      throw new TypeError(`not an IPv4 address: ${JSON.stringify(address)}`);
    value = value * 256 + octet;
  }
  return value;
}

/** Formats a 32-bit host-order number as a dotted quad. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** Writes an address in network byte order (a __be32 field). */
export function writeIpv4(buf: Buffer, offset: number, address: string): void {
  buf.writeUInt32BE(parseIpv4(address), offset);
}

/** Reads a __be32 address field. */
export function readIpv4(buf: Buffer, offset: number): string {
  return formatIpv4(buf.readUInt32BE(offset));
}

/** Parses `a.b.c.d/len` (a bare address means /32) into the masked network and prefix length. */
export function parseCidr(cidr: string): { network: number; prefixLen: number } {
  const [address = '', len] = cidr.split('/');
  const prefixLen = len === undefined ? 32 : Number(len);
  if (
    !Number.isInteger(prefixLen) ||
    prefixLen < 0 ||
    prefixLen > 32 ||
    (len !== undefined && !/^\d+$/.test(len))
  ) {
    throw new TypeError(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  }
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  return { network: (parseIpv4(address) & mask) >>> 0, prefixLen };
}
