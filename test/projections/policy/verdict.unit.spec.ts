import { describe, expect, it } from 'vitest';
import { emptyDesiredMaps, putEntry } from '../../../src/maps/keys.js';
import type { PolicyKey } from '../../../src/maps/model.js';
import { DatapathModel } from '../../../src/projections/policy/verdict.js';

function maps(entries: readonly Omit<PolicyKey, 'endpointId' | 'direction'>[], flags = 1) {
  const m = emptyDesiredMaps();
  putEntry(
    m,
    'endpoints',
    { ip: '10.0.0.1' },
    { endpointId: 7, ifIndex: 3, identity: 300, mac: '00:00:00:00:00:01', flags },
  );
  putEntry(m, 'ipcache', { cidr: '10.0.0.2/32' }, { identity: 301 });
  putEntry(m, 'ipcache', { cidr: '192.168.0.0/16' }, { identity: 16777216 });
  putEntry(m, 'ipcache', { cidr: '192.168.1.0/24' }, { identity: 16777217 });
  for (const e of entries)
    putEntry(m, 'policy', { endpointId: 7, direction: 'ingress', ...e }, { verdict: 'allow' });
  return new DatapathModel(m);
}

const q = (peerIp: string, port: number, proto: 'TCP' | 'UDP' = 'TCP') =>
  ({ endpointIp: '10.0.0.1', direction: 'ingress', peerIp, proto, port }) as const;

describe('DatapathModel (the policy program in TypeScript)', () => {
  it('the peer identity is the longest ipcache prefix, else world', () => {
    const m = maps([]);
    expect([
      m.identityOf('10.0.0.2'),
      m.identityOf('192.168.1.9'),
      m.identityOf('192.168.2.9'),
      m.identityOf('1.1.1.1'),
    ]).toEqual([301, 16777217, 16777216, 2]);
  });

  it('a packet to an address that is no local endpoint, or a direction not enforced, passes', () => {
    const m = maps([], 2);
    expect(m.verdict({ ...q('10.0.0.2', 80), endpointIp: '10.9.9.9' }).reason).toBe('not-local-endpoint');
    expect(m.verdict(q('10.0.0.2', 80))).toMatchObject({ verdict: 'allow', reason: 'not-enforced' });
  });

  it('an enforced direction with no matching entry drops', () => {
    expect(maps([]).verdict(q('10.0.0.2', 80))).toMatchObject({
      verdict: 'drop',
      reason: 'no-match',
      peerIdentity: 301,
    });
  });

  it('entries match by proto and the top portPrefixLen bits of the port; ANY matches every proto', () => {
    const m = maps([{ identity: 301, proto: 'TCP', port: 8080, portPrefixLen: 13 }]);
    expect([8079, 8080, 8087, 8088].map((p) => m.verdict(q('10.0.0.2', p)).verdict)).toEqual([
      'drop',
      'allow',
      'allow',
      'drop',
    ]);
    expect(m.verdict(q('10.0.0.2', 8080, 'UDP')).verdict).toBe('drop');
    const any = maps([{ identity: 301, proto: 'ANY', port: 0, portPrefixLen: 0 }]);
    expect(any.verdict(q('10.0.0.2', 5, 'UDP')).verdict).toBe('allow');
  });

  it('identity 0 entries match any peer, after the peer identity lookup', () => {
    const m = maps([{ identity: 0, proto: 'TCP', port: 443, portPrefixLen: 16 }]);
    expect(m.verdict(q('1.1.1.1', 443))).toMatchObject({
      verdict: 'allow',
      reason: 'policy-any-peer',
      peerIdentity: 2,
    });
    expect(m.verdict(q('1.1.1.1', 80)).verdict).toBe('drop');
  });
});
