import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { EventCodec } from '../events/codec.js';
import type { Position, StoredEvent } from '../events/envelope.js';
import { MemorySchemaRegistry } from '../events/schemaRegistry.js';
import { loadSchemaSet } from '../events/schemaSet.js';
import { SkippedEvents } from '../events/skippedEvents.js';
import { directorySnapshotStore } from './directorySnapshotStore.js';
import type { History } from './history.js';

/** An exported file's history; `close` releases the file. */
export interface FileHistory extends History {
  positionAtTime(ms: number): Promise<Position>;
  close(): void;
}

interface ExportRecord {
  position: number;
  appendedAtMs: number;
  event: Buffer;
}

/** One Avro block of the file: where it starts and the first record's position and time. */
interface Block {
  readonly offset: number;
  readonly count: number;
  readonly size: number;
  readonly dataOffset: number;
  readonly first: Position;
  readonly firstAppendedAtMs: number;
}

/** A zig-zag varint long at `pos` of `buf`: [value, next position]. */
function readLong(buf: Buffer, pos: number): [number, number] {
  let n = 0;
  let shift = 1;
  let b: number;
  let p = pos;
  do {
    if (p >= buf.length) throw new RangeError('truncated varint');
    b = buf[p++]!;
    n += (b & 0x7f) * shift;
    shift *= 128;
  } while (b & 0x80);
  return [n % 2 === 0 ? n / 2 : -(n + 1) / 2, p];
}

/**
 * An exported log file (Avro object container, as `cairn log export` writes it) read as a
 * History. The blocks are indexed once (their first position and append time), so a read from
 * position P skips straight to P's block: replay from a snapshot does not decode the whole file.
 * Snapshots live in a directory beside it (default `<file>.snapshots`).
 */
export function fileHistory(
  path: string,
  snapshotDir = `${path}.snapshots`,
  skipped = new SkippedEvents(),
): FileHistory {
  const fd = openSync(path, 'r');
  const fileSize = fstatSync(fd).size;
  const readAt = (offset: number, length: number): Buffer => {
    const buf = Buffer.alloc(Math.max(0, Math.min(length, fileSize - offset)));
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buf;
  };

  // Header: magic, metadata map<bytes>, 16-byte sync marker.
  const headBuf = readAt(0, Math.min(fileSize, 1 << 20));
  if (headBuf.subarray(0, 4).toString('latin1') !== 'Obj\u0001')
    throw new Error(`${path}: not an Avro object container file`);
  const meta = new Map<string, Buffer>();
  let pos = 4;
  for (;;) {
    let count: number;
    [count, pos] = readLong(headBuf, pos);
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      [, pos] = readLong(headBuf, pos);
    }
    for (let i = 0; i < count; i++) {
      let len: number;
      [len, pos] = readLong(headBuf, pos);
      const key = headBuf.subarray(pos, pos + len).toString();
      pos += len;
      [len, pos] = readLong(headBuf, pos);
      meta.set(key, headBuf.subarray(pos, pos + len));
      pos += len;
    }
  }
  pos += 16;
  const recordType = avro.Type.forSchema(JSON.parse(meta.get('avro.schema')!.toString()));
  const compression = meta.get('avro.codec')?.toString() ?? 'null';
  if (compression !== 'null' && compression !== 'deflate')
    throw new Error(`${path}: unsupported Avro codec ${compression}`);
  const schemas = meta.get('cairn.schemas');
  const codec = new EventCodec(
    loadSchemaSet(),
    new MemorySchemaRegistry(schemas ? Object.entries(JSON.parse(schemas.toString())) : []),
  );

  const blockData = (b: Block): Buffer => {
    const raw = readAt(b.dataOffset, b.size);
    return compression === 'deflate' ? inflateRawSync(raw) : raw;
  };
  const blocks: Block[] = [];
  for (let offset = pos; offset < fileSize; ) {
    const prefix = readAt(offset, 20);
    const [count, p1] = readLong(prefix, 0);
    const [size, p2] = readLong(prefix, p1);
    const dataOffset = offset + p2;
    const partial: Block = { offset, count, size, dataOffset, first: 0n, firstAppendedAtMs: 0 };
    // A record starts with its position and append time (two longs): for an uncompressed file
    // the block's first 20 bytes say where it starts, so indexing reads almost nothing.
    const data = compression === 'null' ? readAt(dataOffset, Math.min(size, 20)) : blockData(partial);
    const [position, p3] = readLong(data, 0);
    const [appendedAtMs] = readLong(data, p3);
    blocks.push({ ...partial, first: BigInt(position), firstAppendedAtMs: appendedAtMs });
    offset = dataOffset + size + 16;
  }

  async function* decodeBlock(b: Block, from: Position, to: Position): AsyncIterable<StoredEvent> {
    const data = blockData(b);
    let at = 0;
    for (let i = 0; i < b.count; i++) {
      const r = recordType.decode(data, at);
      at = r.offset;
      const record = r.value as ExportRecord;
      const position = BigInt(record.position);
      if (position < from) continue;
      if (position > to) return;
      let result = codec.decodeKnown(record.event, position, record.appendedAtMs);
      if (!result.ok && result.missingSchemas.length > 0)
        result = await codec.decode(record.event, position, record.appendedAtMs);
      if (result.ok) yield result.event;
      else skipped.report({ key: path, position, reason: result.reason });
    }
  }

  /** Index of the last block whose first position is <= p (0 when none). */
  const blockOf = (p: Position): number => {
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (blocks[mid]!.first <= p) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  let headCache: Position | undefined;
  const history: FileHistory = {
    where: path,
    async *read(from, to) {
      if (blocks.length === 0) return;
      for (let i = blockOf(from); i < blocks.length && blocks[i]!.first <= to; i++)
        yield* decodeBlock(blocks[i]!, from, to);
    },
    async head() {
      if (headCache !== undefined) return headCache;
      const last = blocks[blocks.length - 1];
      headCache = 0n;
      if (last === undefined) return headCache;
      const data = blockData(last);
      let at = 0;
      for (let i = 0; i < last.count; i++) {
        const r = recordType.decode(data, at);
        at = r.offset;
        headCache = BigInt((r.value as ExportRecord).position);
      }
      return headCache;
    },
    async first() {
      return blocks[0]?.first ?? 1n;
    },
    /** The last position appended at or before `ms` (0n when none). */
    async positionAtTime(ms) {
      let lo = 0;
      let hi = blocks.length - 1;
      if (blocks.length === 0 || blocks[0]!.firstAppendedAtMs > ms) return 0n;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (blocks[mid]!.firstAppendedAtMs <= ms) lo = mid;
        else hi = mid - 1;
      }
      const b = blocks[lo]!;
      const data = blockData(b);
      let at = 0;
      let found = b.first;
      for (let i = 0; i < b.count; i++) {
        const r = recordType.decode(data, at);
        at = r.offset;
        const record = r.value as ExportRecord;
        if (record.appendedAtMs > ms) break;
        found = BigInt(record.position);
      }
      return found;
    },
    snapshots: directorySnapshotStore(snapshotDir),
    close: () => closeSync(fd),
  };
  return history;
}
