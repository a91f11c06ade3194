/**
 * The incident through a real kube-apiserver: the demo Service is applied with kubectl, a user
 * (the harness's authenticated admin, `cairn-admin`) patches its EndpointSlice so one endpoint
 * points where nothing listens — a third of the connections to the ClusterIP would now fail —
 * and then reverts it. apiwatch records both writes with the field manager, the audit webhook
 * adds the user; `cairn diff` over the edit and `cairn blame` at it name the user and the change.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/apiwatch/embeddedCluster.js';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { kubeBinaryPath, missingKubeBinary } from '../../src/kube/kubeBinaries.js';
import { packageRoot } from '../../src/paths.js';
import { skipUnlessAvailable } from '../support/prerequisites.js';

const run = promisify(execFile);
const skip = skipUnlessAvailable(missingKubeBinary('kube-apiserver'));
const endpoints = inject('etcdEndpoints');
const prefix = `/test/incident-apiserver/${randomUUID()}/`;
const client = connectEtcd({ endpoints });
const log = new EtcdEventLog({ client, endpoints, prefix });
let cluster: EmbeddedCluster | undefined;

async function kubectl(...args: string[]): Promise<string> {
  const binary = missingKubeBinary('kubectl') ? 'kubectl' : kubeBinaryPath('kubectl');
  return (await run(binary, ['--kubeconfig', cluster!.kubeconfigPath, ...args], { encoding: 'utf8' })).stdout;
}

async function cairn(...args: string[]): Promise<unknown> {
  const cli = join(packageRoot(), 'src', 'cli', 'main.ts');
  const common = ['--etcd-endpoints', ...endpoints, '--prefix', prefix, '-o', 'json'];
  const { stdout } = await run(process.execPath, ['--import', 'tsx', cli, ...args, ...common], {
    maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout);
}

/** Waits for an event matching `match` after position `after`; returns it. */
async function waitFor(after: bigint, match: (e: StoredEvent) => boolean): Promise<StoredEvent> {
  for (let i = 0; i < 300; i++) {
    for await (const event of log.read(after + 1n)) if (match(event)) return event;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the expected event never reached the log');
}

const isSlice = (e: StoredEvent) => e.type === 'EndpointSliceUpserted' && e.payload.name === 'web-abc12';
const addressesOf = (e: StoredEvent) =>
  e.type === 'EndpointSliceUpserted' ? e.payload.endpoints.flatMap((x) => x.addresses) : [];
const patchAudit = (e: StoredEvent) =>
  e.type === 'AuditRecorded' && e.payload.verb === 'patch' && e.payload.name === 'web-abc12';

let created: StoredEvent;
let edited: StoredEvent;
let reverted: StoredEvent;

beforeAll(async () => {
  if (skip) return;
  cluster = await startEmbeddedCluster({ etcdEndpoints: endpoints, log, cluster: 'incident' });
  await cluster.apiwatch.synced();
  await kubectl('apply', '-f', join(packageRoot(), 'examples', 'demo', 'web.yaml'));
  created = await waitFor(0n, isSlice);
  const swap = (address: string) =>
    JSON.stringify([{ op: 'replace', path: '/endpoints/2/addresses/0', value: address }]);
  await kubectl(
    '-n',
    'demo',
    'patch',
    'endpointslice',
    'web-abc12',
    '--type=json',
    '-p',
    swap('10.244.200.99'),
  );
  edited = await waitFor(created.position, isSlice);
  await waitFor(0n, patchAudit);
  await kubectl(
    '-n',
    'demo',
    'patch',
    'endpointslice',
    'web-abc12',
    '--type=json',
    '-p',
    swap('10.244.200.13'),
  );
  reverted = await waitFor(edited.position, isSlice);
  // Both patches' audit records, joined to the object events by causation.
  for (let i = 0; i < 100; i++) {
    let audits = 0;
    for await (const e of log.read()) if (patchAudit(e)) audits++;
    if (audits >= 2) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  client.close();
});

describe.skipIf(skip)(
  'incident through a real kube-apiserver: an endpoint patched by a user, then reverted',
  () => {
    it('the log holds the user’s edit and the revert, as apiwatch saw them', () => {
      expect(addressesOf(edited)).toContain('10.244.200.99');
      expect(addressesOf(reverted)).toContain('10.244.200.13');
      expect(edited.actor.manager).toBe('kubectl-patch');
    });

    it('cairn diff over the edit names the user and the backend swapped in', async () => {
      const diff = (await cairn(
        'diff',
        '--node',
        'node-1',
        '--from',
        String(edited.position - 1n),
        '--to',
        String(edited.position),
      )) as {
        changes: {
          map: string;
          change: string;
          after: { address?: string } | null;
          causes: { actor: string }[];
        }[];
      };
      const added = diff.changes.find((c) => c.map === 'backends' && c.change === 'added');
      expect(added?.after?.address).toBe('10.244.200.99');
      expect(added?.causes.map((c) => c.actor).join(' ')).toContain('cairn-admin');
      expect(added?.causes.map((c) => c.actor).join(' ')).toContain('kubectl-patch');
    });

    it('cairn blame of the ClusterIP at the edit ends with the user’s patch; now, with the revert', async () => {
      type BlameOut = { chain: { user: string | null; position: string; actor: string }[] };
      const atEdit = (await cairn(
        'blame',
        '--node',
        'node-1',
        '--at',
        String(edited.position),
        'service',
        '10.96.0.10:80/TCP',
      )) as BlameOut;
      expect(atEdit.chain.at(-1)).toMatchObject({ position: String(edited.position), user: 'cairn-admin' });
      const now = (await cairn('blame', '--node', 'node-1', 'service', '10.96.0.10:80/TCP')) as BlameOut;
      expect(now.chain.at(-1)).toMatchObject({ position: String(reverted.position), user: 'cairn-admin' });
    });
  },
);
