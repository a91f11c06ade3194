import type avro from 'avsc';
import type { AnyEvent, StoredEvent } from './envelope.js';
import { InvalidEventError } from './errors.js';
import type { EventType } from './payloads.js';
import type { SchemaRegistry } from './schemaRegistry.js';
import { type KnownSchema, knownSchema, type SchemaSet } from './schemaSet.js';

/** Avro single-object encoding marker (spec: 0xC3 0x01, then the 8-byte fingerprint). */
const MAGIC = Buffer.from([0xc3, 0x01]);
const HEADER_BYTES = 10;

interface EnvelopeRecord {
  id: string;
  cluster: string;
  source: AnyEvent['source'];
  actor: AnyEvent['actor'];
  timeMs: number;
  causation: string | null;
  type: string;
  payloadFingerprint: Buffer;
  payload: Buffer;
}

export type DecodeResult =
  | { readonly ok: true; readonly event: StoredEvent }
  | { readonly ok: false; readonly reason: string; readonly missingSchemas: readonly string[] };

/**
 * Encodes events as Avro single-object encoded envelopes (payload encoded with its own schema,
 * named by fingerprint) and decodes them back, resolving older or newer writer schemas from the
 * registry against this build's reader schemas.
 */
export class EventCodec {
  private readonly writerTypes = new Map<string, avro.Type>();
  private readonly resolvers = new Map<string, avro.Type | avro.Resolver>();
  private readonly readerByName = new Map<string, KnownSchema>();
  private registered: Promise<void> | undefined;

  constructor(
    readonly schemas: SchemaSet,
    private readonly registry: SchemaRegistry,
  ) {
    for (const [name, schema] of schemas.payloads) this.readerByName.set(name, schema);
    for (const schema of [schemas.envelope, ...schemas.payloads.values()]) {
      this.writerTypes.set(schema.fingerprintHex, schema.type);
    }
  }

  /** Registers every schema this codec writes with (once per codec). */
  registerWriterSchemas(): Promise<void> {
    this.registered ??= (async () => {
      await this.registry.register(this.schemas.envelope);
      for (const schema of this.schemas.payloads.values()) await this.registry.register(schema);
    })().catch((error) => {
      this.registered = undefined;
      throw error;
    });
    return this.registered;
  }

  /** Encodes one event; throws InvalidEventError naming the event and the field at fault. */
  encode(event: AnyEvent): Buffer {
    const payloadSchema = this.readerByName.get(event.type);
    if (!payloadSchema)
      throw new InvalidEventError(event.id, `unknown event type ${JSON.stringify(event.type)}`);
    const payload = encodeChecked(payloadSchema.type, event.payload, event.id, `${event.type} payload`);
    const record: EnvelopeRecord = {
      id: event.id,
      cluster: event.cluster,
      source: event.source,
      actor: event.actor,
      timeMs: event.timeMs,
      causation: event.causation,
      type: event.type,
      payloadFingerprint: payloadSchema.fingerprint,
      payload,
    };
    const body = encodeChecked(this.schemas.envelope.type, record, event.id, 'envelope');
    return Buffer.concat([MAGIC, this.schemas.envelope.fingerprint, body]);
  }

