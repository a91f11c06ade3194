import { describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../../src/events/envelope.js';
import { foldEvents, peer, pod, policy, port, rule, selector } from './builders.js';

/** 20 pods on n1 and n2 in two apps, and 10 policies each naming one app. */
function cluster(): AnyEvent[] {
  const events: AnyEvent[] = [];
  for (let i = 0; i < 20; i++) {
    events.push(
      pod({
        name: `p${i}`,
        labels: { app: i % 2 ? 'web' : 'db', i: String(i) },
        node: i % 3 ? 'n2' : 'n1',
        ips: [`10.0.0.${i + 1}`],
      }),
    );
  }
  for (let i = 0; i < 10; i++) {
    events.push(
      policy({
        name: `np${i}`,
        podSelector: selector({ app: 'web' }),
        ingress: [rule([peer.pods(selector({ i: String(i * 2) }))], [port('TCP', 1000 + i)])],
      }),
    );
  }
  return events;
}

describe('incremental policy projection', () => {
  it('one pod label change emits only the deltas it causes', () => {
    const f = foldEvents('n1', cluster());
    // p2 (app=db, i=2) is named by np1 only; it gets new labels that np3 names.
    const g = foldEvents(
      'n1',
      [pod({ name: 'p2', labels: { app: 'db', i: '6', moved: 'yes' }, node: 'n2', ips: ['10.0.0.3'] })],
      f.state,
    );
    const newId = g.model.identityOf('10.0.0.3');
    const oldId = f.model.identityOf('10.0.0.3');
    const webEndpoints = [...g.applied.endpoints.values()]
      .filter((e) => e.value.flags !== 0)
      .map((e) => e.value.endpointId);
    expect(webEndpoints.length).toBeGreaterThan(0);
    expect(g.deltas).toEqual([
      ...webEndpoints.map((endpointId) => ({
        map: 'policy',
        op: 'upsert',
        key: {
          endpointId,
          identity: newId,
          direction: 'ingress',
          proto: 'TCP',
          port: 1003,
          portPrefixLen: 16,
        },
        value: { verdict: 'allow' },
        created: true,
      })),
      { map: 'ipcache', op: 'upsert', key: { cidr: '10.0.0.3/32' }, value: { identity: newId } },
      ...webEndpoints.map((endpointId) => ({
        map: 'policy',
        op: 'delete',
        key: {
          endpointId,
          identity: oldId,
          direction: 'ingress',
          proto: 'TCP',
          port: 1001,
          portPrefixLen: 16,
        },
      })),
    ]);
  });

  it('a pod update that changes nothing emits nothing', () => {
    const events = cluster();
    const f = foldEvents('n1', events);
    expect(foldEvents('n1', events.slice(0, 20), f.state).deltas).toEqual([]);
  });

  it('a label change recomputes only the endpoints whose policies name the old or new identity', () => {
    const f = foldEvents('n1', cluster());
    const before = new Map([...f.state.endpointsOut].map(([k, v]) => [k, v.entries]));
    foldEvents(
      'n1',
      [pod({ name: 'p5', labels: { app: 'web', i: '5', x: 'y' }, node: 'n2', ips: ['10.0.0.6'] })],
      f.state,
    );
    // No policy names p5's labels: no endpoint's entries object was rebuilt.
    for (const [key, endpoint] of f.state.endpointsOut) expect(endpoint.entries).toBe(before.get(key));
  });
});
