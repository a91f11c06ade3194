/** Folds events with the services fold and reads the result back in a test-friendly shape. */
import type { AnyEvent } from '../../src/events/envelope.js';
import type { MapDelta } from '../../src/maps/delta.js';
import { applyDeltas, emptyDesiredMaps, type MutableDesiredMaps } from '../../src/maps/keys.js';
import type { ServiceMaster, ServiceSlot } from '../../src/maps/model.js';
import type { ProjectionOptions } from '../../src/projections/fold.js';
import { servicesFold } from '../../src/projections/services/servicesFold.js';
import type { ServicesState } from '../../src/projections/services/servicesState.js';

export interface Folded {
  readonly state: ServicesState;
  /** Every delta applied in order to empty maps. */
  readonly applied: MutableDesiredMaps;
  readonly rejected: string[];
  readonly lastDeltas: readonly MapDelta[];
}

/** Folds `events` for `node` from an empty state. */
export function foldServices(
  events: readonly AnyEvent[],
  node = 'node-a',
  options: ProjectionOptions = {},
): Folded {
  let state = servicesFold.init(node, options);
  const applied = emptyDesiredMaps();
  const rejected: string[] = [];
  let lastDeltas: readonly MapDelta[] = [];
  for (const e of events) {
    const r = servicesFold.apply(state, e);
    state = r.state;
    applyDeltas(applied, r.deltas);
    rejected.push(...(r.rejected ?? []));
    lastDeltas = r.deltas;
  }
  return { state, applied, rejected, lastDeltas };
}

/** A frontend as the datapath sees it: its master and the backends its slots name, in slot order. */
export interface FrontendView {
  readonly master: ServiceMaster;
  readonly backends: string[];
}

/** `address:port/proto@scope` → master and `ip:port` of each slot's backend, read from the maps. */
export function frontends(maps: MutableDesiredMaps): Record<string, FrontendView> {
  const out: Record<string, FrontendView> = {};
  const slots = new Map<string, (ServiceSlot & { slot: number })[]>();
  for (const { key, value } of maps.services.values()) {
    const fe = `${key.address}:${key.port}/${key.proto}@${key.scope}`;
    if (value.kind === 'master') out[fe] = { master: value, backends: [] };
    else slots.set(fe, [...(slots.get(fe) ?? []), { ...value, slot: key.slot }]);
  }
  for (const [fe, list] of slots) {
    const view = out[fe];
    if (view === undefined) throw new Error(`slots without master at ${fe}`);
    for (const s of list.sort((a, b) => a.slot - b.slot)) {
      const b = maps.backends.get(String(s.backendId));
      if (b === undefined) throw new Error(`slot ${s.slot} of ${fe} names missing backend ${s.backendId}`);
      view.backends.push(`${b.value.address}:${b.value.port}`);
    }
  }
  return out;
}

/** Sorted backends of one frontend (`address:port/proto@scope`), or undefined if absent. */
export function backendsOf(maps: MutableDesiredMaps, fe: string): string[] | undefined {
  return frontends(maps)[fe]?.backends.slice().sort();
}
