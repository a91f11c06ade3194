import { describe, expect, it } from 'vitest';
import { ENDPOINT_FLAGS, FIRST_LABEL_IDENTITY } from '../../../src/maps/model.js';
import { cniAdded, cniDeleted, foldEvents, pod, podDeleted, policy, rule } from './builders.js';
import { entries } from './verdictHelpers.js';

const BOTH = ENDPOINT_FLAGS.ingressEnforced | ENDPOINT_FLAGS.egressEnforced;

function endpoints(f: ReturnType<typeof foldEvents>) {
  return Object.fromEntries([...f.applied.endpoints.values()].map(({ key, value }) => [key.ip, value]));
}

describe('local endpoints', () => {
  it('a CNI ADD on this node joined with its pod gives the endpoint its ifindex, MAC and identity', () => {
    const f = foldEvents('n1', [
      pod({ name: 'web', labels: { app: 'web' } }),
      cniAdded({
        container: 'c1',
        ips: ['10.0.0.7/24'],
        mac: '0a:58:0a:00:00:07',
        ifIndex: 42,
        pod: ['default', 'web'],
      }),
    ]);
    expect(endpoints(f)).toEqual({
      '10.0.0.7': {
        endpointId: 1,
        ifIndex: 42,
        identity: FIRST_LABEL_IDENTITY,
        mac: '0a:58:0a:00:00:07',
        flags: 0,
      },
    });
    // Until the API server reports podIPs, the CNI's IP stands for the pod in the ipcache too.
    expect(f.model.identityOf('10.0.0.7')).toBe(FIRST_LABEL_IDENTITY);
  });

  it('a pod scheduled on this node with IPs is an endpoint before its CNI ADD is seen', () => {
    const f = foldEvents('n1', [
      pod({ name: 'web', ips: ['10.0.0.7'] }),
      pod({ name: 'far', ips: ['10.0.0.8'], node: 'n2' }),
    ]);
    expect(endpoints(f)).toEqual({
      '10.0.0.7': {
        endpointId: 1,
        ifIndex: 0,
        identity: FIRST_LABEL_IDENTITY,
        mac: '00:00:00:00:00:00',
        flags: 0,
      },
    });
  });

  it('a CNI attachment of an unknown pod is isolated both ways with identity 0 until the pod is known', () => {
    const f = foldEvents('n1', [
      cniAdded({ container: 'c1', ips: ['10.0.0.7/24'], ifIndex: 9, pod: ['default', 'web'] }),
    ]);
    expect(endpoints(f)['10.0.0.7']).toMatchObject({ identity: 0, flags: BOTH, ifIndex: 9 });
    const g = foldEvents('n1', [pod({ name: 'web', node: 'n1' })], f.state);
    expect(endpoints(g)['10.0.0.7']).toMatchObject({
      endpointId: 1,
      identity: FIRST_LABEL_IDENTITY,
      flags: 0,
    });
  });

  it('CNI events of other nodes are ignored', () => {
    const f = foldEvents('n1', [
      pod({ name: 'web', node: 'n2' }),
      cniAdded({ node: 'n2', container: 'c1', ips: ['10.0.0.7/24'], pod: ['default', 'web'] }),
    ]);
    expect(endpoints(f)).toEqual({});
  });

  it('a CNI DEL removes the endpoint and its policy entries; its id is reused afterwards', () => {
    const f = foldEvents('n1', [
      pod({ name: 'web', node: null }),
      cniAdded({ container: 'c1', ips: ['10.0.0.7/24'], pod: ['default', 'web'] }),
      policy({ name: 'np', ingress: [rule()] }),
    ]);
    expect(entries(f)).toEqual(['1 0 ingress ANY 0/0']);
    const g = foldEvents('n1', [cniDeleted({ container: 'c1' })], f.state);
    expect(g.deltas).toEqual([
      { map: 'endpoints', op: 'delete', key: { ip: '10.0.0.7' } },
      { map: 'ipcache', op: 'delete', key: { cidr: '10.0.0.7/32' } },
      {
        map: 'policy',
        op: 'delete',
        key: { endpointId: 1, identity: 0, direction: 'ingress', proto: 'ANY', port: 0, portPrefixLen: 0 },
      },
      {
        map: 'policy',
        op: 'delete',
        key: { endpointId: 1, identity: 1, direction: 'ingress', proto: 'ANY', port: 0, portPrefixLen: 0 },
      },
    ]);
    const h = foldEvents('n1', [pod({ name: 'api', ips: ['10.0.0.9'] })], g.state);
    expect(endpoints(h)['10.0.0.9']?.endpointId).toBe(1);
  });

  it('a retried CNI ADD replaces the attachment it repeats, even one that named no pod', () => {
    const f = foldEvents('n1', [
      pod({ name: 'web', node: null }),
      cniAdded({ container: 'c1', ips: ['10.0.0.7/24'], ifIndex: 5, pod: null }),
      cniAdded({ container: 'c1', ips: ['10.0.0.7/24'], ifIndex: 6, pod: ['default', 'web'] }),
    ]);
    expect(endpoints(f)).toEqual({
      '10.0.0.7': {
        endpointId: 2,
        ifIndex: 6,
        identity: FIRST_LABEL_IDENTITY,
        mac: '0a:58:0a:00:00:01',
        flags: 0,
      },
    });
  });

  it('the latest of several attachments of a pod gives its interface', () => {
    const f = foldEvents('n1', [
      pod({ name: 'web', node: null }),
      cniAdded({ container: 'old', ips: ['10.0.0.7/24'], ifIndex: 5, pod: ['default', 'web'] }),
      cniAdded({ container: 'new', ips: ['10.0.0.8/24'], ifIndex: 6, pod: ['default', 'web'] }),
    ]);
    expect(Object.keys(endpoints(f))).toEqual(['10.0.0.8']);
    expect(endpoints(f)['10.0.0.8']?.ifIndex).toBe(6);
    const g = foldEvents('n1', [cniDeleted({ container: 'new' })], f.state);
    expect(Object.keys(endpoints(g))).toEqual(['10.0.0.7']);
  });

  it('a deleted pod takes its endpoint, ipcache entry and identity with it', () => {
    const f = foldEvents('n1', [pod({ name: 'web', ips: ['10.0.0.7'] }), podDeleted('default', 'web')]);
    expect(f.applied.endpoints.size + f.applied.ipcache.size + f.applied.policy.size).toBe(0);
    expect(f.state.identitiesById.size).toBe(0);
  });
});
