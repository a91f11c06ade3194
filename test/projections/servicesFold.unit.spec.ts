import { describe, expect, it } from 'vitest';
import { desiredToDeltas } from '../../src/maps/keys.js';
import { SERVICE_FLAGS } from '../../src/maps/model.js';
import { servicesFold } from '../../src/projections/services/servicesFold.js';
import {
  endpoint,
  event,
  node,
  port,
  sliceDeleted,
  sliceEvent,
  slicePort,
  svcDeleted,
  svcEvent,
} from './builders.js';
import { backendsOf, foldServices, frontends } from './servicesHarness.js';

const nodeA = event(
  'NodeUpserted',
  node('node-a', [
    { type: 'InternalIP', address: '192.168.0.10' },
    { type: 'ExternalIP', address: '203.0.113.10' },
    { type: 'Hostname', address: 'node-a' },
  ]),
);

describe('services fold: Kubernetes rules', () => {
  it('ClusterIP: one master per port with count, rev-NAT id and the clusterIP flag; slots name the backends', () => {
    const { applied, rejected } = foldServices([
      svcEvent(),
      sliceEvent({ endpoints: [endpoint('10.0.1.1'), endpoint('10.0.1.2')] }),
    ]);
    const view = frontends(applied)['10.96.0.10:80/TCP@external']!;
    expect(view.master).toEqual({
      kind: 'master',
      count: 2,
      revNatId: 1,
      flags: SERVICE_FLAGS.clusterIP,
      affinityTimeoutSec: 0,
    });
    expect(view.backends.sort()).toEqual(['10.0.1.1:8080', '10.0.1.2:8080']);
    expect([...applied.revNat.values()].map((e) => e.value)).toEqual([{ address: '10.96.0.10', port: 80 }]);
    expect(applied.maglev.size).toBe(0);
    expect(rejected).toEqual([]);
  });

  it('multiple ports with TCP, UDP and SCTP: one frontend each, slice ports matched by name and protocol', () => {
    const { applied } = foldServices([
      svcEvent({
        ports: [
          port({ name: 'dns', protocol: 'UDP', port: 53 }),
          port({ name: 'dns-tcp', protocol: 'TCP', port: 53 }),
          port({ name: 'sig', protocol: 'SCTP', port: 3868 }),
        ],
      }),
      sliceEvent({
        ports: [
          slicePort({ name: 'dns', protocol: 'UDP', port: 5353 }),
          slicePort({ name: 'dns-tcp', protocol: 'TCP', port: 5354 }),
          slicePort({ name: 'sig', protocol: 'SCTP', port: 3869 }),
        ],
      }),
    ]);
    expect(backendsOf(applied, '10.96.0.10:53/UDP@external')).toEqual(['10.0.1.1:5353']);
    expect(backendsOf(applied, '10.96.0.10:53/TCP@external')).toEqual(['10.0.1.1:5354']);
    expect(backendsOf(applied, '10.96.0.10:3868/SCTP@external')).toEqual(['10.0.1.1:3869']);
    expect(new Set([...applied.revNat.values()].map((e) => e.key.id)).size).toBe(3);
  });

  it('port matching: a service port only gets the endpoints of the slice port with its name', () => {
    const { applied } = foldServices([
      svcEvent({ ports: [port({ name: 'http', port: 80 }), port({ name: 'metrics', port: 9090 })] }),
      sliceEvent({ ports: [slicePort({ name: 'http', port: 8080 })] }),
    ]);
    expect(backendsOf(applied, '10.96.0.10:80/TCP@external')).toEqual(['10.0.1.1:8080']);
    expect(frontends(applied)['10.96.0.10:9090/TCP@external']!.master.count).toBe(0);
  });

  it('NodePort: served on this node’s InternalIP and ExternalIP addresses only', () => {
    const { applied } = foldServices([
      nodeA,
      event('NodeUpserted', node('node-b', [{ type: 'InternalIP', address: '192.168.0.11' }])),
      svcEvent({ type: 'NodePort', ports: [port({ nodePort: 30080 })] }),
      sliceEvent(),
    ]);
    const fes = Object.keys(frontends(applied)).sort();
    expect(fes).toEqual([
      '10.96.0.10:80/TCP@external',
      '192.168.0.10:30080/TCP@external',
      '203.0.113.10:30080/TCP@external',
    ]);
    expect(frontends(applied)['192.168.0.10:30080/TCP@external']!.master.flags).toBe(SERVICE_FLAGS.nodePort);
  });

  it('NodePort: follows this node’s address changes and disappears when the node is deleted', () => {
    const svc = svcEvent({ type: 'NodePort', ports: [port({ nodePort: 30080 })] });
    const moved = event('NodeUpserted', node('node-a', [{ type: 'InternalIP', address: '192.168.0.99' }]));
    const gone = event('NodeDeleted', { name: 'node-a', uid: 'uid-node-node-a', resourceVersion: null });
    const a = foldServices([nodeA, svc, sliceEvent(), moved]);
    expect(Object.keys(frontends(a.applied)).sort()).toEqual([
      '10.96.0.10:80/TCP@external',
      '192.168.0.99:30080/TCP@external',
    ]);
    const b = foldServices([nodeA, svc, sliceEvent(), moved, gone]);
    expect(Object.keys(frontends(b.applied))).toEqual(['10.96.0.10:80/TCP@external']);
  });

  it('ExternalIPs: each external IP is a frontend with the externalIP flag and a Maglev table', () => {
    const { applied } = foldServices([svcEvent({ externalIPs: ['198.51.100.7'] }), sliceEvent()], 'node-a', {
      maglevTableSize: 251,
    });
    const fe = frontends(applied)['198.51.100.7:80/TCP@external']!;
    expect(fe.master.flags).toBe(SERVICE_FLAGS.externalIP);
    expect(fe.backends).toEqual(['10.0.1.1:8080']);
    const table = applied.maglev.get(String(fe.master.revNatId))!.value.backendIds;
    expect(table).toHaveLength(251);
    expect(new Set(table)).toEqual(new Set([1]));
  });

  it('LoadBalancer: ingress IPs are frontends (with NodePorts); ignored on other Service types', () => {
    const lb = foldServices([
      nodeA,
      svcEvent({
        type: 'LoadBalancer',
        loadBalancerIngressIPs: ['198.51.100.1'],
        ports: [port({ nodePort: 30080 })],
      }),
      sliceEvent(),
    ]);
    expect(frontends(lb.applied)['198.51.100.1:80/TCP@external']!.master.flags).toBe(
      SERVICE_FLAGS.loadBalancer,
    );
    expect(frontends(lb.applied)['192.168.0.10:30080/TCP@external']).toBeDefined();
    const notLb = foldServices([
      svcEvent({ type: 'ClusterIP', loadBalancerIngressIPs: ['198.51.100.1'] }),
      sliceEvent(),
    ]);
    expect(frontends(notLb.applied)['198.51.100.1:80/TCP@external']).toBeUndefined();
  });

  it('Maglev: the table size defaults to 16381 and every external frontend gets one', () => {
    const { applied } = foldServices([svcEvent({ externalIPs: ['198.51.100.7'] }), sliceEvent()]);
    expect([...applied.maglev.values()].map((e) => e.value.backendIds.length)).toEqual([16381]);
  });

  it('headless Services are ignored', () => {
    const { applied } = foldServices([
      svcEvent({ clusterIPs: ['None'], externalIPs: ['198.51.100.7'] }),
      sliceEvent(),
    ]);
    expect(desiredToDeltas(applied)).toEqual([]);
  });

  it('ExternalName Services are ignored', () => {
    const { applied } = foldServices([svcEvent({ type: 'ExternalName', clusterIPs: [] }), sliceEvent()]);
    expect(desiredToDeltas(applied)).toEqual([]);
  });

  it('Services without a selector are served from the EndpointSlices given to them', () => {
    const { applied } = foldServices([
      svcEvent({ selector: null }),
      sliceEvent({ name: 'manual-1', endpoints: [endpoint('172.16.0.5', { nodeName: null })] }),
    ]);
    expect(backendsOf(applied, '10.96.0.10:80/TCP@external')).toEqual(['172.16.0.5:8080']);
  });

  it('ready endpoints serve; not-ready ones do not', () => {
    const { applied } = foldServices([
      svcEvent(),
      sliceEvent({
        endpoints: [
          endpoint('10.0.1.1'),
          endpoint('10.0.1.2', { ready: false, serving: false }),
          endpoint('10.0.1.3', { ready: null, serving: null, terminating: null }),
        ],
      }),
    ]);
    expect(backendsOf(applied, '10.96.0.10:80/TCP@external')).toEqual(['10.0.1.1:8080', '10.0.1.3:8080']);
  });

  it('when no endpoint is ready, the serving-and-terminating ones are used (as kube-proxy does)', () => {
    const { applied } = foldServices([
      svcEvent(),
      sliceEvent({
        endpoints: [
          endpoint('10.0.1.1', { ready: false, serving: true, terminating: true }),
          endpoint('10.0.1.2', { ready: false, serving: false, terminating: true }),
        ],
      }),
    ]);
    expect(backendsOf(applied, '10.96.0.10:80/TCP@external')).toEqual(['10.0.1.1:8080']);
    expect([...applied.backends.values()].map((e) => e.value.state)).toEqual(['terminating']);
    const withReady = foldServices([
      svcEvent(),
      sliceEvent({
        endpoints: [
          endpoint('10.0.1.1', { ready: false, serving: true, terminating: true }),
          endpoint('10.0.1.3'),
        ],
      }),
    ]);
    expect(backendsOf(withReady.applied, '10.96.0.10:80/TCP@external')).toEqual(['10.0.1.3:8080']);
  });

  it('internalTrafficPolicy Local restricts the ClusterIP to this node’s endpoints', () => {
    const events = [
      svcEvent({ internalTrafficPolicy: 'Local' }),
      sliceEvent({
        endpoints: [
          endpoint('10.0.1.1', { nodeName: 'node-a' }),
          endpoint('10.0.2.1', { nodeName: 'node-b' }),
        ],
      }),
    ];
    const a = foldServices(events, 'node-a');
    expect(backendsOf(a.applied, '10.96.0.10:80/TCP@external')).toEqual(['10.0.1.1:8080']);
    expect(frontends(a.applied)['10.96.0.10:80/TCP@external']!.master.flags).toBe(
      SERVICE_FLAGS.clusterIP | SERVICE_FLAGS.internalLocal,
    );
    expect(backendsOf(foldServices(events, 'node-b').applied, '10.96.0.10:80/TCP@external')).toEqual([
      '10.0.2.1:8080',
    ]);
    expect(backendsOf(foldServices(events, 'node-c').applied, '10.96.0.10:80/TCP@external')).toEqual([]);
  });

  it('externalTrafficPolicy Local: the external scope has local endpoints, the internal scope all of them', () => {
    const { applied } = foldServices([
      nodeA,
      svcEvent({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [port({ nodePort: 30080 })] }),
      sliceEvent({
        endpoints: [
          endpoint('10.0.1.1', { nodeName: 'node-a' }),
          endpoint('10.0.2.1', { nodeName: 'node-b' }),
        ],
      }),
    ]);
    const fes = frontends(applied);
    expect(backendsOf(applied, '192.168.0.10:30080/TCP@external')).toEqual(['10.0.1.1:8080']);
    expect(backendsOf(applied, '192.168.0.10:30080/TCP@internal')).toEqual([
      '10.0.1.1:8080',
      '10.0.2.1:8080',
    ]);
    expect(fes['192.168.0.10:30080/TCP@external']!.master.flags).toBe(
      SERVICE_FLAGS.nodePort | SERVICE_FLAGS.externalLocal | SERVICE_FLAGS.twoScopes,
    );
    // The ClusterIP is internal traffic: every endpoint, one scope.
    expect(backendsOf(applied, '10.96.0.10:80/TCP@external')).toEqual(['10.0.1.1:8080', '10.0.2.1:8080']);
    expect(fes['10.96.0.10:80/TCP@internal']).toBeUndefined();
    // Maglev (external traffic) only spreads over the local endpoint.
    const rn = fes['192.168.0.10:30080/TCP@external']!.master.revNatId;
    expect(new Set(applied.maglev.get(String(rn))!.value.backendIds).size).toBe(1);
  });

  it('session affinity ClientIP: flag and the default timeout of 10800 s, or the given one', () => {
    const d = foldServices([svcEvent({ sessionAffinity: 'ClientIP' }), sliceEvent()]);
    const m = frontends(d.applied)['10.96.0.10:80/TCP@external']!.master;
    expect(m.flags & SERVICE_FLAGS.sessionAffinity).toBeTruthy();
    expect(m.affinityTimeoutSec).toBe(10800);
    const t = foldServices([
      svcEvent({ sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 }),
      sliceEvent(),
    ]);
    expect(frontends(t.applied)['10.96.0.10:80/TCP@external']!.master.affinityTimeoutSec).toBe(600);
  });

  it('session affinity ClientIP: a timeout outside 1..86400 s is reported and the default used', () => {
    const { applied, rejected } = foldServices([
      svcEvent({ sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 0 }),
      sliceEvent(),
    ]);
    expect(frontends(applied)['10.96.0.10:80/TCP@external']!.master.affinityTimeoutSec).toBe(10800);
    expect(rejected.join()).toMatch(/timeout 0 out of range/);
  });

  it('several EndpointSlices of one Service are merged', () => {
    const { applied } = foldServices([
      svcEvent(),
      sliceEvent({ name: 'web-1', endpoints: [endpoint('10.0.1.1')] }),
      sliceEvent({ name: 'web-2', endpoints: [endpoint('10.0.1.2')] }),
      sliceEvent({ name: 'other', serviceName: 'other', endpoints: [endpoint('10.0.9.9')] }),
    ]);
    expect(backendsOf(applied, '10.96.0.10:80/TCP@external')).toEqual(['10.0.1.1:8080', '10.0.1.2:8080']);
  });

  it('duplicate endpoints across slices are counted once', () => {
    const { applied } = foldServices([
      svcEvent(),
      sliceEvent({ name: 'web-1', endpoints: [endpoint('10.0.1.1'), endpoint('10.0.1.2')] }),
      sliceEvent({ name: 'web-2', endpoints: [endpoint('10.0.1.2', { ready: false, serving: false })] }),
    ]);
    expect(frontends(applied)['10.96.0.10:80/TCP@external']!.master.count).toBe(2);
    expect(applied.backends.size).toBe(2);
  });

  it('IPv4 only: IPv6 slices and IPv6 cluster IPs are skipped without complaint', () => {
    const { applied, rejected } = foldServices([
      svcEvent({ clusterIPs: ['10.96.0.10', 'fd00::10'] }),
      sliceEvent({ name: 'web-v6', addressType: 'IPv6', endpoints: [endpoint('fd00::1:1')] }),
      sliceEvent({ name: 'web-v4' }),
    ]);
    expect(Object.keys(frontends(applied))).toEqual(['10.96.0.10:80/TCP@external']);
    expect(backendsOf(applied, '10.96.0.10:80/TCP@external')).toEqual(['10.0.1.1:8080']);
    expect(rejected).toEqual([]);
  });

  it('an EndpointSlice that arrives before its Service is used once the Service appears', () => {
    const { applied } = foldServices([sliceEvent(), svcEvent()]);
    expect(backendsOf(applied, '10.96.0.10:80/TCP@external')).toEqual(['10.0.1.1:8080']);
  });

  it('deleting a Service or its slices removes exactly what it contributed', () => {
    const base = [svcEvent({ externalIPs: ['198.51.100.7'] }), sliceEvent()];
    expect(
      desiredToDeltas(
        foldServices([...base, svcDeleted('default', 'web')], 'node-a', { maglevTableSize: 7 }).applied,
      ),
    ).toEqual([]);
    const noSlice = foldServices([...base, sliceDeleted('default', 'web-abc')], 'node-a', {
      maglevTableSize: 7,
    }).applied;
    expect(frontends(noSlice)['10.96.0.10:80/TCP@external']!.master.count).toBe(0);
    expect(noSlice.backends.size).toBe(0);
    expect(noSlice.maglev.size).toBe(0);
  });

  it('a delete naming an older uid than the current object is ignored', () => {
    const { applied, rejected } = foldServices([
      svcEvent(),
      sliceEvent(),
      svcDeleted('default', 'web', 'old-uid'),
    ]);
    expect(frontends(applied)['10.96.0.10:80/TCP@external']).toBeDefined();
    expect(rejected[0]).toMatch(/old-uid/);
  });

  it('bad input is skipped with a reason naming it; the valid rest is served', () => {
    const { applied, rejected } = foldServices(
      [
        svcEvent({
          clusterIPs: ['10.96.0.300'],
          externalIPs: ['198.51.100.7'],
          ports: [port(), port({ name: 'big', port: 70000 }), port({ name: 'x', protocol: 'ICMP' })],
        }),
        sliceEvent({ endpoints: [endpoint('10.0.1.1'), endpoint('not-an-ip')] }),
      ],
      'node-a',
      { maglevTableSize: 7 },
    );
    expect(Object.keys(frontends(applied))).toEqual(['198.51.100.7:80/TCP@external']);
    expect(backendsOf(applied, '198.51.100.7:80/TCP@external')).toEqual(['10.0.1.1:8080']);
    expect(rejected.join('\n')).toMatch(/10\.96\.0\.300/);
    expect(rejected.join('\n')).toMatch(/70000/);
    expect(rejected.join('\n')).toMatch(/ICMP/);
    expect(rejected.join('\n')).toMatch(/not-an-ip/);
  });

  it('a problem is reported once, by the event that brought it, not on every later reconcile', () => {
    const { state, rejected } = foldServices([
      svcEvent({ clusterIPs: ['10.96.0.300', '10.96.0.10'] }),
      sliceEvent({ endpoints: [endpoint('x')] }),
    ]);
    expect(rejected).toHaveLength(2);
    expect(servicesFold.apply(state, sliceEvent({ name: 'other-slice' })).rejected).toBeUndefined();
  });

  it('two Services claiming one frontend: the first serves it, the second takes over when the first goes', () => {
    const events = [
      svcEvent({ name: 'a', clusterIPs: ['10.96.0.1'], externalIPs: ['198.51.100.7'] }),
      svcEvent({ name: 'b', clusterIPs: ['10.96.0.2'], externalIPs: ['198.51.100.7'] }),
      sliceEvent({ name: 'a-1', serviceName: 'a', endpoints: [endpoint('10.0.1.1')] }),
      sliceEvent({ name: 'b-1', serviceName: 'b', endpoints: [endpoint('10.0.2.2')] }),
    ];
    const first = foldServices(events, 'node-a', { maglevTableSize: 7 });
    expect(backendsOf(first.applied, '198.51.100.7:80/TCP@external')).toEqual(['10.0.1.1:8080']);
    expect(first.rejected.join()).toMatch(/already served by Service default\/a/);
    const after = foldServices([...events, svcDeleted('default', 'a')], 'node-a', { maglevTableSize: 7 });
    expect(backendsOf(after.applied, '198.51.100.7:80/TCP@external')).toEqual(['10.0.2.2:8080']);
  });
});

