/**
 * The drift check beside the flow of changes: its comparison yields to the event loop, and an
 * entry the reconciler writes while it runs is not mistaken for drift; hand edits still are.
 */
import { describe, expect, it } from 'vitest';
import type { MapDelta, MapEntry } from '../../src/maps/delta.js';
import type { MapName } from '../../src/maps/model.js';
import { MemoryMapBackend } from '../../src/nodeagent/memoryMapBackend.js';
import { Reconciler } from '../../src/nodeagent/reconciler.js';

const ipcache = (i: number, identity: number): MapDelta => ({
  map: 'ipcache',
  op: 'upsert',
  key: { cidr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32` },
  value: { identity },
});

/** Memory maps that let a test act right after the ipcache map was read back. */
class PausingBackend extends MemoryMapBackend {
  afterIpcacheDump: (() => Promise<void>) | undefined;
  override async dump<M extends MapName>(map: M): Promise<MapEntry<M>[]> {
    const entries = await super.dump(map);
    if (map === 'ipcache') await this.afterIpcacheDump?.();
    return entries;
  }
}

/** A reconciler whose maps hold `n` ipcache entries, written by itself. */
async function converged(n: number) {
  const kernel = new PausingBackend();
  const reconciler = new Reconciler(kernel);
  await reconciler.loadActual();
  reconciler.applyDeltas(Array.from({ length: n }, (_, i) => ipcache(i, 100)));
  await reconciler.flush();
  return { kernel, reconciler };
}

describe('drift scan', () => {
  it('yields to the event loop while it compares a large map', async () => {
    const { reconciler } = await converged(20_000);
    let ranDuringScan = false;
    const scanning = reconciler.scanDrift();
    setImmediate(() => {
      ranDuringScan = true;
    });
    const scan = await scanning;
    expect(ranDuringScan).toBe(true);
    expect(reconciler.markDrift(scan)).toBe(0);
  });

  it('does not count what the reconciler itself wrote while the scan ran', async () => {
    const { kernel, reconciler } = await converged(20_000);
    // Writes land after the scan read the map and before it compared.
    kernel.afterIpcacheDump = async () => {
      reconciler.applyDeltas([ipcache(5, 200), ipcache(30_000, 300)]);
      await reconciler.flush();
    };
    const scan = await reconciler.scanDrift();
    expect(reconciler.markDrift(scan)).toBe(0);
    expect(reconciler.converged).toBe(true);
    expect(kernel.maps.ipcache.size).toBe(20_001);
  });

  it('counts and repairs hand edits, also when writes ran during the scan', async () => {
    const { kernel, reconciler } = await converged(20_000);
    kernel.handEdit(ipcache(7, 666));
    kernel.handEdit({ ...ipcache(8, 0), op: 'delete' });
    kernel.afterIpcacheDump = async () => {
      reconciler.applyDeltas([ipcache(9, 200)]);
      await reconciler.flush();
    };
    const scan = await reconciler.scanDrift();
    expect(reconciler.markDrift(scan)).toBe(2);
    expect((await reconciler.flush()).applied).toBe(2);
    const identity = (i: number) => kernel.maps.ipcache.get(`10.0.0.${i}/32`)?.value.identity;
    expect([identity(7), identity(8), identity(9)]).toEqual([100, 100, 200]);
  });
});
