import { describe, expect, it } from 'vitest';
import { FIRST_LABEL_IDENTITY, RESERVED_IDENTITY } from '../../../src/maps/model.js';
import { describeIdentity } from '../../../src/projections/policy/describeIdentity.js';
import { FIRST_CIDR_IDENTITY } from '../../../src/projections/policy/policyState.js';
import {
  foldEvents,
  namespace,
  namespaceDeleted,
  node,
  nodeDeleted,
  peer,
  pod,
  podDeleted,
  policy,
  policyDeleted,
  rule,
} from './builders.js';
import { ipcache } from './verdictHelpers.js';

describe('security identities', () => {
  it('pods with the same labels in the same namespace share one identity, allocated from 256', () => {
    const f = foldEvents('n1', [
      pod({ name: 'a1', labels: { app: 'a' }, ips: ['10.0.0.1'] }),
      pod({ name: 'a2', labels: { app: 'a' }, ips: ['10.0.0.2'], node: 'n2' }),
      pod({ name: 'b1', labels: { app: 'b' }, ips: ['10.0.0.3'] }),
      pod({ ns: 'other', name: 'a3', labels: { app: 'a' }, ips: ['10.0.0.4'] }),
    ]);
    expect(ipcache(f)).toEqual({
      '10.0.0.1/32': FIRST_LABEL_IDENTITY,
      '10.0.0.2/32': FIRST_LABEL_IDENTITY,
      '10.0.0.3/32': FIRST_LABEL_IDENTITY + 1,
      '10.0.0.4/32': FIRST_LABEL_IDENTITY + 2,
    });
  });

  it('namespace labels are part of the identity: a namespace label change moves its pods to a new identity', () => {
    const f = foldEvents('n1', [
      namespace('ns', { team: 'x' }),
      pod({ ns: 'ns', name: 'p', labels: { app: 'a' }, ips: ['10.0.0.1'] }),
      namespace('ns', { team: 'y' }),
    ]);
    expect(ipcache(f)).toEqual({ '10.0.0.1/32': FIRST_LABEL_IDENTITY + 1 });
    expect(f.state.identitiesById.get(FIRST_LABEL_IDENTITY + 1)!.key).toBe(
      JSON.stringify([
        'k8s:app=a',
        'k8s:io.cilium.k8s.namespace.labels.team=y',
        'k8s:io.kubernetes.pod.namespace=ns',
      ]),
    );
  });

  it('an identity number is reused only once no pod holds it', () => {
    const f = foldEvents('n1', [
      pod({ name: 'p', labels: { v: '1' }, ips: ['10.0.0.1'] }),
      // A label change takes the new number before freeing the old one.
      pod({ name: 'p', labels: { v: '2' }, ips: ['10.0.0.1'] }),
    ]);
    expect(ipcache(f)).toEqual({ '10.0.0.1/32': FIRST_LABEL_IDENTITY + 1 });
    const g = foldEvents('n1', [pod({ name: 'q', labels: { v: '3' }, ips: ['10.0.0.2'] })], f.state);
    expect(ipcache(g)['10.0.0.2/32']).toBe(FIRST_LABEL_IDENTITY);
    const h = foldEvents('n1', [podDeleted('default', 'q'), pod({ name: 'r', labels: { v: '4' } })], g.state);
    expect(h.state.identitiesByKey.size).toBe(2);
    expect([...h.state.identitiesById.keys()].sort()).toEqual([
      FIRST_LABEL_IDENTITY,
      FIRST_LABEL_IDENTITY + 1,
    ]);
  });

  it('reserved identities: this node is host, other nodes are remote-node, anything unknown is world', () => {
    const f = foldEvents('n1', [node('n1', ['172.16.0.1']), node('n2', ['172.16.0.2'])]);
    expect(ipcache(f)).toEqual({
      '172.16.0.1/32': RESERVED_IDENTITY.host,
      '172.16.0.2/32': RESERVED_IDENTITY.remoteNode,
    });
    expect(f.model.identityOf('8.8.8.8')).toBe(RESERVED_IDENTITY.world);
    const g = foldEvents('n2', [node('n1', ['172.16.0.1']), node('n2', ['172.16.0.2'])]);
    expect(ipcache(g)).toEqual({
      '172.16.0.1/32': RESERVED_IDENTITY.remoteNode,
      '172.16.0.2/32': RESERVED_IDENTITY.host,
    });
  });

  it('terminal-phase and host-network pods hold no identity and no ipcache entry', () => {
    const f = foldEvents('n1', [
      pod({ name: 'done', labels: { a: '1' }, ips: ['10.0.0.1'], phase: 'Succeeded' }),
      pod({ name: 'host', labels: { a: '2' }, ips: ['172.16.0.1'], hostNetwork: true }),
    ]);
    expect(ipcache(f)).toEqual({});
    expect(f.state.identitiesById.size).toBe(0);
  });
});

