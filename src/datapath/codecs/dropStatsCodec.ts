import { type Codec, zeroed } from '../codec.js';

/** bpf/maps.h enum drop_reason: index of the cairn_drops per-CPU array. */
export const DROP_REASON = {
  policyDeny: 1,
  policyNoMatch: 2,
} as const;

export type DropReason = keyof typeof DROP_REASON;

export interface DropStats {
  readonly packets: bigint;
  readonly bytes: bigint;
}

/**
 * struct drop_stats: { __u64 packets; __u64 bytes; } — one per CPU; decode sums the CPUs'
 * copies (the kernel hands user space one 8-byte-aligned copy per possible CPU).
 */
export const dropStatsCodec: Codec<DropStats> = {
  cType: 'drop_stats',
  size: 16,
  fields: [
    { name: 'packets', offset: 0, size: 8 },
    { name: 'bytes', offset: 8, size: 8 },
  ],
  encode(value) {
    const buf = zeroed(16);
    buf.writeBigUInt64LE(value.packets, 0);
    buf.writeBigUInt64LE(value.bytes, 8);
    return buf;
  },
  decode(buf) {
    let packets = 0n;
    let bytes = 0n;
    for (let off = 0; off + 16 <= buf.length; off += 16) {
      packets += buf.readBigUInt64LE(off);
      bytes += buf.readBigUInt64LE(off + 8);
    }
    return { packets, bytes };
  },
};