  /**
   * Decodes with the schemas already known; reports the fingerprints it would need otherwise.
   * `position` and `appendedAtMs` are where the log keeps the event (0 when it is not stored).
   */
  decodeKnown(bytes: Buffer, position = 0n, appendedAtMs = 0): DecodeResult {
    if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) {
      return failure('not an Avro single-object encoded event (bad magic)');
    }
    // Compare fingerprints as bytes first: the common case (current schema) needs no hex string.
    const envelopeFp =
      this.schemas.envelope.fingerprint.compare(bytes, 2, HEADER_BYTES) === 0
        ? this.schemas.envelope.fingerprintHex
        : bytes.subarray(2, HEADER_BYTES).toString('hex');
    const envelopeReader = this.resolver(this.schemas.envelope, envelopeFp);
    if (!envelopeReader) return failure(`unknown envelope schema ${envelopeFp}`, [envelopeFp]);
    let envelope: EnvelopeRecord;
    try {
      envelope = readWith(
        this.schemas.envelope.type,
        envelopeReader,
        bytes.subarray(HEADER_BYTES),
      ) as EnvelopeRecord;
    } catch (error) {
      return failure(`undecodable envelope: ${(error as Error).message}`);
    }
    const reader = this.readerByName.get(envelope.type);
    if (!reader) return failure(`event ${envelope.id}: unknown event type ${envelope.type}`);
    const payloadFp = envelope.payloadFingerprint.equals(reader.fingerprint)
      ? reader.fingerprintHex
      : envelope.payloadFingerprint.toString('hex');
    const payloadReader = this.resolver(reader, payloadFp);
    if (!payloadReader) {
      return failure(`event ${envelope.id}: unknown ${envelope.type} schema ${payloadFp}`, [payloadFp]);
    }
    let payload: unknown;
    try {
      payload = readWith(reader.type, payloadReader, envelope.payload);
    } catch (error) {
      return failure(
        `event ${envelope.id}: undecodable ${envelope.type} payload: ${(error as Error).message}`,
      );
    }
    const event = {
      id: envelope.id,
      cluster: envelope.cluster,
      source: envelope.source,
      actor: envelope.actor,
      timeMs: envelope.timeMs,
      causation: envelope.causation,
      type: envelope.type as EventType,
      payload,
      schemaFingerprint: payloadFp,
      position,
      appendedAtMs,
    } as StoredEvent;
    return { ok: true, event };
  }

  /** Decodes, fetching unknown writer schemas from the registry first. */
  async decode(bytes: Buffer, position = 0n, appendedAtMs = 0): Promise<DecodeResult> {
    for (let round = 0; ; round++) {
      const result = this.decodeKnown(bytes, position, appendedAtMs);
      if (result.ok || result.missingSchemas.length === 0 || round === 2) return result;
      const found = await this.learn(result.missingSchemas);
      if (!found) return failure(`${result.reason} (not in the schema registry)`);
    }
  }

  /** Fetches writer schemas by fingerprint; false if any is not registered. */
  async learn(fingerprints: readonly string[]): Promise<boolean> {
    for (const fp of fingerprints) {
      if (this.writerTypes.has(fp)) continue;
      const json = await this.registry.lookup(fp);
      if (json === undefined) return false;
      this.writerTypes.set(fp, knownSchema(json).type);
    }
    return true;
  }

  private resolver(reader: KnownSchema, writerFp: string): avro.Type | avro.Resolver | undefined {
    if (writerFp === reader.fingerprintHex) return reader.type;
    const cacheKey = `${reader.fingerprintHex}:${writerFp}`;
    const cached = this.resolvers.get(cacheKey);
    if (cached) return cached;
    const writer = this.writerTypes.get(writerFp);
    if (!writer) return undefined;
    const resolver = reader.type.createResolver(writer);
    this.resolvers.set(cacheKey, resolver);
    return resolver;
  }
}

function failure(reason: string, missingSchemas: readonly string[] = []): DecodeResult {
  return { ok: false, reason, missingSchemas };
}

function readWith(type: avro.Type, resolver: avro.Type | avro.Resolver, bytes: Buffer): unknown {
  return resolver === type ? type.fromBuffer(bytes) : type.fromBuffer(bytes, resolver as avro.Resolver);
}

function encodeChecked(type: avro.Type, value: unknown, eventId: string, what: string): Buffer {
  try {
    return type.toBuffer(value);
  } catch {
    const problems: string[] = [];
    type.isValid(value, {
      errorHook: (path: string[], bad: unknown) => {
        problems.push(`${path.join('.') || '(root)'} = ${JSON.stringify(bad)}`);
      },
    });
    throw new InvalidEventError(
      eventId,
      `invalid ${what}: ${problems.join('; ') || 'does not match its schema'}`,
    );
  }
}
