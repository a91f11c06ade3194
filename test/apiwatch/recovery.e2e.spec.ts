import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Apiwatch } from '../../src/apiwatch/apiwatch.js';
import { upsertEvent } from '../../src/apiwatch/objectEvents.js';
import { CLUSTER, type Fixture, startFixture } from './fixture.js';
import { apiserverMissing, eventIdOf, type Obj } from './support.js';

const missing = apiserverMissing();
const NS = 'recovery';
const SERVICES = `/api/v1/namespaces/${NS}/services`;
const PODS = `/api/v1/namespaces/${NS}/pods`;

const service = (name: string, port = 80): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { ports: [{ port }] },
});
const pod = (name: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'example/c' }] },
});

describe.skipIf(missing)('apiwatch recovers from 410 Gone and from an apiserver restart', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture('cairn-e2e-recovery');
    await f.writer.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
  }, 180_000);

  afterAll(async () => {
    await f?.stop();
  }, 60_000);

  it('after a 410 while stopped, the re-list writes the creates, updates and deletes it missed', async () => {
    let apiwatch: Apiwatch = await f.apiwatch();
    await apiwatch.synced();
    const keep = await f.writer.create(SERVICES, service('keep'));
    const gone = await f.writer.create(SERVICES, service('gone'));
    const same = await f.writer.create(SERVICES, service('same'));
    const podGone = await f.writer.create(PODS, pod('pod-gone'));
    await f.collector.waitForIds(
      [keep, gone, same].map((o) => eventIdOf('Service', o)).concat(eventIdOf('Pod', podGone)),
    );
    await apiwatch.stop();

    // While nobody watches: update, delete, delete and re-create under the same name, create.
    await f.writer.patch(`${SERVICES}/keep`, { metadata: { labels: { v: '1' } } });
    const kept = await f.writer.patch(`${SERVICES}/keep`, { metadata: { labels: { v: '2' } } });
    await f.writer.delete(`${SERVICES}/gone`);
    await f.writer.delete(`${SERVICES}/same`);
    const sameAgain = await f.writer.create(SERVICES, service('same', 81));
    const fresh = await f.writer.create(SERVICES, service('fresh'));
    await f.writer.delete(`${PODS}/pod-gone`);

    // Make the versions apiwatch would resume from unservable: compact etcd's history and restart
    // the apiserver, whose new watch cache starts after the compaction.
    const revision = (await f.client.kv.range({ key: Buffer.from('/') })).header!.revision;
    await f.client.kv.compact({ revision, physical: true });
    await f.apiserver.restart();
    const logBefore = f.collector.events.length;

    apiwatch = await f.apiwatch();
    const expected = [
      eventIdOf('Service', kept),
      `Service/${gone.metadata.uid}/deleted`,
      `Service/${same.metadata.uid}/deleted`,
      eventIdOf('Service', sameAgain),
      eventIdOf('Service', fresh),
      `Pod/${podGone.metadata.uid}/deleted`,
    ];
    await f.collector.waitForIds(expected, 60_000);
    const stats = apiwatch.stats();
    expect(stats.Service.gone, 'the resume point was gone').toBeGreaterThanOrEqual(1);
    expect(stats.Service.lists).toBe(1);
    expect(stats.Pod.lists).toBe(1);

    // Exactly the changes, each once: the intermediate version of `keep` is not visible any more.
    const after = f.collector.events.slice(logBefore).filter((e) => e.type !== 'AuditRecorded');
    const ids = after.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of expected) expect(ids).toContain(id);
    const ours = new Set([keep, gone, same, sameAgain, fresh, podGone].map((o) => o.metadata.uid as string));
    expect(
      after
        .filter((e) => ours.has((e.payload as { uid: string }).uid))
        .map((e) => e.id)
        .sort(),
    ).toEqual([...expected].sort());
    // The old `same` goes before the new one comes: a projection keyed by name never loses it.
    expect(ids.indexOf(`Service/${same.metadata.uid}/deleted`)).toBeLessThan(
      ids.indexOf(eventIdOf('Service', sameAgain)),
    );
    await apiwatch.stop();
  }, 180_000);

  it('re-lists when the log is ahead of the apiserver (a restored etcd), deleting what the apiserver never had', async () => {
    const ghost = upsertEvent(
      {
        kind: 'Service',
        metadata: { name: 'ghost', namespace: NS, uid: 'ghost-uid', resourceVersion: '999999999' },
      },
      { cluster: CLUSTER },
    );
    await f.log.append([ghost]);
    const apiwatch = await f.apiwatch({ kinds: ['Service'] });
    await apiwatch.synced();
    await f.collector.waitForIds(['Service/ghost-uid/deleted']);
    expect(apiwatch.stats().Service.lists).toBe(1);
    const svc = await f.writer.create(SERVICES, service('after-ghost'));
    await f.collector.waitForIds([eventIdOf('Service', svc)]);
    await apiwatch.stop();
  }, 60_000);

  it('follows the apiserver through a restart by itself, backing off between attempts', async () => {
    // The injected delay records what the informer asked to wait (and waits a little, for real).
    const delays: number[] = [];
    const delay = (ms: number, signal: AbortSignal) => {
      delays.push(ms);
      return sleep(Math.min(ms, 100), undefined, { signal });
    };
    const apiwatch = await f.apiwatch({ kinds: ['Service'], delay, backoff: { initialMs: 40, maxMs: 640 } });
    await apiwatch.synced();
    const before = await f.writer.create(SERVICES, service('before-restart'));
    await f.collector.waitForIds([eventIdOf('Service', before)]);
    const errorsBefore = apiwatch.stats().Service.errors + apiwatch.stats().Service.gone;

    await f.apiserver.restart();
    const afterRestart = await f.writer.create(SERVICES, service('after-restart'));
    const changed = await f.writer.patch(`${SERVICES}/before-restart`, {
      metadata: { labels: { v: 'after' } },
    });
    await f.collector.waitForIds([eventIdOf('Service', afterRestart), eventIdOf('Service', changed)], 60_000);

    const stats = apiwatch.stats().Service;
    expect(stats.errors + stats.gone, 'the informer saw the apiserver go away').toBeGreaterThan(errorsBefore);
    // While it was down: one wait per failed attempt, each within its doubling ceiling (full jitter
    // above half of it), capped at maxMs.
    expect(delays.length).toBeGreaterThan(0);
    delays.forEach((ms, attempt) => {
      const ceiling = Math.min(640, 40 * 2 ** attempt);
      expect(ms).toBeGreaterThanOrEqual(ceiling / 2);
      expect(ms).toBeLessThanOrEqual(ceiling);
    });
    for (const o of [before, afterRestart]) {
      const ids = f.collector.aboutUid(o.metadata.uid).map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    await apiwatch.stop();
  }, 180_000);
});
