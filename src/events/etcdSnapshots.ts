import { createHash } from 'node:crypto';
import type { Namespace } from 'etcd3';
import type { Position } from './envelope.js';
import type { Snapshot } from './eventLog.js';
import { hex16, snapshotDataPrefix, snapshotMetaPrefix } from './logKeys.js';

/** Chunk size: one etcd request carries at most 1.5 MiB. */
const CHUNK_BYTES = 1024 * 1024;

interface Manifest {
  readonly chunks: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** Saves a snapshot as chunks, then its manifest: the manifest is the commit point. */
export async function saveEtcdSnapshot(
  etcd: Namespace,
  name: string,
  position: Position,
  state: Uint8Array,
): Promise<void> {
  const data = Buffer.from(state.buffer, state.byteOffset, state.byteLength);
  const chunks = Math.max(1, Math.ceil(data.length / CHUNK_BYTES));
  const prefix = snapshotDataPrefix(name, position);
  for (let i = 0; i < chunks; i++) {
    const chunk = data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
    await etcd.put(`${prefix}${i.toString(16).padStart(8, '0')}`).value(chunk);
  }
  const manifest: Manifest = {
    chunks,
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
  await etcd.put(`${snapshotMetaPrefix(name)}${hex16(position)}`).value(JSON.stringify(manifest));
}

/** Loads the latest snapshot at or before `atOrBefore`; a damaged one is an error naming it. */
export async function loadEtcdSnapshot(
  etcd: Namespace,
  name: string,
  atOrBefore?: Position,
): Promise<Snapshot | undefined> {
  const metaPrefix = snapshotMetaPrefix(name);
  const end = atOrBefore === undefined ? `${metaPrefix}\xff` : `${metaPrefix}${hex16(atOrBefore)}\0`;
  const found = await etcd
    .getAll()
    .inRange({ start: metaPrefix, end })
    .sort('Key', 'Descend')
    .limit(1)
    .exec();
  const kv = found.kvs[0];
  if (!kv) return undefined;
  const position = BigInt(`0x${kv.key.toString().slice(metaPrefix.length)}`);
  const manifest = JSON.parse(kv.value.toString()) as Manifest;
  const prefix = snapshotDataPrefix(name, position);
  // One chunk per request: a range over every chunk could exceed gRPC's 4 MiB response limit.
  const chunks: Buffer[] = [];
  for (let i = 0; i < manifest.chunks; i++) {
    const chunk = await etcd.get(`${prefix}${i.toString(16).padStart(8, '0')}`).buffer();
    if (chunk === null)
      throw new Error(`snapshot ${name}@${position} is damaged: chunk ${i}/${manifest.chunks} missing`);
    chunks.push(chunk);
  }
  const data = Buffer.concat(chunks);
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (sha256 !== manifest.sha256) {
    throw new Error(`snapshot ${name}@${position} is damaged: sha256 mismatch`);
  }
  return { position, state: new Uint8Array(data) };
}
