import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Apiwatch } from '../../src/apiwatch/apiwatch.js';
import type { FollowedKind } from '../../src/apiwatch/objectEvents.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import type { EndpointSliceUpserted } from '../../src/events/payloads.js';
import { ADMIN_USER } from '../../src/kube/apiserverHarness.js';
import { compactSlice } from '../../src/projections/services/compactSlice.js';
import { type Fixture, startFixture } from './fixture.js';
import { apiserverMissing, eventIdOf, type Obj, TEST_USER_AGENT } from './support.js';

const missing = apiserverMissing();
const MANAGER = 'cairn-e2e-writer';
const NS = 'e2e';

/** How to create, change and delete one object of a kind, and what its event must say. */
interface KindCase {
  readonly kind: FollowedKind;
  readonly collection: string;
  readonly item: (name: string) => string;
  readonly body: (name: string) => Obj;
  readonly change: Obj;
  readonly expectCreated: (payload: Obj, created: Obj) => void;
  readonly expectChanged: (payload: Obj) => void;
}

const CASES: readonly KindCase[] = [
  {
    kind: 'Namespace',
    collection: '/api/v1/namespaces',
    item: (n) => `/api/v1/namespaces/${n}`,
    body: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { team: 'a' } } }),
    change: { metadata: { labels: { team: 'b' } } },
    expectCreated: (p, c) => expect(p).toMatchObject({ name: c.metadata.name, labels: { team: 'a' } }),
    expectChanged: (p) => expect(p.labels).toMatchObject({ team: 'b' }),
  },
  {
    kind: 'Service',
    collection: `/api/v1/namespaces/${NS}/services`,
    item: (n) => `/api/v1/namespaces/${NS}/services/${n}`,
    body: (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels: { app: 'web' } },
      spec: {
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      },
    }),
    change: { spec: { ports: [{ name: 'http', port: 81, targetPort: 8080, protocol: 'TCP' }] } },
    expectCreated: (p, c) =>
      expect(p).toMatchObject({
        namespace: NS,
        type: 'ClusterIP',
        clusterIPs: [c.spec.clusterIP],
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: '8080', nodePort: null }],
      }),
    expectChanged: (p) => expect(p.ports).toMatchObject([{ port: 81 }]),
  },
  {
    kind: 'EndpointSlice',
    collection: `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`,
    item: (n) => `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices/${n}`,
    body: (name) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true }, nodeName: 'node-a' }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }),
    change: { endpoints: [{ addresses: ['10.244.1.6'], conditions: { ready: false } }] },
    expectCreated: (p) =>
      expect(p).toMatchObject({
        namespace: NS,
        serviceName: 'web',
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.244.1.5'], ready: true, nodeName: 'node-a' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      }),
    expectChanged: (p) => expect(p.endpoints).toMatchObject([{ addresses: ['10.244.1.6'], ready: false }]),
  },
  {
    kind: 'NetworkPolicy',
    collection: `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`,
    item: (n) => `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies/${n}`,
    body: (name) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name },
      spec: {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 80 }] }],
      },
    }),
    change: { spec: { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] } },
    expectCreated: (p) =>
      expect(p).toMatchObject({
        namespace: NS,
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            peers: [{ podSelector: { matchLabels: { role: 'client' } } }],
            ports: [{ protocol: 'TCP', port: '80' }],
          },
        ],
      }),
    expectChanged: (p) =>
      expect(p.ingress).toMatchObject([{ peers: [{ ipBlock: { cidr: '10.0.0.0/8', except: [] } }] }]),
  },
  {
    kind: 'Pod',
    collection: `/api/v1/namespaces/${NS}/pods`,
    item: (n) => `/api/v1/namespaces/${NS}/pods/${n}`,
    body: (name) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'web', image: 'example/web', ports: [{ name: 'http', containerPort: 8080 }] }],
      },
    }),
    change: { metadata: { labels: { app: 'web', version: 'v2' } } },
    expectCreated: (p) =>
      expect(p).toMatchObject({
        namespace: NS,
        labels: { app: 'web' },
        phase: 'Pending',
        nodeName: null,
        containerPorts: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      }),
    expectChanged: (p) => expect(p.labels).toEqual({ app: 'web', version: 'v2' }),
  },
  {
    kind: 'Node',
    collection: '/api/v1/nodes',
    item: (n) => `/api/v1/nodes/${n}`,
    body: (name) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { zone: 'z1' } },
      spec: { podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'] },
    }),
    change: { metadata: { labels: { zone: 'z2' } } },
    expectCreated: (p) => expect(p).toMatchObject({ labels: { zone: 'z1' }, podCIDRs: ['10.244.9.0/24'] }),
    expectChanged: (p) => expect(p.labels).toMatchObject({ zone: 'z2' }),
  },
];

