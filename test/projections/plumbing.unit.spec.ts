import { describe, expect, it } from 'vitest';
import type { MapDelta } from '../../src/maps/delta.js';
import {
  applyDeltas,
  diffDesiredMaps,
  emptyDesiredMaps,
  mapKeyId,
  mergeDesiredMaps,
} from '../../src/maps/keys.js';
import { nodeProjection } from '../../src/projections/nodeFolds.js';
import { orderDeltas } from '../../src/projections/orderDeltas.js';
import { IdAllocator } from '../../src/projections/services/idAllocator.js';
import { nextSlotOrder } from '../../src/projections/services/slotOrder.js';
import { event, node, sliceEvent, stored, svcEvent } from './builders.js';

const svcKey = (slot: number) => ({
  address: '10.96.0.1',
  port: 80,
  proto: 'TCP' as const,
  slot,
  scope: 'external' as const,
});

describe('map keys', () => {
  it('mapKeyId is canonical per map', () => {
    expect(mapKeyId('services', svcKey(0))).toBe('10.96.0.1:80/TCP#0@external');
    expect(mapKeyId('backends', { id: 7 })).toBe('7');
    expect(
      mapKeyId('policy', {
        endpointId: 1,
        identity: 256,
        direction: 'ingress',
        proto: 'TCP',
        port: 80,
        portPrefixLen: 16,
      }),
    ).toBe('1/256/ingress/TCP/80/16');
  });

  it('applyDeltas, mergeDesiredMaps and diffDesiredMaps agree', () => {
    const a = applyDeltas(emptyDesiredMaps(), [
      {
        map: 'backends',
        op: 'upsert',
        key: { id: 1 },
        value: { address: '10.0.0.1', port: 80, proto: 'TCP', state: 'active' },
      },
    ]);
    const b = applyDeltas(mergeDesiredMaps([a]), [
      { map: 'backends', op: 'delete', key: { id: 1 } },
      { map: 'revNat', op: 'upsert', key: { id: 2 }, value: { address: '10.96.0.1', port: 80 } },
      { map: 'revNat', op: 'delete', key: { id: 99 } },
    ]);
    expect(applyDeltas(mergeDesiredMaps([a]), diffDesiredMaps(a, b))).toEqual(b);
  });
});

describe('orderDeltas', () => {
  it('grows bottom-up and shrinks top-down', () => {
    const d = (x: Partial<MapDelta> & Pick<MapDelta, 'map' | 'op'>) => x as MapDelta;
    const input: MapDelta[] = [
      d({ map: 'backends', op: 'delete', key: { id: 9 } }),
      d({ map: 'services', op: 'delete', key: svcKey(3) }),
      d({
        map: 'services',
        op: 'upsert',
        key: svcKey(0),
        value: { kind: 'master', count: 2, revNatId: 1, flags: 1, affinityTimeoutSec: 0 },
      }),
      d({
        map: 'services',
        op: 'upsert',
        key: svcKey(2),
        value: { kind: 'slot', backendId: 4, revNatId: 1 },
      }),
      d({
        map: 'backends',
        op: 'upsert',
        key: { id: 4 },
        value: { address: '10.0.0.4', port: 80, proto: 'TCP', state: 'active' },
      }),
    ];
    expect(orderDeltas(input).map((x) => `${x.op} ${x.map} ${'slot' in x.key ? x.key.slot : ''}`)).toEqual([
      'upsert backends ',
      'upsert services 2',
      'upsert services 0',
      'delete services 3',
      'delete backends ',
    ]);
  });
});

describe('IdAllocator', () => {
  it('hands out the lowest free id, and released ids only after commit', () => {
    const ids = new IdAllocator(1);
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([1, 2, 3]);
    ids.release(2);
    ids.release(1);
    expect(ids.allocate()).toBe(4);
    ids.commit();
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([1, 2, 5]);
  });
});

describe('nextSlotOrder', () => {
  it('keeps survivors in place, fills holes with new backends, then compacts from the end', () => {
    expect(nextSlotOrder(['a', 'b', 'c', 'd'], ['a', 'c', 'd', 'x'])).toEqual(['a', 'x', 'c', 'd']);
    expect(nextSlotOrder(['a', 'b', 'c', 'd'], ['a', 'd'])).toEqual(['a', 'd']);
    expect(nextSlotOrder(['a', 'b', 'c', 'd'], ['b', 'c', 'd'])).toEqual(['d', 'b', 'c']);
    expect(nextSlotOrder(undefined, ['z', 'y'])).toEqual(['y', 'z']);
    expect(nextSlotOrder(['a'], ['a', 'c', 'b'])).toEqual(['a', 'b', 'c']);
  });
});

describe('nodeProjection', () => {
  it('composes the services and policy folds over one log', () => {
    const p = nodeProjection('node-a', { maglevTableSize: 7 });
    for (const e of stored([
      event('NodeUpserted', node('node-a', [{ type: 'InternalIP', address: '192.168.0.10' }])),
      svcEvent(),
      sliceEvent(),
    ]))
      p.apply(e);
    const maps = p.desired();
    expect(p.position).toBe(3n);
    expect(maps.services.size).toBe(2);
    expect(maps.backends.size).toBe(1);
    expect(p.rejectedCount).toBe(0);
  });
});
