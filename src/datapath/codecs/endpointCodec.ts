import type { EndpointKey, EndpointValue } from '../../maps/model.js';
import { type Codec, checkSize, checkUint, zeroed } from '../codec.js';
import { readIpv4, writeIpv4 } from '../ipv4.js';

/** Local endpoints key: a bare __be32 pod IP (network order). */
export const endpointKeyCodec: Codec<EndpointKey> = {
  cType: '__be32',
  size: 4,
  fields: [],
  encode(key) {
    const buf = zeroed(4);
    writeIpv4(buf, 0, key.ip);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 4, 'endpoint ip');
    return { ip: readIpv4(buf, 0) };
  },
};

function parseMac(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${JSON.stringify(mac)}`);
  }
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

function formatMac(buf: Buffer): string {
  return [...buf].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** struct endpoint_info: { __u32 endpoint_id; __u32 ifindex; __u32 identity; __u8 mac[6]; __u16 flags; } */
export const endpointInfoCodec: Codec<EndpointValue> = {
  cType: 'endpoint_info',
  size: 20,
  fields: [
    { name: 'endpoint_id', offset: 0, size: 4 },
    { name: 'ifindex', offset: 4, size: 4 },
    { name: 'identity', offset: 8, size: 4 },
    { name: 'mac', offset: 12, size: 6 },
    { name: 'flags', offset: 18, size: 2 },
  ],
  encode(value) {
    const buf = zeroed(20);
    buf.writeUInt32LE(checkUint(value.endpointId, 32, 'endpoint id'), 0);
    buf.writeUInt32LE(checkUint(value.ifIndex, 32, 'ifindex'), 4);
    buf.writeUInt32LE(checkUint(value.identity, 32, 'identity'), 8);
    parseMac(value.mac).copy(buf, 12);
    buf.writeUInt16LE(checkUint(value.flags, 16, 'endpoint flags'), 18);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 20, 'endpoint_info');
    return {
      endpointId: buf.readUInt32LE(0),
      ifIndex: buf.readUInt32LE(4),
      identity: buf.readUInt32LE(8),
      mac: formatMac(buf.subarray(12, 18)),
      flags: buf.readUInt16LE(18),
    };
  },
};