describe('services fold: ids and minimal deltas', () => {
  it('ids are deterministic, and an unrelated change never renumbers existing entries', () => {
    const events = [
      svcEvent({ name: 'a', clusterIPs: ['10.96.0.1'] }),
      sliceEvent({ name: 'a-1', serviceName: 'a', endpoints: [endpoint('10.0.1.1'), endpoint('10.0.1.2')] }),
    ];
    const one = foldServices(events);
    const two = foldServices([
      ...events,
      svcEvent({ name: 'b', clusterIPs: ['10.96.0.2'] }),
      sliceEvent({ name: 'b-1', serviceName: 'b', endpoints: [endpoint('10.0.2.1')] }),
      svcDeleted('default', 'b'),
    ]);
    expect(frontends(two.applied)['10.96.0.1:80/TCP@external']).toEqual(
      frontends(one.applied)['10.96.0.1:80/TCP@external'],
    );
    expect([...two.applied.backends.keys()]).toEqual([...one.applied.backends.keys()]);
  });

  it('backends are shared across Services by address:port/proto, and an id is reused only once unused', () => {
    const { applied, state } = foldServices([
      svcEvent({ name: 'a', clusterIPs: ['10.96.0.1'] }),
      svcEvent({ name: 'b', clusterIPs: ['10.96.0.2'] }),
      sliceEvent({ name: 'a-1', serviceName: 'a', endpoints: [endpoint('10.0.1.1')] }),
      sliceEvent({ name: 'b-1', serviceName: 'b', endpoints: [endpoint('10.0.1.1')] }),
    ]);
    expect(applied.backends.size).toBe(1);
    let s = state;
    // Swap a's backend for a new one in one event: the old id (still used by b) is not recycled.
    const r1 = servicesFold.apply(
      s,
      sliceEvent({ name: 'b-1', serviceName: 'b', endpoints: [endpoint('10.0.1.9')] }),
    );
    s = r1.state;
    expect(r1.deltas.filter((d) => d.map === 'backends').map((d) => [d.op, d.key.id])).toEqual([
      ['upsert', 2],
    ]);
    // Id 1 is freed only when its last Service lets go; the next new backend then gets it.
    const r2 = servicesFold.apply(
      s,
      sliceEvent({ name: 'a-1', serviceName: 'a', endpoints: [endpoint('10.0.1.8')] }),
    );
    expect(
      r2.deltas
        .filter((d) => d.map === 'backends')
        .map((d) => [d.op, d.key.id])
        .sort(),
    ).toEqual(
      [
        ['upsert', 3],
        ['delete', 1],
      ].sort(),
    );
    const r3 = servicesFold.apply(
      r2.state,
      sliceEvent({ name: 'c-1', serviceName: 'a', endpoints: [endpoint('10.0.1.7')] }),
    );
    expect(r3.deltas.filter((d) => d.map === 'backends').map((d) => d.key.id)).toEqual([1]);
  });

  it('adding one backend writes one backend, one slot and the master; nothing else', () => {
    const { state } = foldServices([
      svcEvent(),
      sliceEvent({ endpoints: [endpoint('10.0.1.1'), endpoint('10.0.1.2')] }),
    ]);
    const r = servicesFold.apply(
      state,
      sliceEvent({ endpoints: [endpoint('10.0.1.1'), endpoint('10.0.1.2'), endpoint('10.0.1.3')] }),
    );
    expect(r.deltas.map((d) => `${d.op} ${d.map} ${'slot' in d.key ? d.key.slot : ''}`).sort()).toEqual(
      ['upsert backends ', 'upsert services 0', 'upsert services 3'].sort(),
    );
  });

  it('removing a backend moves the last slot into its hole and shrinks the count', () => {
    const { state } = foldServices([
      svcEvent(),
      sliceEvent({ endpoints: [endpoint('10.0.1.1'), endpoint('10.0.1.2'), endpoint('10.0.1.3')] }),
    ]);
    const r = servicesFold.apply(
      state,
      sliceEvent({ endpoints: [endpoint('10.0.1.2'), endpoint('10.0.1.3')] }),
    );
    expect(r.deltas.map((d) => `${d.op} ${d.map} ${'slot' in d.key ? d.key.slot : ''}`).sort()).toEqual(
      ['delete backends ', 'delete services 3', 'upsert services 0', 'upsert services 1'].sort(),
    );
  });

  it('re-applying the same object produces no deltas', () => {
    const svc = svcEvent({ externalIPs: ['198.51.100.7'] });
    const { state } = foldServices([svc, sliceEvent()], 'node-a', { maglevTableSize: 7 });
    expect(servicesFold.apply(state, svc).deltas).toEqual([]);
    expect(servicesFold.apply(state, sliceEvent()).deltas).toEqual([]);
  });
});
