import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/events/envelope.js';
import type { MapFold } from '../../../src/projections/fold.js';
import { NodeProjection } from '../../../src/projections/nodeProjection.js';
import { foldEvents } from '../../../src/projections/streams/foldEvents.js';
import { stored, svcEvent } from '../builders.js';

const [e1, e2] = stored([svcEvent({ name: 'a' }), svcEvent({ name: 'b' })]) as [StoredEvent, StoredEvent];

/** Counts events; throws on Service "b" to stand for a buggy fold. */
const counting: MapFold<{ n: number }> = {
  name: 'counting',
  init: () => ({ n: 0 }),
  apply: (s, e) => {
    if (e.type === 'ServiceUpserted' && e.payload.name === 'b') throw new Error('boom on b');
    s.n++;
    return {
      state: s,
      deltas: [{ map: 'revNat', op: 'upsert', key: { id: s.n }, value: { address: '1.1.1.1', port: s.n } }],
    };
  },
  desired: () => ({}),
};

const summary = (p: NodeProjection) => foldEvents(p);

describe('foldEvents', () => {
  it('empty, one, many, error and never-ending sources', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const p = () => new NodeProjection('n', [counting]);
      expectObservable(cold<StoredEvent>('|').pipe(summary(p()))).toBe('|');
      expectObservable(cold<StoredEvent>('a|', { a: e1 }).pipe(summary(p()))).toBe('x|', {
        x: {
          position: 1n,
          deltas: [{ map: 'revNat', op: 'upsert', key: { id: 1 }, value: { address: '1.1.1.1', port: 1 } }],
          rejected: [],
        },
      });
      expectObservable(cold<StoredEvent>('a#', { a: e1 }).pipe(summary(p()))).toBe('x#', {
        x: {
          position: 1n,
          deltas: [{ map: 'revNat', op: 'upsert', key: { id: 1 }, value: { address: '1.1.1.1', port: 1 } }],
          rejected: [],
        },
      });
      expectObservable(cold<StoredEvent>('a', { a: e1 }).pipe(summary(p())), '^ 5ms !').toBe('x', {
        x: {
          position: 1n,
          deltas: [{ map: 'revNat', op: 'upsert', key: { id: 1 }, value: { address: '1.1.1.1', port: 1 } }],
          rejected: [],
        },
      });
    });
  });

  it('a throwing fold becomes a rejection naming the event, and the stream goes on', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      expectObservable(
        cold<StoredEvent>('ab|', { a: e1, b: e2 }).pipe(summary(new NodeProjection('n', [counting]))),
      ).toBe('xy|', {
        x: {
          position: 1n,
          deltas: [{ map: 'revNat', op: 'upsert', key: { id: 1 }, value: { address: '1.1.1.1', port: 1 } }],
          rejected: [],
        },
        y: {
          position: 2n,
          deltas: [],
          rejected: [
            {
              position: 2n,
              eventId: e2.id,
              eventType: 'ServiceUpserted',
              fold: 'counting',
              reason: 'fold threw: boom on b',
            },
          ],
        },
      });
    });
  });
});
