/** Replay determinism: the same log gives identical maps, identity numbers and endpoint ids. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { desiredToDeltas } from '../../src/maps/keys.js';
import { policyDesired } from '../../src/projections/policy/policyFold.js';
import { eventSequenceArb } from '../projections/policy/arbitraries.js';
import { foldEvents } from '../projections/policy/builders.js';

describe('policy projection, replay', () => {
  it('folding the same log twice gives byte-identical maps and the same deltas', () => {
    fc.assert(
      fc.property(eventSequenceArb, (events) => {
        const first = foldEvents('n1', events);
        const second = foldEvents('n1', events);
        expect(JSON.stringify(second.deltas)).toBe(JSON.stringify(first.deltas));
        expect(JSON.stringify(desiredToDeltas(policyDesired(second.state)))).toBe(
          JSON.stringify(desiredToDeltas(policyDesired(first.state))),
        );
        expect([...second.state.identitiesById.keys()]).toEqual([...first.state.identitiesById.keys()]);
        expect(second.rejected).toEqual(first.rejected);
      }),
      { numRuns: 1000 },
    );
  });

  it('every node allocates the same identity numbers for the same log', () => {
    fc.assert(
      fc.property(eventSequenceArb, (events) => {
        const n1 = foldEvents('n1', events).state;
        const n2 = foldEvents('n2', events).state;
        const numbers = (s: typeof n1) =>
          [...s.identitiesByKey].map(([key, identity]) => [key, identity.id]).sort();
        expect(numbers(n2)).toEqual(numbers(n1));
        expect([...n2.cidrs].map(([text, c]) => [text, c.id])).toEqual(
          [...n1.cidrs].map(([text, c]) => [text, c.id]),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
