import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { packageRoot } from '../paths.js';
import { rabinFingerprint } from './fingerprint.js';
import { EVENT_TYPES, type EventType } from './payloads.js';

/** An Avro type with its full schema (for the registry) and its fingerprint. */
export interface KnownSchema {
  readonly type: avro.Type;
  /** Full JSON schema with defaults and docs: what a reader needs to resolve against it. */
  readonly json: string;
  /** 8-byte CRC-64-AVRO of the Parsing Canonical Form. */
  readonly fingerprint: Buffer;
  readonly fingerprintHex: string;
}

/** The schemas this build reads and writes: the envelope, log records, one per event type. */
export interface SchemaSet {
  readonly envelope: KnownSchema;
  readonly segment: KnownSchema;
  readonly exportRecord: KnownSchema;
  readonly payloads: ReadonlyMap<EventType, KnownSchema>;
}

/** Compiles a schema and computes its fingerprint. */
export function knownSchema(schema: object | string): KnownSchema {
  const parsed = typeof schema === 'string' ? JSON.parse(schema) : schema;
  const type = avro.Type.forSchema(parsed);
  const fingerprint = rabinFingerprint(JSON.stringify(type.schema()));
  return {
    type,
    json: JSON.stringify(type.schema({ exportAttrs: true })),
    fingerprint,
    fingerprintHex: fingerprint.toString('hex'),
  };
}

function loadFile(dir: string, name: string): KnownSchema {
  const path = join(dir, `${name}.avsc`);
  try {
    return knownSchema(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`invalid Avro schema ${path}: ${(error as Error).message}`);
  }
}

let cached: SchemaSet | undefined;

/**
 * The schemas in `schemas/`. `overrides` replaces event-type schemas (a newer or older version),
 * which is how tests exercise schema evolution.
 */
export function loadSchemaSet(overrides: Partial<Record<EventType, object>> = {}): SchemaSet {
  if (Object.keys(overrides).length === 0 && cached) return cached;
  const dir = join(packageRoot(), 'schemas');
  const payloads = new Map<EventType, KnownSchema>();
  for (const name of EVENT_TYPES) {
    const override = overrides[name];
    payloads.set(name, override ? knownSchema(override) : loadFile(dir, name));
  }
  const set: SchemaSet = {
    envelope: loadFile(dir, 'Envelope'),
    segment: loadFile(dir, 'LogSegment'),
    exportRecord: loadFile(dir, 'LogExportRecord'),
    payloads,
  };
  if (Object.keys(overrides).length === 0) cached = set;
  return set;
}
