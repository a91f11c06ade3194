import type { Namespace } from 'etcd3';
import { LOG_KEYS } from './logKeys.js';
import type { SchemaRegistry } from './schemaRegistry.js';
import type { KnownSchema } from './schemaSet.js';

/** Writer schemas kept in etcd under the log's prefix, by fingerprint; written once, never changed. */
export class EtcdSchemaRegistry implements SchemaRegistry {
  private readonly known = new Map<string, string>();

  constructor(private readonly etcd: Namespace) {}

  async register(schema: KnownSchema): Promise<void> {
    if (this.known.has(schema.fingerprintHex)) return;
    const key = `${LOG_KEYS.schemaPrefix}${schema.fingerprintHex}`;
    // Create-if-absent: a fingerprint names one schema forever.
    await this.etcd.if(key, 'Create', '==', 0).then(this.etcd.put(key).value(schema.json)).commit();
    this.known.set(schema.fingerprintHex, schema.json);
  }

  async lookup(fingerprintHex: string): Promise<string | undefined> {
    const cached = this.known.get(fingerprintHex);
    if (cached !== undefined) return cached;
    const json = await this.etcd.get(`${LOG_KEYS.schemaPrefix}${fingerprintHex}`).string();
    if (json !== null) this.known.set(fingerprintHex, json);
    return json ?? undefined;
  }
}
