import { createHash } from 'node:crypto';
import type { Namespace } from 'etcd3';
import type { Position } from '../events/envelope.js';
import type { Snapshot } from '../events/eventLog.js';
import { hex16, snapshotDataPrefix, snapshotMetaPrefix } from '../events/logKeys.js';

/**
 * Loads a snapshot from the log's etcd layout one chunk per request. (EtcdEventLog.loadSnapshot
 * reads every chunk in one range response, which gRPC refuses past 4 MiB: a large projection
 * snapshot would not load.) Same keys, same manifest, same checks.
 */
export async function loadEtcdSnapshotChunked(
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
  const manifest = JSON.parse(kv.value.toString()) as { chunks: number; bytes: number; sha256: string };
  const prefix = snapshotDataPrefix(name, position);
  const chunks: Buffer[] = [];
  for (let i = 0; i < manifest.chunks; i++) {
    const chunk = await etcd.get(`${prefix}${i.toString(16).padStart(8, '0')}`).buffer();
    if (chunk === null)
      throw new Error(`snapshot ${name}@${position} is damaged: chunk ${i}/${manifest.chunks} missing`);
    chunks.push(chunk);
  }
  const data = Buffer.concat(chunks);
  if (createHash('sha256').update(data).digest('hex') !== manifest.sha256)
    throw new Error(`snapshot ${name}@${position} is damaged: sha256 mismatch`);
  return { position, state: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
