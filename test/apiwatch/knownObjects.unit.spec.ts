import { describe, expect, it } from 'vitest';
import { emptyKnownObjects, foldKnownObjects, isNewerVersion } from '../../src/apiwatch/knownObjects.js';
import { deleteEvent, upsertEvent } from '../../src/apiwatch/objectEvents.js';

const ns = (uid: string, resourceVersion: string, name = `ns-${uid}`) => ({
  kind: 'Namespace',
  metadata: { name, uid, resourceVersion },
});

describe('knownObjects: what the log holds about a cluster', () => {
  it('is empty for an empty log', () => {
    const known = emptyKnownObjects();
    expect(known.get('Service')?.objects.size).toBe(0);
    expect(known.get('Service')?.resourceVersion).toBeUndefined();
  });

  it('keeps the last version of each object and the newest version as the resume point', () => {
    const known = emptyKnownObjects();
    for (const o of [ns('a', '5'), ns('b', '7'), ns('a', '9')])
      foldKnownObjects(known, upsertEvent(o, { cluster: 'c' }), 'c');
    const s = known.get('Namespace')!;
    expect(s.objects.get('a')).toEqual({ namespace: null, name: 'ns-a', resourceVersion: '9' });
    expect(s.resourceVersion).toBe('9');
  });

  it('forgets deleted objects and remembers they are gone', () => {
    const known = emptyKnownObjects();
    foldKnownObjects(known, upsertEvent(ns('a', '5'), { cluster: 'c' }), 'c');
    foldKnownObjects(known, deleteEvent(ns('a', '11'), { cluster: 'c' }), 'c');
    // A replayed older upsert after the delete changes nothing.
    foldKnownObjects(known, upsertEvent(ns('a', '6'), { cluster: 'c' }), 'c');
    const s = known.get('Namespace')!;
    expect(s.objects.has('a')).toBe(false);
    expect(s.deleted.has('a')).toBe(true);
    expect(s.resourceVersion).toBe('11');
  });

  it('never goes back to an older version of an object', () => {
    const known = emptyKnownObjects();
    foldKnownObjects(known, upsertEvent(ns('a', '12'), { cluster: 'c' }), 'c');
    foldKnownObjects(known, upsertEvent(ns('a', '10'), { cluster: 'c' }), 'c');
    expect(known.get('Namespace')!.objects.get('a')?.resourceVersion).toBe('12');
  });

  it('ignores other clusters and other sources', () => {
    const known = emptyKnownObjects();
    foldKnownObjects(known, upsertEvent(ns('a', '5'), { cluster: 'other' }), 'c');
    foldKnownObjects(known, upsertEvent(ns('b', '5'), { cluster: 'c', source: 'operator' }), 'c');
    expect(known.get('Namespace')!.objects.size).toBe(0);
  });

  it('compares etcd resourceVersions as numbers, anything else by inequality', () => {
    expect(isNewerVersion('10', '9')).toBe(true);
    expect(isNewerVersion('9', '10')).toBe(false);
    expect(isNewerVersion('9', '9')).toBe(false);
    expect(isNewerVersion('123456789012345678901', '123456789012345678900')).toBe(true);
    expect(isNewerVersion('x', 'y')).toBe(true);
    expect(isNewerVersion('1', null)).toBe(true);
    expect(isNewerVersion(null, '1')).toBe(false);
  });
});
