import { describe, expect, it } from 'vitest';
import { type AnyEvent, actorNamed } from '../../src/events/envelope.js';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import type { EventPayloads, EventType } from '../../src/events/payloads.js';
import { blame } from '../../src/replay/blame.js';
import { describeMaps } from '../../src/replay/describeMaps.js';
import { logHistory } from '../../src/replay/history.js';
import { resolveHumanKey } from '../../src/replay/humanKey.js';
import { replayTo } from '../../src/replay/replayTo.js';

let n = 0;
const ev = <T extends EventType>(type: T, payload: EventPayloads[T], actor = 'alice'): AnyEvent =>
  ({
    id: `${type}/${++n}`,
    cluster: 'test',
    source: 'apiwatch',
    actor: actorNamed(actor),
    timeMs: 1_700_000_000_000 + n,
    causation: null,
    type,
    payload,
  }) as AnyEvent;

const pod = (name: string, app: string, ip: string, node: string) =>
  ev('PodUpserted', {
    namespace: 'a',
    name,
    uid: `uid-${name}`,
    resourceVersion: '1',
    nodeName: node,
    labels: { app },
    podIPs: [ip],
    hostNetwork: false,
    phase: 'Running',
    containerPorts: [],
  });

const events: AnyEvent[] = [
  ev('NamespaceUpserted', { name: 'a', uid: 'uid-a', resourceVersion: '1', labels: {} }),
  pod('web', 'web', '10.0.0.2', 'n1'),
  pod('client', 'client', '10.0.0.3', 'n2'),
  ev('CniAdded', {
    node: 'n1',
    containerId: 'c0ffee',
    netns: '/var/run/netns/web',
    ifName: 'eth0',
    ips: ['10.0.0.2/24'],
    mac: '02:00:00:00:00:02',
    hostIfName: 'lxc1',
    hostIfIndex: 42,
    podNamespace: 'a',
    podName: 'web',
  }),
  ev(
    'NetworkPolicyUpserted',
    {
      namespace: 'a',
      name: 'web-from-client',
      uid: 'uid-np',
      resourceVersion: '1',
      podSelector: { matchLabels: { app: 'web' }, matchExpressions: [] },
      policyTypes: ['Ingress'],
      ingress: [
        {
          peers: [
            {
              podSelector: { matchLabels: { app: 'client' }, matchExpressions: [] },
              namespaceSelector: null,
              ipBlock: null,
            },
          ],
          ports: [{ protocol: 'TCP', port: '80', endPort: null }],
        },
      ],
      egress: [],
    },
    'bob',
  ),
];

describe('human keys', () => {
  it('a policy key names the entries deciding the verdict and the endpoint; blame finds the policy write', async () => {
    const log = new MemoryEventLog();
    await log.append(events);
    const history = logHistory(log);
    const head = await log.head();
    const { projection } = await replayTo(history, 'n1', head);
    const described = describeMaps(projection);
    const web = described.endpoints.find((e) => e.pod === 'a/web')!;
    expect(web.enforces).toEqual(['ingress']);
    const client = web.policy.find((r) => r.peerLabels?.some((l) => l.includes('client')));
    expect(client?.ports).toBe('80/TCP');

    const key = resolveHumanKey(['policy', 'pod', 'a/web', 'ingress', '10.0.0.3', '80/TCP'], projection);
    const result = await blame(history, 'n1', head, key.match);
    expect(result.entries.map((e) => e.map).sort()).toEqual(['endpoints', 'policy']);
    expect(result.chain.at(-1)?.event.actor.name).toBe('bob');
    expect(result.chain.some((l) => l.map === 'endpoints' && l.change === 'created')).toBe(true);

    // Another port: no allowing entry, only the endpoint (policy enforced: denied).
    const other = resolveHumanKey(['policy', 'pod', 'a/web', 'ingress', '10.0.0.3', '443/TCP'], projection);
    expect((await blame(history, 'n1', head, other.match)).entries.map((e) => e.map)).toEqual(['endpoints']);
  });

  it('rejects unknown keys with the accepted forms', () => {
    const projection = { desired: () => ({}) } as never;
    expect(() => resolveHumanKey(['frobnicate', 'x'], projection)).toThrow(/service ADDR:PORT/);
  });
});
