import type { DesiredMaps, MapDelta, MapEntry } from '../maps/delta.js';
import { cloneDesiredMaps, emptyDesiredMaps, type MutableDesiredMaps, mapKeyId } from '../maps/keys.js';
import { MAP_NAMES, type MapName } from '../maps/model.js';
import { sameValue } from '../maps/sameValue.js';
import { orderDeltas } from '../projections/orderDeltas.js';
import type { MapBackend, MapOpError } from './mapBackend.js';

/** The reconcile status of an entry whose last write failed. */
export interface EntryStatus {
  readonly map: MapName;
  readonly keyId: string;
  readonly op: 'upsert' | 'delete';
  readonly error: string;
  readonly attempts: number;
  readonly sinceMs: number;
}

/** The outcome of one flush: how many operations took effect, and the failure that stopped it. */
export interface FlushResult {
  readonly applied: number;
  readonly pending: number;
  readonly failure?: MapOpError;
}

export interface ReconcilerHooks {
  /** Called after each backend call with the operations that took effect. */
  onApplied?(map: MapName, op: 'upsert' | 'delete', count: number): void;
  onFailed?(status: EntryStatus): void;
  now?(): number;
}

type AnyEntry = MapEntry<MapName>;

/** What one drift scan found: per map, the differing entries with the maps' value (undefined: absent). */
export interface DriftScan {
  readonly found: ReadonlyMap<MapName, ReadonlyMap<string, AnyEntry | undefined>>;
  /** Ids the reconciler wrote while the scan ran (and until it is marked). */
  readonly written: ReadonlyMap<MapName, Set<string>>;
}

/** Entries compared between two yields to the event loop. */
const SCAN_SLICE = 4096;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Keeps what the maps hold (`actual`, read back from the backend at start) and what they should
 * hold (`desired`), and writes only the difference, in the safe order of `orderDeltas`: new
 * backends before the slots that name them, slots before the master entry that counts them,
 * trailing slots after the count shrank, backends last; policy added before removed.
 * A failed operation stops the flush (later operations may depend on it), is recorded in the
 * entry's status and is retried by the next flush; nothing is dropped.
 */
export class Reconciler {
  private actual: MutableDesiredMaps = emptyDesiredMaps();
  private desired: MutableDesiredMaps = emptyDesiredMaps();
  private readonly dirty = new Map<MapName, Set<string>>(MAP_NAMES.map((m) => [m, new Set<string>()]));
  readonly status = new Map<string, EntryStatus>();
  /** Deleting entries the desired state does not name waits until every source has synced. */
  pruneAllowed = false;
  /** The ids each running drift scan has seen written (see scanDrift). */
  private readonly scans = new Set<Map<MapName, Set<string>>>();

  constructor(
    private readonly backend: MapBackend,
    private readonly hooks: ReconcilerHooks = {},
  ) {}

  /** Reads every map back from the backend: the truth the first diff starts from. */
  async loadActual(): Promise<void> {
    this.actual = emptyDesiredMaps();
    for (const map of MAP_NAMES) {
      const target = this.actual[map] as Map<string, AnyEntry>;
      for (const entry of await this.backend.dump(map)) target.set(mapKeyId(map, entry.key as never), entry);
    }
  }

  /** Replaces the desired state (start-up, resync); every entry that may differ becomes dirty. */
  setDesired(maps: DesiredMaps): void {
    this.desired = cloneDesiredMaps(maps);
    for (const map of MAP_NAMES) {
      const dirty = this.dirty.get(map)!;
      for (const id of this.actual[map].keys()) dirty.add(id);
      for (const id of this.desired[map].keys()) dirty.add(id);
    }
  }

  /** Folds projection deltas into the desired state. */
  applyDeltas(deltas: Iterable<MapDelta>): void {
    for (const delta of deltas) {
      const id = mapKeyId(delta.map, delta.key as never);
      const target = this.desired[delta.map] as Map<string, AnyEntry>;
      if (delta.op === 'upsert') target.set(id, { key: delta.key, value: delta.value } as AnyEntry);
      else target.delete(id);
      this.dirty.get(delta.map)!.add(id);
    }
  }

  /** The operations that would make the maps desired, in safe order (deletes only once pruning is allowed). */
  pendingOps(): MapDelta[] {
    const ops: MapDelta[] = [];
    for (const map of MAP_NAMES) {
      const dirty = this.dirty.get(map)!;
      const desired = this.desired[map] as Map<string, AnyEntry>;
      const actual = this.actual[map] as Map<string, AnyEntry>;
      for (const id of dirty) {
        const want = desired.get(id);
        const have = actual.get(id);
        if (want !== undefined) {
          if (have === undefined || !sameValue(have.value, want.value)) {
            ops.push({ map, op: 'upsert', key: want.key, value: want.value } as MapDelta);
          } else dirty.delete(id);
        } else if (have !== undefined) {
          if (this.pruneAllowed) ops.push({ map, op: 'delete', key: have.key } as MapDelta);
        } else dirty.delete(id);
      }
    }
    return orderDeltas(ops);
  }

