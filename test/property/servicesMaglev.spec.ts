/**
 * Maglev properties at the default table size (M = 16381). Each backend takes one slot per round
 * of the populate loop, so shares differ by at most one slot. Removing a backend moves all of its
 * slots and, in 99% of random backend sets, at most 5% of the table besides (typically under
 * 1.5%); rare sets with nearly colliding hashes reshuffle more (CI runs met 5.15% and 32%).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAGLEV_TABLE_SIZE } from '../../src/projections/projectionOptions.js';
import { maglevTable } from '../../src/projections/services/maglev.js';

const M = DEFAULT_MAGLEV_TABLE_SIZE;
const MAX_EXTRA_MOVED = 0.05;

const backendsArb = fc
  .uniqueArray(
    fc.tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 1, max: 255 }),
      fc.integer({ min: 1, max: 65535 }),
    ),
    {
      minLength: 2,
      maxLength: 40,
      selector: ([a, b, p]) => `${a}.${b}:${p}`,
    },
  )
  .map((list) => list.map(([a, b, p], i) => ({ key: `10.${a}.0.${b}:${p}/TCP`, id: i + 1 })));

describe('Maglev properties', () => {
  it('each backend gets an equal share of the table (within one slot)', () => {
    fc.assert(
      fc.property(backendsArb, (backends) => {
        const table = maglevTable(backends, M);
        const counts = new Map<number, number>();
        for (const id of table) counts.set(id, (counts.get(id) ?? 0) + 1);
        expect(counts.size).toBe(backends.length);
        expect(Math.max(...counts.values()) - Math.min(...counts.values())).toBeLessThanOrEqual(1);
      }),
      { numRuns: 1000 },
    );
  });

  it(`removing one backend moves all of its slots, and in 99% of cases at most ${MAX_EXTRA_MOVED * 100}% more`, () => {
    // Over 1,000 random backend sets: the removed backend keeps no slot, ever; the other slots
    // that move stay under 5% of the table in 99% of the sets (typically under 1.5%). A rare set
    // whose hashes nearly coincide reshuffles more (a CI run met 32% with 3 backends), so the
    // bound is on the 99th percentile, and the worst case is only bounded loosely.
    const extras: number[] = [];
    for (const [backends, pick] of fc.sample(fc.tuple(backendsArb, fc.nat()), { numRuns: 1000 })) {
      const gone = backends[pick % backends.length]!;
      const before = maglevTable(backends, M);
      const after = maglevTable(
        backends.filter((b) => b !== gone),
        M,
      );
      let extra = 0;
      let stillThere = 0;
      for (let j = 0; j < M; j++) {
        if (after[j] === gone.id) stillThere++;
        if (before[j] !== gone.id && before[j] !== after[j]) extra++;
      }
      expect(stillThere).toBe(0);
      extras.push(extra / M);
    }
    extras.sort((a, b) => a - b);
    expect(extras[Math.floor(extras.length * 0.99)]!).toBeLessThanOrEqual(MAX_EXTRA_MOVED);
    expect(extras.at(-1)!).toBeLessThan(0.5);
  });

  it('the table depends on the set of backends, not on their order', () => {
    fc.assert(
      fc.property(backendsArb, (backends) => {
        expect(maglevTable([...backends].reverse(), 251)).toEqual(maglevTable(backends, 251));
      }),
      { numRuns: 1000 },
    );
  });
});
