import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { loadSchemaSet } from '../../src/events/schemaSet.js';
import { packageRoot } from '../../src/paths.js';
import { makeEvent } from '../../src/samples/sampleEvents.js';
import { collect } from '../support/events.js';

const endpoints = inject('etcdEndpoints');
const client = connectEtcd({ endpoints });
afterAll(() => client.close());

const v1 = JSON.parse(readFileSync(join(packageRoot(), 'schemas', 'OperatorAnnotated.avsc'), 'utf8'));
/** v2 adds a field with a default, and drops nothing. */
const v2 = { ...v1, fields: [...v1.fields, { name: 'ticket', type: 'string', default: 'none' }] };

describe('schema evolution through the etcd schema registry', () => {
  it('events written with v1 are read by a v2 reader, the new field taking its default', async () => {
    const prefix = `/test/${randomUUID()}/`;
    const writer = new EtcdEventLog({
      client,
      endpoints,
      prefix,
      schemas: loadSchemaSet({ OperatorAnnotated: v1 }),
    });
    const event = makeEvent(
      'OperatorAnnotated',
      { subject: 'Service/demo/web', key: 'drain', value: '10.244.1.10', reason: 'maintenance' },
      { id: 'op/1', source: 'operator' },
    );
    await writer.append([event]);

    const reader = new EtcdEventLog({
      client,
      endpoints,
      prefix,
      schemas: loadSchemaSet({ OperatorAnnotated: v2 }),
    });
    const [read] = await collect(reader.read());
    expect(read?.payload).toEqual({ ...event.payload, ticket: 'none' });
    expect(read?.schemaFingerprint).toBe(
      writer.codec.schemas.payloads.get('OperatorAnnotated')!.fingerprintHex,
    );
    expect(read?.schemaFingerprint).not.toBe(
      reader.codec.schemas.payloads.get('OperatorAnnotated')!.fingerprintHex,
    );

    // And the other way round: a v1 reader reads v2 events, ignoring the field it does not know.
    await reader.append([{ ...event, id: 'op/2', payload: { ...event.payload, ticket: 'INC-7' } } as never]);
    const both = await collect(writer.read());
    expect(both.map((e) => e.payload)).toEqual([event.payload, event.payload]);
    expect(reader.skipped.count + writer.skipped.count).toBe(0);
  });

  it('an event whose writer schema was never registered is skipped and counted, not fatal', async () => {
    const prefix = `/test/${randomUUID()}/`;
    const log = new EtcdEventLog({ client, endpoints, prefix });
    const unregistered = loadSchemaSet({
      OperatorAnnotated: { ...v2, doc: 'x', fields: [...v2.fields, { name: 'z', type: 'int', default: 0 }] },
    });
    const rogue = new EtcdEventLog({ client, endpoints, prefix, schemas: unregistered });
    // Write through `rogue` but remove its registration: as if a writer skipped the registry.
    await log.append([
      makeEvent('OperatorAnnotated', { subject: 's', key: 'k', value: null, reason: '' }, { id: 'a' }),
    ]);
    await rogue.append([
      makeEvent('OperatorAnnotated', { subject: 's', key: 'k', value: null, reason: '' }, { id: 'b' }),
    ]);
    const fp = unregistered.payloads.get('OperatorAnnotated')!.fingerprintHex;
    await client.namespace(prefix).delete().key(`schemas/${fp}`);
    const fresh = new EtcdEventLog({ client, endpoints, prefix });
    const read = await collect(fresh.read());
    expect(read.map((e) => e.id)).toEqual(['a']);
    expect(fresh.skipped.count).toBe(1);
  });
});
