import type { BackendKey, BackendState, BackendValue } from '../../maps/model.js';
import { type Codec, checkSize, checkUint, zeroed } from '../codec.js';
import { readIpv4, writeIpv4 } from '../ipv4.js';
import { protoName, protoNumber } from './l4proto.js';

/** Backends map key: a bare __u32 backend_id (host order). */
export const backendKeyCodec: Codec<BackendKey> = {
  cType: '__u32',
  size: 4,
  fields: [],
  encode(key) {
    const buf = zeroed(4);
    buf.writeUInt32LE(checkUint(key.id, 32, 'backend id'), 0);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 4, 'backend id');
    return { id: buf.readUInt32LE(0) };
  },
};

/** bpf/maps.h BE_STATE_* */
const STATES: readonly BackendState[] = ['active', 'terminating', 'quarantined'];

/** struct lb4_backend: { __be32 address; __be16 port; __u8 proto; __u8 state; } */
export const lb4BackendCodec: Codec<BackendValue> = {
  cType: 'lb4_backend',
  size: 8,
  fields: [
    { name: 'address', offset: 0, size: 4 },
    { name: 'port', offset: 4, size: 2 },
    { name: 'proto', offset: 6, size: 1 },
    { name: 'state', offset: 7, size: 1 },
  ],
  encode(value) {
    const buf = zeroed(8);
    writeIpv4(buf, 0, value.address);
    buf.writeUInt16BE(checkUint(value.port, 16, 'backend port'), 4);
    buf.writeUInt8(protoNumber(value.proto), 6);
    const state = STATES.indexOf(value.state);
    if (state < 0) throw new TypeError(`unknown backend state: ${JSON.stringify(value.state)}`);
    buf.writeUInt8(state, 7);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 8, 'lb4_backend');
    const state = STATES[buf.readUInt8(7)];
    if (state === undefined) throw new TypeError(`unknown backend state in map: ${buf.readUInt8(7)}`);
    return {
      address: readIpv4(buf, 0),
      port: buf.readUInt16BE(4),
      proto: protoName(buf.readUInt8(6)),
      state,
    };
  },
};
