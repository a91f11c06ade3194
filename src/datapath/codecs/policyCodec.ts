import type { Direction, PolicyKey, PolicyValue } from '../../maps/model.js';
import { type Codec, checkSize, checkUint, zeroed } from '../codec.js';
import { protoName, protoNumber } from './l4proto.js';

/** bpf/maps.h POLICY_PREFIX_*: key bits after prefixlen that take part in the match. */
export const POLICY_PREFIX_ANY_PROTO = 72;
export const POLICY_PREFIX_ANY_PORT = 80;
export const POLICY_PREFIX_FULL = 96;

const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

/**
 * struct policy_key: { __u32 prefixlen; __u32 endpoint_id; __u32 identity; __u8 direction; __u8 proto; __be16 dport; }
 * prefixlen 72 = any proto and port; 80 = that proto, any port; 80 + p = dport's top p bits.
 * The port is masked to its prefix so equal entries have equal bytes.
 */
export const policyKeyCodec: Codec<PolicyKey> = {
  cType: 'policy_key',
  size: 16,
  fields: [
    { name: 'prefixlen', offset: 0, size: 4 },
    { name: 'endpoint_id', offset: 4, size: 4 },
    { name: 'identity', offset: 8, size: 4 },
    { name: 'direction', offset: 12, size: 1 },
    { name: 'proto', offset: 13, size: 1 },
    { name: 'dport', offset: 14, size: 2 },
  ],
  encode(key) {
    const buf = zeroed(16);
    const proto = protoNumber(key.proto);
    const portBits = proto === 0 ? 0 : checkUint(key.portPrefixLen, 8, 'port prefix length');
    if (portBits > 16) throw new TypeError(`port prefix length must be 0..16, got ${portBits}`);
    const port = checkUint(key.port, 16, 'policy port');
    const mask = portBits === 0 ? 0 : (0xffff << (16 - portBits)) & 0xffff;
    buf.writeUInt32LE(proto === 0 ? POLICY_PREFIX_ANY_PROTO : POLICY_PREFIX_ANY_PORT + portBits, 0);
    buf.writeUInt32LE(checkUint(key.endpointId, 32, 'endpoint id'), 4);
    buf.writeUInt32LE(checkUint(key.identity, 32, 'identity'), 8);
    buf.writeUInt8(key.direction === 'egress' ? 1 : 0, 12);
    buf.writeUInt8(proto, 13);
    buf.writeUInt16BE(port & mask, 14);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 16, 'policy_key');
    const prefixLen = buf.readUInt32LE(0);
    const direction = DIRECTIONS[buf.readUInt8(12)];
    if (direction === undefined) throw new TypeError(`unknown policy direction in map: ${buf.readUInt8(12)}`);
    const anyProto = prefixLen <= POLICY_PREFIX_ANY_PROTO;
    return {
      endpointId: buf.readUInt32LE(4),
      identity: buf.readUInt32LE(8),
      direction,
      proto: anyProto ? 'ANY' : protoName(buf.readUInt8(13)),
      port: anyProto ? 0 : buf.readUInt16BE(14),
      portPrefixLen: anyProto ? 0 : prefixLen - POLICY_PREFIX_ANY_PORT,
    };
  },
};

/** struct policy_entry: { __u8 deny; __u8 pad[3]; } */
export const policyEntryCodec: Codec<PolicyValue> = {
  cType: 'policy_entry',
  size: 4,
  fields: [
    { name: 'deny', offset: 0, size: 1 },
    { name: 'pad', offset: 1, size: 3 },
  ],
  encode(value) {
    const buf = zeroed(4);
    buf.writeUInt8(value.verdict === 'deny' ? 1 : 0, 0);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 4, 'policy_entry');
    return { verdict: buf.readUInt8(0) === 0 ? 'allow' : 'deny' };
  },
};
