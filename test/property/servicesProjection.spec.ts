/**
 * Property tests of the services fold on random event sequences (creates, updates, deletes,
 * slices before their Service or moving between Services, node address changes, bad input).
 * fast-check prints the seed and the shrunk counterexample of a failure; replay it with
 * `fc.assert(..., { seed, path })`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../src/events/envelope.js';
import type { EndpointSliceUpserted, ServiceUpserted } from '../../src/events/payloads.js';
import { applyDeltas, desiredToDeltas, emptyDesiredMaps } from '../../src/maps/keys.js';
import { servicesFold } from '../../src/projections/services/servicesFold.js';
import { compactLog, serviceEventsArb } from '../projections/servicesArbitraries.js';
import { oracleView } from '../projections/servicesOracle.js';
import { logicalView, servicesViolations } from '../projections/servicesView.js';

const M = 13;
const options = { maglevTableSize: M };
const NUM_RUNS = 1000;

function foldAll(events: readonly AnyEvent[], node = 'node-a') {
  let state = servicesFold.init(node, options);
  const applied = emptyDesiredMaps();
  const trace: string[] = [];
  for (const e of events) {
    const r = servicesFold.apply(state, e);
    state = r.state;
    applyDeltas(applied, r.deltas);
    trace.push(JSON.stringify(r.deltas));
  }
  return { state, applied, trace };
}

describe('services projection properties', () => {
  it('incremental deltas applied to empty maps equal the full desired state folded from scratch', () => {
    fc.assert(
      fc.property(serviceEventsArb(), (events) => {
        const { applied } = foldAll(events);
        const scratch = foldAll(events).state;
        expect(desiredToDeltas(applied)).toEqual(desiredToDeltas(servicesFold.desired(scratch)));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('every prefix keeps the slot invariant: slots 1..count name existing backends, nothing beyond count', () => {
    fc.assert(
      fc.property(serviceEventsArb(), (events) => {
        let state = servicesFold.init('node-a', options);
        const applied = emptyDesiredMaps();
        for (const e of events) {
          const r = servicesFold.apply(state, e);
          state = r.state;
          applyDeltas(applied, r.deltas);
          expect(servicesViolations(applied, M)).toEqual([]);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('replay determinism: the same log gives identical deltas, maps and ids', () => {
    fc.assert(
      fc.property(serviceEventsArb(), fc.constantFrom('node-a', 'node-b'), (events, node) => {
        const a = foldAll(events, node);
        const b = foldAll(events, node);
        expect(b.trace).toEqual(a.trace);
        expect(JSON.stringify(desiredToDeltas(b.applied))).toBe(JSON.stringify(desiredToDeltas(a.applied)));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('history independence: the maps of a log equal (up to ids and slot order) those of its final objects alone', () => {
    fc.assert(
      fc.property(serviceEventsArb(), (events) => {
        const full = foldAll(events).applied;
        const compact = foldAll(compactLog(events)).applied;
        expect(logicalView(full)).toEqual(logicalView(compact));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('Kubernetes semantics: the maps serve exactly what a direct evaluator of the final objects says', () => {
    fc.assert(
      fc.property(serviceEventsArb(), fc.constantFrom('node-a', 'node-b'), (events, node) => {
        const finals = compactLog(events);
        const services = finals.flatMap((e) =>
          e.type === 'ServiceUpserted' ? [e.payload as ServiceUpserted] : [],
        );
        const slices = finals.flatMap((e) =>
          e.type === 'EndpointSliceUpserted' ? [e.payload as EndpointSliceUpserted] : [],
        );
        const nodeEvent = finals.find((e) => e.type === 'NodeUpserted' && e.payload.name === node);
        const addrs =
          nodeEvent?.type === 'NodeUpserted'
            ? [
                ...new Set(
                  nodeEvent.payload.addresses
                    .filter(
                      (a) => (a.type === 'InternalIP' || a.type === 'ExternalIP') && !a.address.includes(':'),
                    )
                    .map((a) => a.address),
                ),
              ]
            : [];
        const view = logicalView(foldAll(events, node).applied);
        expect(view).toEqual(oracleView(services, slices, node, addrs));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('an unrelated change never renumbers existing entries', () => {
    fc.assert(
      fc.property(serviceEventsArb(30), serviceEventsArb(10), (before, more) => {
        // Restrict `more` to Service "c" and its own slice names so it is unrelated to a/b entries.
        const unrelated = more.filter(
          (e) =>
            (e.type === 'ServiceUpserted' && e.payload.name === 'c') ||
            (e.type === 'ServiceDeleted' && e.payload.name === 'c'),
        );
        const base = before.filter(
          (e) => !(e.type.startsWith('Service') && (e.payload as { name: string }).name === 'c'),
        );
        const a = foldAll(base).applied;
        const b = foldAll([...base, ...unrelated]).applied;
        for (const [id, entry] of a.services) {
          const mine =
            entry.key.address.startsWith('10.96.') ||
            entry.key.address.startsWith('198.5') ||
            entry.key.address.startsWith('203.');
          if (mine && !entry.key.address.endsWith('.3')) expect(b.services.get(id)).toEqual(entry);
        }
        // Every backend (all belong to a or b) keeps its id; its state may change if Service "c"
        // uses it in another condition.
        const identity = (v: { address: string; port: number; proto: string }) =>
          `${v.address}:${v.port}/${v.proto}`;
        for (const [id, entry] of a.backends) {
          const other = b.backends.get(id);
          expect(other && identity(other.value)).toBe(identity(entry.value));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
