import type { MapDelta, MapEntry } from '../maps/delta.js';
import { mapKeyId } from '../maps/keys.js';
import type { MapName } from '../maps/model.js';
import { type ApplyResult, type MapBackend, type MapFill, MapOpError } from './mapBackend.js';

/** Thrown when the simulated agent process dies: nothing after the n-th operation happens. */
export class AgentCrashed extends Error {
  override readonly name = 'AgentCrashed';
}

export interface FaultOptions {
  /** Share of operations that fail (0..1). */
  failureRate?: number;
  /** Operations allowed before the simulated crash (undefined: never crash). */
  crashAfter?: number;
  /** Deterministic randomness, e.g. from fast-check. */
  random?: () => number;
}

/**
 * Wraps a backend and injects faults: a chosen share of operations fail with an errno-like
 * error, and the process "crashes" after the n-th operation. Operations go one at a time so a
 * failure lands in the middle of a batch.
 */
export class FaultyMapBackend implements MapBackend {
  readonly name: string;
  operations = 0;
  failures = 0;

  constructor(
    private readonly inner: MapBackend,
    readonly faults: FaultOptions = {},
  ) {
    this.name = `faulty(${inner.name})`;
  }

  dump<M extends MapName>(map: M): Promise<MapEntry<M>[]> {
    return this.inner.dump(map);
  }

  async apply(ops: readonly MapDelta[]): Promise<ApplyResult> {
    const random = this.faults.random ?? Math.random;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (this.faults.crashAfter !== undefined && this.operations >= this.faults.crashAfter) {
        throw new AgentCrashed(`crashed after ${this.operations} map operations`);
      }
      this.operations++;
      if ((this.faults.failureRate ?? 0) > 0 && random() < this.faults.failureRate!) {
        this.failures++;
        const error = new MapOpError(op.map, mapKeyId(op.map, op.key as never), 'injected failure', 'EAGAIN');
        return { applied: i, error };
      }
      const result = await this.inner.apply([op]);
      if (result.error) return { applied: i + result.applied, error: result.error };
    }
    return { applied: ops.length };
  }

  fill(map: MapName): Promise<MapFill> {
    return this.inner.fill(map);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
