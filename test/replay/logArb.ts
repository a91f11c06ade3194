/** Logs for replay tests: services and policy events interleaved, with actors, ids made unique. */
import fc from 'fast-check';
import { type AnyEvent, actorNamed } from '../../src/events/envelope.js';
import { eventSequenceArb } from '../projections/policy/arbitraries.js';
import { serviceEventsArb } from '../projections/servicesArbitraries.js';

const ACTORS = ['alice', 'bob', 'kube-controller-manager', 'cni:n1'];

/** An interleaving of Service/EndpointSlice/Node and Pod/Namespace/NetworkPolicy/CNI events. */
export const replayLogArb: fc.Arbitrary<AnyEvent[]> = fc
  .tuple(serviceEventsArb(14), eventSequenceArb)
  .chain(([a, b]) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: a.length + b.length, maxLength: a.length + b.length }),
        fc.array(fc.constantFrom(...ACTORS), {
          minLength: a.length + b.length,
          maxLength: a.length + b.length,
        }),
      )
      .map(([picks, actors]) => {
        const out: AnyEvent[] = [];
        let i = 0;
        let j = 0;
        for (const p of picks) out.push((p && i < a.length) || j >= b.length ? a[i++]! : b[j++]!);
        // Unique ids: the log is idempotent by id, and generators may repeat one.
        return out.map((e, k) => ({
          ...e,
          id: `${e.id}#${k}`,
          actor: actorNamed(actors[k]!),
          timeMs: 1_700_000_000_000 + k * 1000,
        })) as AnyEvent[];
      }),
  );
