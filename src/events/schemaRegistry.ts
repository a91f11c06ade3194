import type { KnownSchema } from './schemaSet.js';

/**
 * Writer schemas by fingerprint, so an event written with an older (or newer) schema can be
 * resolved against the reader's schema after the schema changed.
 */
export interface SchemaRegistry {
  /** Records a writer schema; registering the same one twice is a no-op. */
  register(schema: KnownSchema): Promise<void>;
  /** The full JSON of the schema with that hex fingerprint, or undefined if never registered. */
  lookup(fingerprintHex: string): Promise<string | undefined>;
}

/** A registry in memory: for the in-memory log and for reading exported files. */
export class MemorySchemaRegistry implements SchemaRegistry {
  private readonly schemas = new Map<string, string>();

  constructor(initial: Iterable<[string, string]> = []) {
    for (const [fingerprint, json] of initial) this.schemas.set(fingerprint, json);
  }

  async register(schema: KnownSchema): Promise<void> {
    this.schemas.set(schema.fingerprintHex, schema.json);
  }

  async lookup(fingerprintHex: string): Promise<string | undefined> {
    return this.schemas.get(fingerprintHex);
  }

  /** Every schema held, fingerprint → JSON. */
  entries(): IterableIterator<[string, string]> {
    return this.schemas.entries();
  }
}
