import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { exportLog, importLogFile, readLogFile } from '../../src/events/logFile.js';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import { loadSchemaSet } from '../../src/events/schemaSet.js';
import { collect, ids, namespaceEvents } from '../support/events.js';

const endpoints = inject('etcdEndpoints');
const client = connectEtcd({ endpoints });
const dirs: string[] = [];
afterAll(async () => {
  client.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempFile(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-export-'));
  dirs.push(dir);
  return join(dir, name);
}

describe('export and import of log ranges (Avro object container files)', () => {
  it('exports a range from etcd and reads it back with positions and append times', async () => {
    const log = new EtcdEventLog({ client, endpoints, prefix: `/test/${randomUUID()}/` });
    await log.append(namespaceEvents(500));
    const path = await tempFile('range.avro');
    const { events } = await exportLog(log, path, { from: 101n, to: 400n, compression: 'deflate' });
    expect(events).toBe(300);
    const fromFile = await collect(readLogFile(path));
    const fromEtcd = await collect(log.read(101n, 400n));
    expect(fromFile).toEqual(fromEtcd);
  });

  it('import into another log is idempotent and keeps ids and order', async () => {
    const source = new MemoryEventLog();
    await source.append(namespaceEvents(250));
    const path = await tempFile('all.avro');
    await exportLog(source, path);
    const target = new EtcdEventLog({ client, endpoints, prefix: `/test/${randomUUID()}/` });
    expect(await importLogFile(path, target, { batch: 100 })).toEqual({ read: 250, written: 250 });
    expect(await importLogFile(path, target)).toEqual({ read: 250, written: 0 });
    expect(ids(await collect(target.read()))).toEqual(ids(namespaceEvents(250)));
  });

  it('a file written with an older schema is readable by a newer build (schemas travel in the file)', async () => {
    const base = loadSchemaSet().payloads.get('NamespaceUpserted')!;
    const old = JSON.parse(base.json);
    // The "old" schema lacks `labels`; the current reader fills its default.
    old.fields = old.fields.filter((f: { name: string }) => f.name !== 'labels');
    const oldLog = new MemoryEventLog({ schemas: loadSchemaSet({ NamespaceUpserted: old }) });
    await oldLog.append(
      namespaceEvents(3).map((e) => ({ ...e, payload: { ...e.payload, labels: undefined } }) as never),
    );
    const path = await tempFile('old.avro');
    await exportLog(oldLog, path);
    const read = await collect(readLogFile(path));
    expect(read.map((e) => (e.type === 'NamespaceUpserted' ? e.payload.labels : null))).toEqual([{}, {}, {}]);
  });
});
