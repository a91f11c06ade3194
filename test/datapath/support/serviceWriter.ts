import type { KernelMap } from '../../../src/datapath/kernelMap.js';
import type { L4Proto } from '../../../src/maps/model.js';

export interface Frontend {
  readonly address: string;
  readonly port: number;
  readonly proto: L4Proto;
}

/**
 * Writes one service the way the node agent must (the master entry is the commit point):
 * growing, slots first and the count last; shrinking, the count first and trailing slots after.
 */
export class ServiceWriter {
  #slots = 0;

  constructor(
    private readonly services: KernelMap<'services'>,
    private readonly frontend: Frontend,
    private readonly revNatId: number,
    private readonly flags = 1,
    private readonly affinityTimeoutSec = 0,
  ) {}

  #key(slot: number) {
    return { ...this.frontend, slot, scope: 'external' as const };
  }

  /** Points the service at `backendIds` (already in the backends map), master last. */
  set(backendIds: readonly number[]): void {
    backendIds.forEach((backendId, i) => {
      this.services.update(this.#key(i + 1), { kind: 'slot', backendId, revNatId: this.revNatId });
    });
    this.writeMaster(backendIds.length);
    for (let slot = backendIds.length + 1; slot <= this.#slots; slot++) this.services.delete(this.#key(slot));
    this.#slots = backendIds.length;
  }

  /** Writes only the master (tests use it to break the order on purpose). */
  writeMaster(count: number): void {
    this.services.update(this.#key(0), {
      kind: 'master',
      count,
      revNatId: this.revNatId,
      flags: this.flags,
      affinityTimeoutSec: this.affinityTimeoutSec,
    });
  }

  /** Removes every entry of the service. */
  remove(): void {
    this.services.delete(this.#key(0));
    for (let slot = 1; slot <= this.#slots; slot++) this.services.delete(this.#key(slot));
    this.#slots = 0;
  }
}
