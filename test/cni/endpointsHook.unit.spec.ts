import { describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../src/events/envelope.js';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import type { MapEntry } from '../../src/maps/delta.js';
import type { EndpointKey } from '../../src/maps/model.js';
import { addAttempt, cniAddedEvent, cniDeletedEvent } from '../../src/nodeagent/cni/cniEvents.js';
import { MemoryMapBackend } from '../../src/nodeagent/memoryMapBackend.js';
import { NodeAgent } from '../../src/nodeagent/nodeAgent.js';
import { namespaceUpserted, podUpserted } from './support/podEvents.js';

const NODE = 'n1';
const context = { cluster: 'local', node: NODE, timeMs: 1 };
const added = {
  node: NODE,
  containerId: 'c1',
  netns: '/run/netns/p1',
  ifName: 'eth0',
  ips: ['10.1.0.5/24'],
  mac: '02:00:00:00:00:01',
  hostIfName: 'cairn0000000001',
  hostIfIndex: 41,
  podNamespace: 'shop',
  podName: 'web',
};
const attempt = addAttempt(added);

interface Call {
  upserts: [string, number][];
  deletes: string[];
  replace: boolean;
}

function recordingAgent(log: MemoryEventLog, calls: Call[]): NodeAgent {
  return new NodeAgent({
    node: NODE,
    log,
    backend: new MemoryMapBackend(),
    windowMs: 1,
    onEndpoints: (
      upserts: readonly MapEntry<'endpoints'>[],
      deletes: readonly EndpointKey[],
      replace: boolean,
    ) => {
      calls.push({
        upserts: upserts.map((u) => [u.key.ip, u.value.ifIndex]),
        deletes: deletes.map((d) => d.ip),
        replace,
      });
    },
  });
}

async function appendAndApply(log: MemoryEventLog, agent: NodeAgent, events: AnyEvent[]): Promise<void> {
  await log.append(events);
  await agent.whenApplied(await log.head());
}

describe("NodeAgent's onEndpoints hook (what the EndpointAttacher follows)", () => {
  it('at start: every endpoint, replacing; then the changes of each batch once the maps have them', async () => {
    const log = new MemoryEventLog();
    await log.append([
      namespaceUpserted('shop'),
      podUpserted('shop', 'web', NODE, '10.1.0.5', { app: 'web' }),
    ]);
    const calls: Call[] = [];
    const agent = recordingAgent(log, calls);
    await agent.start();
    // The pod is known but no CNI ADD came yet: an endpoint with no interface.
    expect(calls).toEqual([{ upserts: [['10.1.0.5', 0]], deletes: [], replace: true }]);

    await appendAndApply(log, agent, [cniAddedEvent(context, added, attempt)]);
    expect(calls.at(-1)).toEqual({ upserts: [['10.1.0.5', 41]], deletes: [], replace: false });

    await appendAndApply(log, agent, [
      cniDeletedEvent(context, { ...added, netns: added.netns }, attempt),
      {
        ...namespaceUpserted('shop'),
        id: 'Pod/web/deleted',
        type: 'PodDeleted',
        payload: { namespace: 'shop', name: 'web', uid: 'uid-pod-shop-web', resourceVersion: '3' },
      } as AnyEvent,
    ]);
    expect(calls.at(-1)).toEqual({ upserts: [], deletes: ['10.1.0.5'], replace: false });
    await agent.stop();
  });

  it('a throwing hook is reported and the agent goes on', async () => {
    const log = new MemoryEventLog();
    const errors: unknown[] = [];
    const agent = new NodeAgent({
      node: NODE,
      log,
      backend: new MemoryMapBackend(),
      windowMs: 1,
      onError: (e) => errors.push(e),
      onEndpoints: () => {
        throw new Error('attach failed');
      },
    });
    await agent.start();
    await appendAndApply(log, agent, [
      cniAddedEvent(context, { ...added, podNamespace: null, podName: null }, attempt),
    ]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['attach failed', 'attach failed']);
    expect(agent.appliedPosition).toBe(1n);
    await agent.stop();
  });
});
