import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import { appendCniEvents } from '../../src/nodeagent/cni/appendCniEvents.js';
import {
  CNI_EVENTS_PATH,
  type CniEventServer,
  startCniEventServer,
} from '../../src/nodeagent/cni/cniEventServer.js';
import { addAttempt, cniAddedEvent } from '../../src/nodeagent/cni/cniEvents.js';
import { namespaceUpserted } from './support/podEvents.js';

const added = {
  node: 'n1',
  containerId: 'c1',
  netns: '/run/netns/p1',
  ifName: 'eth0',
  ips: ['10.1.0.5/24'],
  mac: '02:00:00:00:00:01',
  hostIfName: 'cairn0000000001',
  hostIfIndex: 41,
  podNamespace: null,
  podName: null,
};
const event = cniAddedEvent({ cluster: 'local', node: 'n1', timeMs: 1 }, added, addAttempt(added));

function post(socketPath: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: CNI_EVENTS_PATH, method: 'POST' }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("the agent's CNI event socket", () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-cni-sock-'));
  const socketPath = join(dir, 'cni.sock');
  const log = new MemoryEventLog();
  let server: CniEventServer;
  beforeAll(async () => {
    server = await startCniEventServer({ log, socketPath });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a root-only socket, appends CNI events idempotently and answers their positions', async () => {
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    const target = {
      agentSocket: socketPath,
      etcdEndpoints: ['http://127.0.0.1:9'],
      prefix: '/x/',
      etcdTimeoutMs: 500,
    };
    expect(await appendCniEvents([event], target)).toEqual({ via: 'agent', positions: [1n] });
    expect(await appendCniEvents([event], target)).toEqual({ via: 'agent', positions: [1n] });
    expect(await log.head()).toBe(1n);
    expect(server.appended).toBe(1);
  });

  it('refuses what is not a CNI event, and bodies that are not JSON, with 400 and the reason', async () => {
    const foreign = await post(socketPath, JSON.stringify({ events: [namespaceUpserted('x')] }));
    expect(foreign.status).toBe(400);
    expect(foreign.body).toContain('is not a CNI event');
    expect((await post(socketPath, '{')).status).toBe(400);
    expect(await log.head()).toBe(1n);
  });

  it('a plugin whose agent refuses its event fails without trying etcd behind its back', async () => {
    const bad = { ...event, payload: { ...added, hostIfIndex: 'x' } } as unknown as typeof event;
    await expect(
      appendCniEvents([bad], {
        agentSocket: socketPath,
        etcdEndpoints: ['http://127.0.0.1:9'],
        prefix: '/x/',
        etcdTimeoutMs: 500,
      }),
    ).rejects.toThrow(/the agent rejected/);
  });
});