  /** Writes the pending operations, grouped into runs of one map and kind (one batch call each). */
  async flush(): Promise<FlushResult> {
    const ops = this.pendingOps();
    let applied = 0;
    for (let start = 0; start < ops.length; ) {
      let end = start + 1;
      while (end < ops.length && ops[end]!.map === ops[start]!.map && ops[end]!.op === ops[start]!.op) end++;
      const run = ops.slice(start, end);
      const result = await this.backend.apply(run);
      for (let i = 0; i < result.applied; i++) this.record(run[i]!);
      if (result.applied > 0) this.hooks.onApplied?.(run[0]!.map, run[0]!.op, result.applied);
      applied += result.applied;
      if (result.error) {
        this.fail(run[result.applied]!, result.error);
        return { applied, pending: ops.length - applied, failure: result.error };
      }
      start = end;
    }
    return { applied, pending: 0 };
  }

  /**
   * Reads the maps back and marks every entry that differs from what the reconciler believed
   * (someone edited a map by hand, or a write was lost): the next flush repairs them.
   * Returns how many entries had drifted.
   */
  async detectDrift(): Promise<number> {
    return this.markDrift(await this.scanDrift());
  }

  /**
   * The comparison half of a drift check, made to run beside writes: it reads the maps back and
   * compares them with what the reconciler believes a slice at a time, yielding to the event loop
   * in between (on 100k Services the maps hold a million entries, seconds of work that must not
   * stall the changes flowing meanwhile). An entry the reconciler writes during the scan is not
   * drift: the kernel holds what was just written, so it is left out here and in `markDrift`.
   */
  async scanDrift(): Promise<DriftScan> {
    const written = new Map<MapName, Set<string>>(MAP_NAMES.map((m) => [m, new Set<string>()]));
    this.scans.add(written);
    const found = new Map<MapName, Map<string, AnyEntry | undefined>>();
    try {
      for (const map of MAP_NAMES) {
        const believed = this.actual[map] as Map<string, AnyEntry>;
        const real = new Map<string, AnyEntry>();
        const drift = new Map<string, AnyEntry | undefined>();
        let work = 0;
        for (const entry of await this.backend.dump(map)) {
          real.set(mapKeyId(map, entry.key as never), entry);
          if (++work % SCAN_SLICE === 0) await yieldToEventLoop();
        }
        for (const [id, a] of believed) {
          const b = real.get(id);
          if (b === undefined || !sameValue(a.value, b.value)) drift.set(id, b);
          if (++work % SCAN_SLICE === 0) await yieldToEventLoop();
        }
        for (const [id, b] of real) {
          if (!believed.has(id)) drift.set(id, b);
          if (++work % SCAN_SLICE === 0) await yieldToEventLoop();
        }
        found.set(map, drift);
      }
    } catch (error) {
      this.scans.delete(written);
      throw error;
    }
    return { found, written };
  }

  /**
   * The marking half: each entry found drifted and not written since its scan began becomes
   * dirty. Ends the scan (writes stop being tracked for it).
   */
  markDrift(scan: DriftScan): number {
    this.scans.delete(scan.written as Map<MapName, Set<string>>);
    let drifted = 0;
    for (const [map, drift] of scan.found) {
      const believed = this.actual[map] as Map<string, AnyEntry>;
      const written = scan.written.get(map)!;
      const dirty = this.dirty.get(map)!;
      for (const [id, real] of drift) {
        if (written.has(id)) continue;
        drifted++;
        if (real === undefined) believed.delete(id);
        else believed.set(id, real);
        dirty.add(id);
      }
    }
    return drifted;
  }

  /** The desired contents of every map. */
  desiredMaps(): DesiredMaps {
    return this.desired;
  }

  /** What the reconciler believes the maps hold. */
  actualMaps(): DesiredMaps {
    return this.actual;
  }

  /** Whether every desired entry is written and nothing stale remains (deletes allowed or not). */
  get converged(): boolean {
    return this.pendingOps().length === 0 && [...this.dirty.values()].every((d) => d.size === 0);
  }

  private record(op: MapDelta): void {
    const id = mapKeyId(op.map, op.key as never);
    const actual = this.actual[op.map] as Map<string, AnyEntry>;
    if (op.op === 'upsert') actual.set(id, { key: op.key, value: op.value } as AnyEntry);
    else actual.delete(id);
    for (const written of this.scans) written.get(op.map)!.add(id);
    this.status.delete(`${op.map} ${id}`);
    // Deltas that arrived while this flush ran may have changed the desired entry again.
    const want = (this.desired[op.map] as Map<string, AnyEntry>).get(id);
    const have = actual.get(id);
    const done =
      want === undefined ? have === undefined : have !== undefined && sameValue(want.value, have.value);
    if (done) this.dirty.get(op.map)!.delete(id);
  }

  private fail(op: MapDelta, error: MapOpError): void {
    const keyId = mapKeyId(op.map, op.key as never);
    const previous = this.status.get(`${op.map} ${keyId}`);
    const status: EntryStatus = {
      map: op.map,
      keyId,
      op: op.op,
      error: error.message,
      attempts: (previous?.attempts ?? 0) + 1,
      sinceMs: previous?.sinceMs ?? (this.hooks.now ?? Date.now)(),
    };
    this.status.set(`${op.map} ${keyId}`, status);
    this.hooks.onFailed?.(status);
  }
}
