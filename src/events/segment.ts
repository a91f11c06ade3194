import type { SchemaSet } from './schemaSet.js';

/** The events one append wrote, in log order, as stored in one etcd value (or one memory slot). */
export interface Segment {
  readonly appendedAtMs: number;
  /** Each an encoded event (EventCodec.encode): one bad event never hides its neighbours. */
  readonly events: readonly Buffer[];
}

const MAGIC = Buffer.from([0xc3, 0x01]);

/** Encodes a segment as an Avro single-object (so the segment layout can evolve too). */
export function encodeSegment(schemas: SchemaSet, segment: Segment): Buffer {
  const body = schemas.segment.type.toBuffer({ appendedAtMs: segment.appendedAtMs, events: segment.events });
  return Buffer.concat([MAGIC, schemas.segment.fingerprint, body]);
}

/** Decodes a segment, or says why it cannot. */
export function decodeSegment(
  schemas: SchemaSet,
  bytes: Buffer,
): { readonly ok: true; readonly segment: Segment } | { readonly ok: false; readonly reason: string } {
  if (bytes.length < 10 || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) {
    return { ok: false, reason: 'not a log segment (bad magic)' };
  }
  const fp = bytes.subarray(2, 10);
  if (!fp.equals(schemas.segment.fingerprint)) {
    return { ok: false, reason: `unknown log segment schema ${fp.toString('hex')}` };
  }
  try {
    return { ok: true, segment: schemas.segment.type.fromBuffer(bytes.subarray(10)) as Segment };
  } catch (error) {
    return { ok: false, reason: `undecodable log segment: ${(error as Error).message}` };
  }
}
