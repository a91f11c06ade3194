import { describe, expect, it } from 'vitest';
import { upsertEvent } from '../../src/apiwatch/objectEvents.js';
import { objectProblems } from '../../src/apiwatch/objectProblems.js';

const slice = (addressType: string, addresses: string[], port: number | undefined) =>
  upsertEvent(
    {
      kind: 'EndpointSlice',
      metadata: { name: 'web-x', namespace: 'demo', uid: 'u1', resourceVersion: '3' },
      addressType,
      endpoints: addresses.map((a) => ({ addresses: [a] })),
      ports: [{ name: 'http', protocol: 'TCP', port }],
    },
    { cluster: 'c' },
  );

describe('objectProblems: what the datapath cannot use, with a reason', () => {
  it('finds nothing wrong with a valid slice', () => {
    expect(objectProblems(slice('IPv4', ['10.0.0.1', '10.0.0.2'], 8080))).toEqual([]);
    expect(objectProblems(slice('IPv6', ['fd00::1'], 1))).toEqual([]);
    expect(objectProblems(slice('FQDN', ['example.com'], 65535))).toEqual([]);
  });

  it('names an address that is not an IP of the slice address type', () => {
    expect(objectProblems(slice('IPv4', ['10.0.0.1', 'fd00::1', '10.0.0.300'], 80))).toEqual([
      'EndpointSlice/u1/3: endpoints[1].addresses[0] "fd00::1" is not an IPv4 address',
      'EndpointSlice/u1/3: endpoints[2].addresses[0] "10.0.0.300" is not an IPv4 address',
    ]);
    expect(objectProblems(slice('IPv6', ['10.0.0.1'], 80))).toEqual([
      'EndpointSlice/u1/3: endpoints[0].addresses[0] "10.0.0.1" is not an IPv6 address',
    ]);
  });

  it('names a port outside 1-65535', () => {
    expect(objectProblems(slice('IPv4', ['10.0.0.1'], 0))).toEqual([
      'EndpointSlice/u1/3: ports[0].port 0 is outside 1-65535',
    ]);
    expect(objectProblems(slice('IPv4', ['10.0.0.1'], 70000))).toEqual([
      'EndpointSlice/u1/3: ports[0].port 70000 is outside 1-65535',
    ]);
    // No port at all means "all ports": nothing wrong.
    expect(objectProblems(slice('IPv4', ['10.0.0.1'], undefined))).toEqual([]);
  });

  it('checks Service ports and cluster IPs, Pod IPs and NetworkPolicy CIDRs', () => {
    const service = upsertEvent(
      {
        kind: 'Service',
        metadata: { name: 'web', namespace: 'demo', uid: 's', resourceVersion: '1' },
        spec: { clusterIPs: ['10.96.0.10', 'bogus'], ports: [{ port: 0, protocol: 'TCP' }] },
      },
      { cluster: 'c' },
    );
    expect(objectProblems(service)).toEqual([
      'Service/s/1: spec.clusterIPs[1] "bogus" is not an IP',
      'Service/s/1: spec.ports[0].port 0 is outside 1-65535',
    ]);
    const pod = upsertEvent(
      {
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'demo', uid: 'p', resourceVersion: '1' },
        status: { podIPs: [{ ip: '10.244.0.5' }, { ip: 'nope' }] },
      },
      { cluster: 'c' },
    );
    expect(objectProblems(pod)).toEqual(['Pod/p/1: status.podIPs[1] "nope" is not an IP']);
    const policy = upsertEvent(
      {
        kind: 'NetworkPolicy',
        metadata: { name: 'np', namespace: 'demo', uid: 'n', resourceVersion: '1' },
        spec: {
          podSelector: {},
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }], ports: [{ port: 99999 }] }],
        },
      },
      { cluster: 'c' },
    );
    expect(objectProblems(policy)).toEqual([
      'NetworkPolicy/n/1: spec.ingress[0] peer 0 ipBlock.cidr "10.0.0.0/33" is not a CIDR',
      'NetworkPolicy/n/1: spec.ingress[0].ports[0].port 99999 is outside 1-65535',
    ]);
  });
});