describe.skipIf(missing)('apiwatch against a real kube-apiserver', () => {
  let f: Fixture;
  let apiwatch: Apiwatch;

  beforeAll(async () => {
    f = await startFixture(MANAGER);
    apiwatch = await f.apiwatch();
    await apiwatch.synced();
    await f.writer.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
  }, 180_000);

  afterAll(async () => {
    await f?.stop();
  }, 60_000);

  it('records what the apiserver already holds once, at the first list', async () => {
    const defaultNs = await f.writer.get('/api/v1/namespaces/default');
    const kubernetesSvc = await f.writer.get('/api/v1/namespaces/default/services/kubernetes');
    await f.collector.waitForIds([eventIdOf('Namespace', defaultNs), eventIdOf('Service', kubernetesSvc)]);
    const stats = apiwatch.stats();
    for (const kind of Object.keys(stats) as FollowedKind[]) expect(stats[kind].lists, kind).toBe(1);
  });

  for (const c of CASES) {
    it(`${c.kind}: create, change, delete through the API give exactly one event each, with manager and user`, async () => {
      const name = `e2e-${c.kind.toLowerCase()}`;
      const created = await f.writer.create(c.collection, c.body(name));
      const changed = await f.writer.patch(c.item(name), c.change);
      const deleting = await f.writer.delete(c.item(name));
      const uid: string = created.metadata.uid;
      const mustHave = [eventIdOf(c.kind, created), eventIdOf(c.kind, changed)];
      if (c.kind === 'Namespace') {
        // The delete leaves it Terminating (an update); no namespace controller runs, so finalize
        // it as that controller would.
        mustHave.push(eventIdOf(c.kind, deleting));
        await f.writer.replace(`${c.item(name)}/finalize`, { ...deleting, spec: { finalizers: [] } });
      }
      mustHave.push(`${c.kind}/${uid}/deleted`);
      await f.collector.waitForIds(mustHave);

      // Each change once, in order, nothing else: create, change, then (a pod's deletionTimestamp
      // being set is a change of its own) the updates the delete made, then the delete.
      const ids = f.collector.aboutUid(uid).map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.slice(0, 2)).toEqual(mustHave.slice(0, 2));
      expect(ids.at(-1)).toBe(mustHave.at(-1));
      for (const id of mustHave) expect(ids).toContain(id);
      expect(ids.length, ids.join(' ')).toBe(mustHave.length + (c.kind === 'Pod' ? 1 : 0));
      const [createdEvent, changedEvent] = ids.map((id) => f.collector.withId(id)[0]!);
      c.expectCreated(createdEvent!.payload as Obj, created);
      c.expectChanged(changedEvent!.payload as Obj);
      expect(createdEvent!.type).toBe(`${c.kind}Upserted`);
      expect(f.collector.withId(ids.at(-1)!)[0]!.type).toBe(`${c.kind}Deleted`);
      for (const id of ids) {
        const event = f.collector.withId(id)[0]!;
        expect(event.source).toBe('apiwatch');
        expect(event.cluster).toBe('e2e');
        // Who: the field manager from managedFields...
        expect(event.actor.manager, id).toBe(MANAGER);
        expect(event.actor.operation, id).toMatch(/^(Update|Apply)$/);
      }

      // ...and the authenticated user, from the audit webhook: one audit event per request, each
      // joined to the event its write produced.
      const verbs =
        c.kind === 'Namespace' ? ['create', 'patch', 'delete', 'update'] : ['create', 'patch', 'delete'];
      const auditsOf = (events: readonly StoredEvent[]) =>
        events.filter(
          (e): e is Extract<StoredEvent, { type: 'AuditRecorded' }> =>
            e.type === 'AuditRecorded' && e.payload.uid === uid,
        );
      await f.collector.waitFor(
        `${verbs.length} audit events of ${uid}`,
        (events) => auditsOf(events).length >= verbs.length,
      );
      const audits = auditsOf(f.collector.events);
      expect(audits.map((a) => a.payload.verb)).toEqual(verbs);
      expect(audits[0]!.causation).toBe(ids[0]);
      expect(audits[1]!.causation).toBe(ids[1]);
      expect(audits.at(-1)!.causation).toBe(ids.at(-1));
      for (const audit of audits) {
        expect(ids).toContain(audit.causation);
        expect(audit.payload).toMatchObject({
          user: ADMIN_USER,
          userAgent: TEST_USER_AGENT,
          kind: c.kind,
          name,
          uid,
        });
        expect(audit.payload.sourceIPs).toContain('127.0.0.1');
        expect(audit.actor).toMatchObject({ name: ADMIN_USER, userAgent: TEST_USER_AGENT });
      }
    });
  }

  it('records bad input the apiserver accepts with a reason, keeps following, and the projection skips it', async () => {
    const invalidBefore = apiwatch.stats().EndpointSlice.invalid;
    // The apiserver's legacy parsing accepts these; the datapath cannot use them.
    const bad = await f.writer.create(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'bad-input', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.1.7'] }, { addresses: ['010.1.2.3'] }],
      ports: [
        { name: 'zero', port: 0, protocol: 'TCP' },
        { name: 'huge', port: 70000, protocol: 'TCP' },
        { name: 'http', port: 8080, protocol: 'TCP' },
      ],
    });
    const next = await f.writer.create(`/api/v1/namespaces/${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'after-bad-input' },
      spec: { ports: [{ port: 80 }] },
    });
    await f.collector.waitForIds([eventIdOf('EndpointSlice', bad), eventIdOf('Service', next)]);

    const id = eventIdOf('EndpointSlice', bad);
    expect(f.problems.find((p) => p.reasons[0]?.startsWith(id))?.reasons).toEqual([
      `${id}: endpoints[1].addresses[0] "010.1.2.3" is not an IPv4 address`,
      `${id}: ports[0].port 0 is outside 1-65535`,
      `${id}: ports[1].port 70000 is outside 1-65535`,
    ]);
    expect(apiwatch.stats().EndpointSlice.invalid).toBe(invalidBefore + 1);
    // The services projection keeps the valid parts and says why it dropped the others.
    const rejected: string[] = [];
    const compact = compactSlice(f.collector.withId(id)[0]!.payload as EndpointSliceUpserted, rejected);
    expect(compact.endpoints.map((e) => e.address)).toEqual(['10.244.1.7']);
    expect(compact.ports.map((p) => p.port)).toEqual([8080]);
    expect(rejected).toHaveLength(3);
  });

  it('keeps following across idle periods longer than the watch timeout, without re-listing', async () => {
    const before = apiwatch.stats().Service;
    // The watches ask the server to end them after 5-10 s; stay idle longer than that.
    await sleep(12_000);
    const svc = await f.writer.create(`/api/v1/namespaces/${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'after-idle' },
      spec: { ports: [{ port: 80 }] },
    });
    await f.collector.waitForIds([eventIdOf('Service', svc)]);
    const after = apiwatch.stats().Service;
    expect(after.watches).toBeGreaterThan(before.watches);
    expect(after.lists).toBe(before.lists);
    expect(after.errors).toBe(before.errors);
  }, 60_000);

  it('rejects audit webhook requests without a client certificate or the token', async () => {
    const rejectedBefore = f.audit.stats.rejected;
    const { request } = await import('node:https');
    const { readFileSync } = await import('node:fs');
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          f.audit.url,
          {
            method: 'POST',
            ca: readFileSync(f.pki.caFile),
            headers: { 'Content-Type': 'application/json', ...headers },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] }));
      });
    expect(await post({})).toBe(401);
    expect(await post({ Authorization: 'Bearer wrong' })).toBe(401);
    expect(await post({ Authorization: `Bearer ${f.auditToken}` })).toBe(200);
    expect(f.audit.stats.rejected).toBe(rejectedBefore + 2);
  });

  it('restarted mid-stream, loses no change and writes none twice', async () => {
    const path = `/api/v1/namespaces/${NS}/services`;
    const names = ['stream-a', 'stream-b', 'stream-c'];
    const versions: Obj[] = [];
    for (const name of names) {
      versions.push(
        await f.writer.create(path, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name },
          spec: { ports: [{ port: 80 }] },
        }),
      );
    }
    let restarted = false;
    let deletedUid = '';
    const writes = (async () => {
      for (let i = 0; i < 30; i++) {
        const name = names[i % names.length]!;
        if (name === 'stream-c' && deletedUid) continue;
        versions.push(await f.writer.patch(`${path}/${name}`, { metadata: { labels: { step: String(i) } } }));
        if (i === 24) deletedUid = (await f.writer.delete(`${path}/stream-c`)).metadata.uid;
        await sleep(restarted ? 20 : 60);
      }
    })();
    await sleep(600);
    await apiwatch.stop();
    restarted = true;
    await sleep(300); // changes made while nobody watches
    apiwatch = await f.apiwatch();
    await writes;

    // Every version the API returned, and the delete: each exactly once.
    const ids = [...versions.map((v) => eventIdOf('Service', v)), `Service/${deletedUid}/deleted`];
    await f.collector.waitForIds(ids);
    for (const uid of new Set(versions.map((v) => v.metadata.uid as string))) {
      const recorded = f.collector.aboutUid(uid).map((e) => e.id);
      const expected = ids.filter((id) => id.startsWith(`Service/${uid}/`));
      expect(recorded, `every version of ${uid}, once, in order`).toEqual(expected);
    }
    // Resumed from where the log ended: a watch, not a list.
    expect(apiwatch.stats().Service.lists).toBe(0);
    expect(apiwatch.stats().Service.appended).toBeGreaterThan(0);
  }, 90_000);
});
