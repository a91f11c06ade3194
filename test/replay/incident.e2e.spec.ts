/**
 * The incident end to end through the real CLI and a real etcd: bob's edit of demo/web's
 * EndpointSlice and alice's revert, driven through the log with actors and audit records as
 * apiwatch writes them (not through a kube-apiserver: see docs/replay.md). `cairn diff` over the
 * edit and `cairn blame` of the Service at the edit name bob and the backend he swapped in;
 * `cairn audit` lists both writes with their users.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { incidentEvents } from './incidentEvents.js';

const run = promisify(execFile);
const endpoints = inject('etcdEndpoints');
const prefix = `/test/incident/${randomUUID()}/`;
const client = connectEtcd({ endpoints });

async function cairn(...args: string[]): Promise<unknown> {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      ...args,
      '--etcd-endpoints',
      ...endpoints,
      '--prefix',
      prefix,
      '-o',
      'json',
    ],
    { maxBuffer: 1 << 24 },
  );
  return JSON.parse(stdout);
}

const t0 = Date.parse('2026-11-22T03:12:00Z');

beforeAll(async () => {
  const log = new EtcdEventLog({ client, endpoints, prefix });
  await log.append(incidentEvents(t0).events);
});
afterAll(() => client.close());

describe('incident: a Service endpoint changed by bob, reverted by alice', () => {
  it('cairn diff over the edit names bob and the backend change', async () => {
    const diff = (await cairn('diff', '--node', 'node-1', '--from', '3', '--to', '5')) as {
      changes: {
        map: string;
        change: string;
        after: { address?: string } | null;
        causes: { actor: string; position: string }[];
      }[];
    };
    const added = diff.changes.find((c) => c.map === 'backends' && c.change === 'added');
    expect(added?.after?.address).toBe('10.0.9.99');
    expect(added?.causes.map((c) => c.actor)).toEqual(['bob@example.com via bob (kubectl-edit)']);
    expect(diff.changes.find((c) => c.map === 'backends' && c.change === 'removed')).toBeDefined();
  });

  it('cairn blame of the Service at the edit names bob; after the revert, alice', async () => {
    type BlameOut = { chain: { actor: string; user: string | null; position: string; entry: string }[] };
    const atEdit = (await cairn(
      'blame',
      '--node',
      'node-1',
      '--at',
      '4',
      'service',
      '10.96.0.10:80/TCP',
    )) as BlameOut;
    expect(atEdit.chain.at(-1)).toMatchObject({ position: '4', user: 'bob@example.com' });
    const slot3 = atEdit.chain.filter((c) => c.entry === 'services 10.96.0.10:80/TCP#3@external');
    expect(slot3.map((c) => c.position)).toEqual(['3', '4']);
    const now = (await cairn('blame', '--node', 'node-1', 'service', '10.96.0.10:80/TCP')) as BlameOut;
    expect(now.chain.at(-1)).toMatchObject({ position: '6', user: 'alice@example.com' });
  });

  it('cairn audit lists both writes with their users and the entries they touched', async () => {
    const rows = (await cairn(
      'audit',
      '--node',
      'node-1',
      '--since',
      '10m',
      '--namespace',
      'demo',
      '--kind',
      'endpointslice',
      '--actor',
      'example.com',
    )) as { user: string | null; touched: Record<string, { map: string }[]> }[];
    expect(rows.map((r) => r.user)).toEqual(['bob@example.com', 'alice@example.com']);
    expect(rows[0]!.touched['node-1']!.some((t) => t.map === 'backends')).toBe(true);
  });
});
