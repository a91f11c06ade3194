import type { ServiceKey, ServiceValue } from '../../maps/model.js';
import { type Codec, checkSize, checkUint, zeroed } from '../codec.js';
import { readIpv4, writeIpv4 } from '../ipv4.js';
import { protoName, protoNumber } from './l4proto.js';

/** struct lb4_key: { __be32 address; __be16 dport; __u16 backend_slot; __u8 proto; __u8 scope; __u8 pad[2]; } */
export const lb4KeyCodec: Codec<ServiceKey> = {
  cType: 'lb4_key',
  size: 12,
  fields: [
    { name: 'address', offset: 0, size: 4 },
    { name: 'dport', offset: 4, size: 2 },
    { name: 'backend_slot', offset: 6, size: 2 },
    { name: 'proto', offset: 8, size: 1 },
    { name: 'scope', offset: 9, size: 1 },
    { name: 'pad', offset: 10, size: 2 },
  ],
  encode(key) {
    const buf = zeroed(12);
    writeIpv4(buf, 0, key.address);
    buf.writeUInt16BE(checkUint(key.port, 16, 'service port'), 4);
    buf.writeUInt16LE(checkUint(key.slot, 16, 'service slot'), 6);
    buf.writeUInt8(protoNumber(key.proto), 8);
    buf.writeUInt8(key.scope === 'internal' ? 1 : 0, 9);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 12, 'lb4_key');
    return {
      address: readIpv4(buf, 0),
      port: buf.readUInt16BE(4),
      slot: buf.readUInt16LE(6),
      proto: protoName(buf.readUInt8(8)),
      scope: buf.readUInt8(9) === 1 ? 'internal' : 'external',
    };
  },
};

/**
 * struct lb4_service: { __u32 backend_id; __u32 rev_nat_index; __u16 count; __u8 flags; __u8 flags2; }
 * The same bytes mean a master (slot 0: backend_id holds the affinity timeout) or a slot, so
 * decoding needs the key.
 */
export const lb4ServiceCodec: Codec<ServiceValue, Pick<ServiceKey, 'slot'>> = {
  cType: 'lb4_service',
  size: 12,
  fields: [
    { name: 'backend_id', offset: 0, size: 4 },
    { name: 'rev_nat_index', offset: 4, size: 4 },
    { name: 'count', offset: 8, size: 2 },
    { name: 'flags', offset: 10, size: 1 },
    { name: 'flags2', offset: 11, size: 1 },
  ],
  encode(value) {
    const buf = zeroed(12);
    if (value.kind === 'master') {
      buf.writeUInt32LE(checkUint(value.affinityTimeoutSec, 32, 'affinity timeout'), 0);
      buf.writeUInt32LE(checkUint(value.revNatId, 32, 'rev-NAT id'), 4);
      buf.writeUInt16LE(checkUint(value.count, 16, 'backend count'), 8);
      buf.writeUInt8(checkUint(value.flags, 8, 'service flags'), 10);
    } else {
      buf.writeUInt32LE(checkUint(value.backendId, 32, 'backend id'), 0);
      buf.writeUInt32LE(checkUint(value.revNatId, 32, 'rev-NAT id'), 4);
    }
    return buf;
  },
  decode(buf, key) {
    checkSize(buf, 12, 'lb4_service');
    if (key.slot === 0) {
      return {
        kind: 'master',
        affinityTimeoutSec: buf.readUInt32LE(0),
        count: buf.readUInt16LE(8),
        revNatId: buf.readUInt32LE(4),
        flags: buf.readUInt8(10),
      };
    }
    return { kind: 'slot', backendId: buf.readUInt32LE(0), revNatId: buf.readUInt32LE(4) };
  },
};
