import type { MaglevKey, MaglevValue } from '../../maps/model.js';
import { type Codec, checkSize, checkUint, zeroed } from '../codec.js';

/** Maglev outer map key: a bare __u32 rev_nat_index (host order). */
export const maglevKeyCodec: Codec<MaglevKey> = {
  cType: '__u32',
  size: 4,
  fields: [],
  encode(key) {
    const buf = zeroed(4);
    buf.writeUInt32LE(checkUint(key.revNatId, 32, 'rev-NAT id'), 0);
    return buf;
  },
  decode(buf) {
    checkSize(buf, 4, 'rev-NAT id');
    return { revNatId: buf.readUInt32LE(0) };
  },
};

/**
 * Maglev inner table: an ARRAY of M __u32 backend ids. `size` is one element (the outer map's
 * value is the inner map's id, also a __u32); encode/decode handle the whole table.
 */
export const maglevTableCodec: Codec<MaglevValue> = {
  cType: '__u32',
  size: 4,
  fields: [],
  encode(value) {
    const buf = zeroed(value.backendIds.length * 4);
    value.backendIds.forEach((id, i) => {
      buf.writeUInt32LE(checkUint(id, 32, 'backend id'), i * 4);
    });
    return buf;
  },
  decode(buf) {
    if (buf.length % 4 !== 0) checkSize(buf, buf.length - (buf.length % 4), 'maglev table');
    const ids: number[] = [];
    for (let i = 0; i < buf.length; i += 4) ids.push(buf.readUInt32LE(i));
    return { backendIds: ids };
  },
};
