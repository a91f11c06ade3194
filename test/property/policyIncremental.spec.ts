/**
 * Incremental deltas and from-scratch state agree, for any event sequence: creates, updates
 * (label changes included), deletes, CNI ADD/DEL, bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../src/events/envelope.js';
import type { DesiredMaps } from '../../src/maps/delta.js';
import { applyDeltas, emptyDesiredMaps, mapKeyId } from '../../src/maps/keys.js';
import { policyDesired, policyFold } from '../../src/projections/policy/policyFold.js';
import { eventSequenceArb } from '../projections/policy/arbitraries.js';
import { normalizedMaps } from '../projections/policy/normalize.js';

/**
 * The log a snapshot would keep: the last upsert of every object still present (and of every
 * CNI attachment still attached), in log order.
 */
function compact(events: readonly AnyEvent[]): AnyEvent[] {
  const last = new Map<string, { index: number; event: AnyEvent | null }>();
  events.forEach((e, index) => {
    const p = e.payload as unknown as Record<string, unknown>;
    const kind = e.type.replace(/Upserted|Deleted|Added/, '');
    const id =
      kind === 'Cni'
        ? `${kind}/${p.node}/${p.containerId}/${p.ifName}`
        : `${kind}/${p.namespace ?? ''}/${p.name}`;
    last.set(id, { index, event: /Deleted$/.test(e.type) ? null : e });
  });
  return [...last.values()]
    .filter((x) => x.event !== null)
    .sort((a, b) => a.index - b.index)
    .map((x) => x.event!);
}

/**
 * Keys whose entries differ between two map sets (the policy fold's maps only): far cheaper
 * than a deep equality of Maps, and it names what differs.
 */
function mismatches(a: Partial<DesiredMaps>, b: Partial<DesiredMaps>): string[] {
  const out: string[] = [];
  for (const name of ['ipcache', 'policy', 'endpoints'] as const) {
    const x = a[name] as ReadonlyMap<string, unknown>;
    const y = b[name] as ReadonlyMap<string, unknown>;
    for (const [id, entry] of y)
      if (JSON.stringify(x.get(id)) !== JSON.stringify(entry)) out.push(`${name} ${id}`);
    for (const id of x.keys()) if (!y.has(id)) out.push(`${name} ${id} (extra)`);
  }
  return out;
}

describe('policy projection, incremental', () => {
  it('deltas applied to empty maps equal the desired state after every event', () => {
    fc.assert(
      fc.property(eventSequenceArb, (events) => {
        let state = policyFold.init('n1');
        const applied = emptyDesiredMaps();
        for (const e of events) {
          const result = policyFold.apply(state, e);
          state = result.state;
          // One delta per key and apply: a node agent may batch them in any order.
          const keys = result.deltas.map((d) => `${d.map} ${mapKeyId(d.map, d.key as never)}`);
          expect(new Set(keys).size).toBe(keys.length);
          // `created` (the coalescing hint) is set exactly on upserts of keys that did not exist.
          for (const d of result.deltas) {
            if (d.op !== 'upsert') continue;
            const existed = (applied[d.map] as Map<string, unknown>).has(mapKeyId(d.map, d.key as never));
            expect({ key: d.key, created: d.created === true }).toEqual({ key: d.key, created: !existed });
          }
          applyDeltas(applied, result.deltas);
          expect(mismatches(applied, policyDesired(state))).toEqual([]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the maps after any history equal the maps folded from scratch from the surviving objects', () => {
    fc.assert(
      fc.property(eventSequenceArb, (events) => {
        // After every event, not only the last: a missed recomputation may be healed by a later
        // event that happens to touch the same endpoint.
        let state = policyFold.init('n1');
        events.forEach((e, i) => {
          state = policyFold.apply(state, e).state;
          let scratch = policyFold.init('n1');
          for (const c of compact(events.slice(0, i + 1))) scratch = policyFold.apply(scratch, c).state;
          const actual = normalizedMaps(state, policyDesired(state));
          const expected = normalizedMaps(scratch, policyDesired(scratch));
          // Strings first (cheap); the deep equality only to print a readable diff.
          if (actual.join('\n') !== expected.join('\n')) expect(actual).toEqual(expected);
        });
      }),
      { numRuns: 1000 },
    );
  });
});
