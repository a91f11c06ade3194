import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { MapDelta } from '../../../src/maps/delta.js';
import type { DeltaBatch } from '../../../src/projections/deltaBatch.js';
import type { FoldDelta } from '../../../src/projections/fold.js';
import type { FoldStep } from '../../../src/projections/nodeProjection.js';
import { coalesceSteps } from '../../../src/projections/streams/coalesceSteps.js';

const rn = (id: number, port = 80): FoldDelta => ({
  map: 'revNat',
  op: 'upsert',
  key: { id },
  value: { address: '10.96.0.1', port },
});
const created = (d: FoldDelta): FoldDelta => ({ ...d, created: true }) as FoldDelta;
const del = (id: number): MapDelta => ({ map: 'revNat', op: 'delete', key: { id } });
const step = (position: number, ...deltas: FoldDelta[]): FoldStep => ({
  position: BigInt(position),
  deltas,
  rejected: [],
});
const steps = {
  a: step(1, created(rn(1))),
  b: step(2, rn(1, 81)),
  c: step(3, del(1)),
  d: step(4, del(2)),
};
const batch = (position: number, events: number, deltas: MapDelta[]): DeltaBatch => ({
  kind: 'deltas',
  node: 'n',
  position: BigInt(position),
  events,
  deltas,
  rejected: [],
});

const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('coalesceSteps', () => {
  it('empty: completes without a batch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<FoldStep>('|').pipe(coalesceSteps('n', 5))).toBe('|');
    });
  });

  it('one step: one batch at the end of its window, without the created hint', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<FoldStep>('a 9ms |', steps).pipe(coalesceSteps('n', 5))).toBe('5ms x 4ms |', {
        x: batch(1, 1, [rn(1)]),
      });
    });
  });

  it('many steps: net per key; created then updated is one upsert; created then deleted is nothing', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<FoldStep>('ab 9ms ac 9ms |', steps).pipe(coalesceSteps('n', 5))).toBe(
        '5ms x 10ms y 5ms |',
        {
          x: batch(2, 2, [rn(1, 81)]),
          y: batch(3, 2, []),
        },
      );
    });
  });

  it('a delete of a key not created in the window is kept', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<FoldStep>('d|', steps).pipe(coalesceSteps('n', 0))).toBe('x|', {
        x: batch(4, 1, [del(2)]),
      });
    });
  });

  it('a step reusing an id freed earlier in the window closes the batch first', () => {
    const be = (id: number, address: string): FoldDelta => ({
      map: 'backends',
      op: 'upsert',
      key: { id },
      value: { address, port: 80, proto: 'TCP', state: 'active' },
    });
    const freeThenReuse = {
      f: step(1, { map: 'backends', op: 'delete', key: { id: 1 } }),
      r: step(2, created(be(1, '10.0.0.9'))),
    };
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<FoldStep>('fr 9ms |', freeThenReuse).pipe(coalesceSteps('n', 5))).toBe(
        '-x 4ms y 4ms |',
        {
          x: batch(1, 1, [{ map: 'backends', op: 'delete', key: { id: 1 } }]),
          y: batch(2, 1, [be(1, '10.0.0.9') as MapDelta]),
        },
      );
    });
  });

  it('error: flushes, then errors', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<FoldStep>('a#', steps).pipe(coalesceSteps('n', 5))).toBe('-(x#)', {
        x: batch(1, 1, [rn(1)]),
      });
    });
  });

  it('never-ending and early unsubscribe: open windows are cancelled with the subscription', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<FoldStep>('a 9ms b', steps).pipe(coalesceSteps('n', 5)), '^ 7ms !').toBe(
        '5ms x',
        {
          x: batch(1, 1, [rn(1)]),
        },
      );
    });
  });
});
