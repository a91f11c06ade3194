import type { DesiredMaps, MapEntry } from '../../src/maps/delta.js';
import { mapKeyId } from '../../src/maps/keys.js';

/**
 * Violations of the service slot invariant in `maps`: for every master entry with count c, slots
 * 1..c exist and name backends that exist. (Slots beyond the count may linger: nothing reads them.)
 */
export function slotInvariantViolations(maps: DesiredMaps): string[] {
  const violations: string[] = [];
  for (const { key, value } of maps.services.values() as IterableIterator<MapEntry<'services'>>) {
    if (key.slot !== 0 || value.kind !== 'master') continue;
    for (let slot = 1; slot <= value.count; slot++) {
      const id = mapKeyId('services', { ...key, slot });
      const entry = maps.services.get(id);
      if (entry === undefined) violations.push(`${id} missing under count ${value.count}`);
      else if (entry.value.kind !== 'slot') violations.push(`${id} is not a slot`);
      else if (!maps.backends.has(String(entry.value.backendId))) {
        violations.push(`${id} names backend ${entry.value.backendId}, which does not exist`);
      }
    }
  }
  return violations;
}