describe('ipcache', () => {
  it('maps pod IPs /32 to the pod identity and ipBlock prefixes to CIDR identities', () => {
    const f = foldEvents('n1', [
      pod({ name: 'p', ips: ['10.0.0.1'] }),
      policy({ name: 'np', ingress: [rule([peer.ipBlock('192.168.0.0/16', ['192.168.1.0/24'])])] }),
    ]);
    expect(ipcache(f)).toEqual({
      '10.0.0.1/32': FIRST_LABEL_IDENTITY,
      '192.168.0.0/16': FIRST_CIDR_IDENTITY,
      '192.168.1.0/24': FIRST_CIDR_IDENTITY + 1,
    });
  });

  it('an address claimed by a node and a pod is the node; by two pods, the smaller pod key', () => {
    const f = foldEvents('n1', [
      pod({ name: 'b', labels: { x: 'b' }, ips: ['10.0.0.1'] }),
      pod({ name: 'a', labels: { x: 'a' }, ips: ['10.0.0.1'] }),
      pod({ name: 'c', ips: ['172.16.0.2'] }),
      node('n2', ['172.16.0.2']),
    ]);
    expect(ipcache(f)).toEqual({
      '10.0.0.1/32': FIRST_LABEL_IDENTITY + 1,
      '172.16.0.2/32': RESERVED_IDENTITY.remoteNode,
    });
    const g = foldEvents('n1', [podDeleted('default', 'a'), nodeDeleted('n2')], f.state);
    expect(ipcache(g)).toEqual({
      '10.0.0.1/32': FIRST_LABEL_IDENTITY,
      '172.16.0.2/32': FIRST_LABEL_IDENTITY + 2,
    });
  });

  it('a deleted namespace leaves its pods with the namespace name only', () => {
    const f = foldEvents('n1', [
      namespace('ns', { team: 'x' }),
      pod({ ns: 'ns', name: 'p', ips: ['10.0.0.1'] }),
      namespaceDeleted('ns'),
    ]);
    expect(f.state.identitiesById.get(ipcache(f)['10.0.0.1/32']!)!.key).toBe(
      JSON.stringify(['k8s:io.kubernetes.pod.namespace=ns']),
    );
  });

  it('longest prefix wins: a pod IP inside an ipBlock keeps its pod identity', () => {
    const f = foldEvents('n1', [
      pod({ name: 'p', ips: ['10.0.0.1'] }),
      policy({ name: 'np', ingress: [rule([peer.ipBlock('10.0.0.0/8')])] }),
    ]);
    expect(f.model.identityOf('10.0.0.1')).toBe(FIRST_LABEL_IDENTITY);
    expect(f.model.identityOf('10.9.9.9')).toBe(FIRST_CIDR_IDENTITY);
  });

  it('a CIDR identity goes when the last policy naming its prefix goes', () => {
    const named = (name: string) => policy({ name, ingress: [rule([peer.ipBlock('192.168.0.0/16')])] });
    const f = foldEvents('n1', [named('a'), named('b')]);
    const g = foldEvents('n1', [policyDeleted('default', 'a')], f.state);
    expect(g.deltas).toEqual([]);
    const h = foldEvents('n1', [policy({ name: 'b', ingress: [] })], g.state);
    expect(h.deltas).toEqual([{ map: 'ipcache', op: 'delete', key: { cidr: '192.168.0.0/16' } }]);
  });
});

describe('describeIdentity', () => {
  it('names label, CIDR and reserved identities, and null for a number not in use', () => {
    const f = foldEvents('n1', [
      pod({ name: 'p', labels: { app: 'a' }, ips: ['10.0.0.1'] }),
      policy({ name: 'np', ingress: [rule([peer.ipBlock('192.168.0.0/16')])] }),
    ]);
    expect(describeIdentity(f.state, FIRST_LABEL_IDENTITY)).toEqual([
      'k8s:app=a',
      'k8s:io.kubernetes.pod.namespace=default',
    ]);
    expect(describeIdentity(f.state, FIRST_CIDR_IDENTITY)).toEqual(['cidr:192.168.0.0/16']);
    expect(describeIdentity(f.state, RESERVED_IDENTITY.world)).toEqual(['reserved:world']);
    expect(describeIdentity(f.state, 999)).toBeNull();
  });
});

describe('CIDR identities across a policy update', () => {
  it('keep their numbers when the new version still names the prefix', () => {
    const f = foldEvents('n1', [
      policy({ name: 'np', ingress: [rule([peer.ipBlock('10.1.0.0/16'), peer.ipBlock('10.2.0.0/16')])] }),
      policy({ name: 'other', ingress: [rule([peer.ipBlock('10.3.0.0/16')])] }),
    ]);
    const g = foldEvents(
      'n1',
      [policy({ name: 'np', ingress: [rule([peer.ipBlock('10.2.0.0/16')])] })],
      f.state,
    );
    expect(ipcache(g)).toEqual({
      '10.2.0.0/16': FIRST_CIDR_IDENTITY + 1,
      '10.3.0.0/16': FIRST_CIDR_IDENTITY + 2,
    });
    expect(g.deltas).toEqual([{ map: 'ipcache', op: 'delete', key: { cidr: '10.1.0.0/16' } }]);
  });
});
