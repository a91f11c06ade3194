/**
 * CRC-64-AVRO (Rabin) fingerprints of Avro schemas, as the Avro specification defines them for
 * single-object encoding: computed over the Parsing Canonical Form, written little-endian.
 */
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: readonly bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & (-(fp & 1n) & MASK));
  return fp;
});

/** The 8-byte little-endian CRC-64-AVRO fingerprint of `canonicalSchema` (Parsing Canonical Form). */
export function rabinFingerprint(canonicalSchema: string): Buffer {
  let fp = EMPTY;
  for (const byte of Buffer.from(canonicalSchema, 'utf8')) {
    fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!;
  }
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp);
  return out;
}
