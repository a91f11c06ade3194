/** What the live projection had at every position: the oracle replay is compared with. */
import type { StoredEvent } from '../../src/events/envelope.js';
import type { DesiredMaps } from '../../src/maps/delta.js';
import { desiredToDeltas } from '../../src/maps/keys.js';
import { nodeProjection } from '../../src/projections/nodeFolds.js';

export const MAGLEV = { maglevTableSize: 7 } as const;

/** Canonical bytes of a map set. */
export const canonical = (maps: Partial<DesiredMaps>): string => JSON.stringify(desiredToDeltas(maps));

/** Folds the log once, live, recording the canonical state after every event and each step's deltas. */
export function recordLive(node: string, events: readonly StoredEvent[]) {
  const projection = nodeProjection(node, MAGLEV);
  const states: string[] = [canonical(projection.desired())];
  const maps: DesiredMaps[] = [projection.desired()];
  const steps: string[] = [];
  for (const e of events) {
    steps.push(JSON.stringify(projection.apply(e).deltas));
    const d = projection.desired();
    maps.push(d);
    states.push(canonical(d));
  }
  return { states, maps, steps };
}
