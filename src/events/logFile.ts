import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import avro from 'avsc';
import { SingleBar } from 'cli-progress';
import { EventCodec } from './codec.js';
import type { AnyEvent, Position, StoredEvent } from './envelope.js';
import type { EventLog } from './eventLog.js';
import { MemorySchemaRegistry } from './schemaRegistry.js';
import { loadSchemaSet } from './schemaSet.js';
import { SkippedEvents } from './skippedEvents.js';

/** File metadata key holding every writer schema the file's events use, fingerprint → JSON. */
const SCHEMAS_META = 'cairn.schemas';

interface ExportRecord {
  position: number;
  appendedAtMs: number;
  event: Buffer;
}

export interface ExportOptions {
  readonly from?: Position;
  readonly to?: Position;
  /** Draw a progress bar on stderr (for long exports from a terminal). */
  readonly progress?: boolean;
  /** Avro block compression. */
  readonly compression?: 'null' | 'deflate';
}

/**
 * Writes events from..to of `log` to an Avro object container file. Each record keeps the
 * event's position and append time; the writer schemas travel in the file's metadata, so the
 * file stays readable whatever schemas a later reader has.
 */
export async function exportLog(
  log: EventLog,
  path: string,
  options: ExportOptions = {},
): Promise<{ events: number }> {
  const from = options.from ?? (await log.firstPosition());
  const to = options.to ?? (await log.head());
  const codec = log.codec;
  const schemas = new Map<string, string>();
  for (const schema of [codec.schemas.envelope, ...codec.schemas.payloads.values()]) {
    schemas.set(schema.fingerprintHex, schema.json);
  }
  // avsc writes `metadata` into the file header; its type definitions omit the option.
  const encoderOptions = {
    codec: options.compression ?? 'null',
    metadata: { [SCHEMAS_META]: Buffer.from(JSON.stringify(Object.fromEntries(schemas))) },
  } as ConstructorParameters<typeof avro.streams.BlockEncoder>[1];
  // Our own file stream (not createFileEncoder's): the export is done when the file is closed,
  // not when the encoder has merely finished.
  const encoder = new avro.streams.BlockEncoder(codec.schemas.exportRecord.type, encoderOptions);
  const file = createWriteStream(path);
  encoder.pipe(file);
  const written = finished(file);
  const total = to >= from ? Number(to - from + 1n) : 0;
  const bar = options.progress ? new SingleBar({ etaBuffer: 1000, stream: process.stderr }) : undefined;
  bar?.start(total, 0);
  let events = 0;
  for await (const event of log.read(from, to)) {
    const record: ExportRecord = {
      position: Number(event.position),
      appendedAtMs: event.appendedAtMs,
      event: codec.encode(event),
    };
    if (!encoder.write(record)) await once(encoder, 'drain');
    events++;
    if (bar && events % 1000 === 0) bar.update(events);
  }
  encoder.end();
  await written;
  bar?.update(events);
  bar?.stop();
  return { events };
}

/**
 * Reads an exported file back as events, in position order. Undecodable records are reported
 * to `skipped` and left out.
 */
export async function* readLogFile(path: string, skipped = new SkippedEvents()): AsyncIterable<StoredEvent> {
  const decoder = avro.createFileDecoder(path);
  let codec: EventCodec | undefined;
  decoder.once('metadata', (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
    const meta = header.meta[SCHEMAS_META];
    const registry = new MemorySchemaRegistry(meta ? Object.entries(JSON.parse(meta.toString())) : []);
    codec = new EventCodec(loadSchemaSet(), registry);
  });
  for await (const record of decoder as AsyncIterable<ExportRecord>) {
    const position = BigInt(record.position);
    let result = codec!.decodeKnown(record.event, position, record.appendedAtMs);
    if (!result.ok && result.missingSchemas.length > 0) {
      result = await codec!.decode(record.event, position, record.appendedAtMs);
    }
    if (result.ok) yield result.event;
    else skipped.report({ key: path, position, reason: result.reason });
  }
}

/** Appends the events of an exported file to `log` (idempotent: importing twice changes nothing). */
export async function importLogFile(
  path: string,
  log: EventLog,
  options: { batch?: number } = {},
): Promise<{ read: number; written: number }> {
  const batchSize = options.batch ?? 2_000;
  let batch: AnyEvent[] = [];
  let read = 0;
  let written = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    written += (await log.append(batch)).filter((r) => r.written).length;
    batch = [];
  };
  for await (const event of readLogFile(path, log.skipped)) {
    const { position: _p, appendedAtMs: _a, schemaFingerprint: _s, ...plain } = event;
    batch.push(plain as AnyEvent);
    read++;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return { read, written };
}
