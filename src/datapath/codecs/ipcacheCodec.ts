import type { IpcacheKey, IpcacheValue } from '../../maps/model.js';
import { type Codec, checkSize, checkUint, zeroed } from '../codec.js';
import { formatIpv4, parseCidr } from '../ipv4.js';

/** struct ipcache_key: { __u32 prefixlen; __be32 addr; } (LPM trie key; host bits are cleared). */
export const ipcacheKeyCodec: Codec<IpcacheKey> = {
  cType: 'ipcache_key',
  size: 8,
  fields: [
    { name: 'prefixlen', offset: 0, size: 4 },
    { name: 'addr', offset: 4, size: 4 },
  ],
  encode(key) {
    const { network, prefixLen } = parseCidr(key.cidr);
    const buf = zeroed(8);
    buf.writeUInt32LE(prefixLen, 0);
    buf.writeUInt32BE(network, 4);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 8, 'ipcache_key');
    return { cidr: `${formatIpv4(buf.readUInt32BE(4))}/${buf.readUInt32LE(0)}` };
  },
};

/** struct ipcache_value: { __u32 identity; __u8 pad[4]; } */
export const ipcacheValueCodec: Codec<IpcacheValue> = {
  cType: 'ipcache_value',
  size: 8,
  fields: [
    { name: 'identity', offset: 0, size: 4 },
    { name: 'pad', offset: 4, size: 4 },
  ],
  encode(value) {
    const buf = zeroed(8);
    buf.writeUInt32LE(checkUint(value.identity, 32, 'identity'), 0);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 8, 'ipcache_value');
    return { identity: buf.readUInt32LE(0) };
  },
};
