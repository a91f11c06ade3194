import type { MapDelta, MapEntry } from '../maps/delta.js';
import { emptyDesiredMaps, type MutableDesiredMaps, mapKeyId } from '../maps/keys.js';
import type { MapName } from '../maps/model.js';
import type { ApplyResult, MapBackend, MapFill } from './mapBackend.js';

/**
 * Maps in memory, as the kernel would hold them: what property tests and a laptop without root
 * run the agent against. `afterEachOp` sees the maps after every single operation (for
 * invariants that must hold at every instant, not only at the end of a batch).
 */
export class MemoryMapBackend implements MapBackend {
  readonly name = 'memory';
  readonly maps: MutableDesiredMaps = emptyDesiredMaps();
  /** Single-entry writes and deletes performed, by map. */
  readonly writes = new Map<MapName, number>();
  afterEachOp: ((maps: MutableDesiredMaps, op: MapDelta) => void) | undefined;

  constructor(private readonly maxEntries = 1 << 20) {}

  async dump<M extends MapName>(map: M): Promise<MapEntry<M>[]> {
    return [...(this.maps[map] as Map<string, MapEntry<M>>).values()];
  }

  async apply(ops: readonly MapDelta[]): Promise<ApplyResult> {
    for (const op of ops) {
      const target = this.maps[op.map] as Map<string, MapEntry<MapName>>;
      const id = mapKeyId(op.map, op.key as never);
      if (op.op === 'upsert') target.set(id, { key: op.key, value: op.value } as MapEntry<MapName>);
      else target.delete(id);
      this.writes.set(op.map, (this.writes.get(op.map) ?? 0) + 1);
      this.afterEachOp?.(this.maps, op);
    }
    return { applied: ops.length };
  }

  async fill(map: MapName): Promise<MapFill> {
    return { entries: this.maps[map].size, maxEntries: this.maxEntries };
  }

  /** Total single-entry operations so far. */
  get totalWrites(): number {
    let total = 0;
    for (const n of this.writes.values()) total += n;
    return total;
  }

  /** Changes a map behind the agent's back, as a person with bpftool would. */
  handEdit(op: MapDelta): void {
    const target = this.maps[op.map] as Map<string, MapEntry<MapName>>;
    const id = mapKeyId(op.map, op.key as never);
    if (op.op === 'upsert') target.set(id, { key: op.key, value: op.value } as MapEntry<MapName>);
    else target.delete(id);
  }

  async close(): Promise<void> {}
}
