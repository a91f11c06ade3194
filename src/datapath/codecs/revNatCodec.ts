import type { RevNatKey, RevNatValue } from '../../maps/model.js';
import { type Codec, checkSize, checkUint, zeroed } from '../codec.js';
import { readIpv4, writeIpv4 } from '../ipv4.js';

/** Reverse NAT key: a bare __u32 rev_nat_index (host order). */
export const revNatKeyCodec: Codec<RevNatKey> = {
  cType: '__u32',
  size: 4,
  fields: [],
  encode(key) {
    const buf = zeroed(4);
    buf.writeUInt32LE(checkUint(key.id, 32, 'rev-NAT id'), 0);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 4, 'rev-NAT id');
    return { id: buf.readUInt32LE(0) };
  },
};

/** struct lb4_reverse_nat: { __be32 address; __be16 port; __u8 pad[2]; } */
export const lb4ReverseNatCodec: Codec<RevNatValue> = {
  cType: 'lb4_reverse_nat',
  size: 8,
  fields: [
    { name: 'address', offset: 0, size: 4 },
    { name: 'port', offset: 4, size: 2 },
    { name: 'pad', offset: 6, size: 2 },
  ],
  encode(value) {
    const buf = zeroed(8);
    writeIpv4(buf, 0, value.address);
    buf.writeUInt16BE(checkUint(value.port, 16, 'rev-NAT port'), 4);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 8, 'lb4_reverse_nat');
    return { address: readIpv4(buf, 0), port: buf.readUInt16BE(4) };
  },
};
