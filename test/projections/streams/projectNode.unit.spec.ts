import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/events/envelope.js';
import type { NodeOutput } from '../../../src/projections/deltaBatch.js';
import type { MapFold } from '../../../src/projections/fold.js';
import { NodeProjection } from '../../../src/projections/nodeProjection.js';
import { servicesFold } from '../../../src/projections/services/servicesFold.js';
import { projectNode } from '../../../src/projections/streams/projectNode.js';
import { sliceEvent, stored, svcDeleted, svcEvent } from '../builders.js';

const [svcA, sliceA, delA, svcB, badSvc] = stored([
  svcEvent({ name: 'a', clusterIPs: ['10.96.0.1'] }),
  sliceEvent({ name: 'a-1', serviceName: 'a' }),
  svcDeleted('default', 'a'),
  svcEvent({ name: 'b', clusterIPs: ['10.96.0.2'] }),
  svcEvent({ name: 'bad', clusterIPs: ['10.96.0.999'] }),
]) as [StoredEvent, StoredEvent, StoredEvent, StoredEvent, StoredEvent];

const events = { a: svcA, s: sliceA, d: delA, b: svcB, x: badSvc };

/** A compact, comparable summary of an output: `events/deltas@position`, rejections, or `full@position`. */
const summary = (o: NodeOutput): string =>
  o.kind === 'full'
    ? `full:${o.maps.services.size}@${o.position}`
    : `${o.events}/${o.deltas.length}@${o.position}${o.rejected.length > 0 ? `!${o.rejected.length}` : ''}`;

function run(
  body: (h: {
    cold: TestScheduler['createColdObservable'];
    hot: TestScheduler['createHotObservable'];
    expect: (
      o: Observable<NodeOutput>,
      sub?: string,
    ) => { toBe(marbles: string, values?: Record<string, string>): void };
  }) => void,
) {
  new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, hot, expectObservable }) =>
    body({ cold, hot, expect: (o, sub) => expectObservable(o.pipe(map(summary)), sub) }),
  );
}

const services = () => new NodeProjection('node-a', [servicesFold]);

describe('projectNode', () => {
  it('empty: completes without a batch', () => {
    run(({ cold, expect }) => {
      expect(cold<StoredEvent>('|').pipe(projectNode(services(), { windowMs: 10 }))).toBe('|');
    });
  });

  it('one event: one batch when the window closes', () => {
    run(({ cold, expect }) => {
      expect(cold<StoredEvent>('a 20ms |', events).pipe(projectNode(services(), { windowMs: 10 }))).toBe(
        '10ms x 10ms |',
        {
          x: '1/2@1',
        },
      );
    });
  });

  it('many events: coalesced per window, the position is the last event folded', () => {
    run(({ cold, expect }) => {
      const src = cold<StoredEvent>('as 20ms b 20ms |', events);
      expect(src.pipe(projectNode(services(), { windowMs: 10 }))).toBe('10ms x 21ms y 10ms |', {
        x: '2/4@2',
        y: '1/2@4',
      });
    });
  });

  it('a Service created and deleted inside one window produces no map work', () => {
    run(({ cold, expect }) => {
      expect(cold<StoredEvent>('asd|', events).pipe(projectNode(services(), { windowMs: 10 }))).toBe(
        '---(x|)',
        {
          x: '3/0@3',
        },
      );
    });
  });

  it('error: pending work is flushed, then the error is forwarded', () => {
    run(({ cold, expect }) => {
      expect(cold<StoredEvent>('a#', events).pipe(projectNode(services(), { windowMs: 10 }))).toBe('-(x#)', {
        x: '1/2@1',
      });
    });
  });

  it('never-ending: batches keep coming, no completion', () => {
    run(({ cold, expect }) => {
      expect(cold<StoredEvent>('a 20ms b', events).pipe(projectNode(services(), { windowMs: 10 }))).toBe(
        '10ms x 20ms y',
        {
          x: '1/2@1',
          y: '1/2@4',
        },
      );
    });
  });

  it('early unsubscribe: the open window is cancelled and nothing more is emitted', () => {
    run(({ cold, expect }) => {
      expect(
        cold<StoredEvent>('a 20ms b', events).pipe(projectNode(services(), { windowMs: 10 })),
        '^ 5ms !',
      ).toBe('');
    });
  });

  it('a throwing fold is counted as a rejection; the stream and the other folds go on', () => {
    const boom: MapFold<null> = {
      name: 'boom',
      init: () => null,
      apply: () => {
        throw new Error('kaput');
      },
      desired: () => ({}),
    };
    const p = new NodeProjection('node-a', [boom, servicesFold]);
    run(({ cold, expect }) => {
      expect(cold<StoredEvent>('a|', events).pipe(projectNode(p, { windowMs: 0 }))).toBe('a|', {
        a: '1/2@1!1',
      });
    });
    expect(p.rejectedCount).toBe(1);
  });

  it('an event the fold cannot use is reported with a reason and skipped', () => {
    const outs: NodeOutput[] = [];
    run(({ cold }) => {
      cold<StoredEvent>('x|', events)
        .pipe(projectNode(services(), { windowMs: 0 }))
        .subscribe((o) => outs.push(o));
    });
    const batch = outs[0]!;
    expect(batch.kind === 'deltas' && batch.rejected.map((r) => [r.position, r.eventType, r.reason])).toEqual(
      [[5n, 'ServiceUpserted', 'Service default/bad: invalid clusterIP "10.96.0.999"']],
    );
  });

  it('resync: pending deltas are flushed, then the full state as of the same position', () => {
    run(({ cold, hot, expect }) => {
      const resync$ = hot('--r');
      expect(
        cold<StoredEvent>('as 20ms |', events).pipe(projectNode(services(), { windowMs: 10, resync$ })),
      ).toBe('--(xf) 16ms |', { x: '2/4@2', f: 'full:2@2' });
    });
  });

  it('re-delivered events (a re-tail that overlaps) are ignored', () => {
    run(({ cold, expect }) => {
      expect(cold<StoredEvent>('aa|', events).pipe(projectNode(services(), { windowMs: 0 }))).toBe('xy|', {
        x: '1/2@1',
        y: '1/0@1',
      });
    });
  });
});
