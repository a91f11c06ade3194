import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import { desiredToDeltas, emptyDesiredMaps } from '../../src/maps/keys.js';
import { MemoryAppliedPositionStore } from '../../src/nodeagent/appliedPositionStore.js';
import { FaultyMapBackend } from '../../src/nodeagent/faultyMapBackend.js';
import { MemoryMapBackend } from '../../src/nodeagent/memoryMapBackend.js';
import { serveMetrics } from '../../src/nodeagent/metricsServer.js';
import { NodeAgent } from '../../src/nodeagent/nodeAgent.js';
import { Reconciler } from '../../src/nodeagent/reconciler.js';
import { nodeProjection } from '../../src/projections/nodeFolds.js';
import { encodeProjection, projectionSnapshotName } from '../../src/replay/projectionSnapshot.js';
import {
  endpointSliceUpserted,
  sampleClusterEvents,
  serviceUpserted,
} from '../../src/samples/sampleEvents.js';

const backendEntry = (id: number) => ({
  map: 'backends' as const,
  op: 'upsert' as const,
  key: { id },
  value: { address: `10.0.0.${id}`, port: 80, proto: 'TCP' as const, state: 'active' as const },
});

describe('reconciler', () => {
  it('records a failed write in the entry status and retries it on the next flush', async () => {
    const kernel = new MemoryMapBackend();
    const faulty = new FaultyMapBackend(kernel, { failureRate: 1 });
    const reconciler = new Reconciler(faulty);
    reconciler.applyDeltas([backendEntry(1)]);
    const first = await reconciler.flush();
    expect(first.failure?.message).toBe('backends 1: injected failure');
    expect([...reconciler.status.values()]).toMatchObject([
      { map: 'backends', keyId: '1', attempts: 1, op: 'upsert' },
    ]);
    await reconciler.flush();
    expect(reconciler.status.get('backends 1')?.attempts).toBe(2);
    faulty.faults.failureRate = 0;
    expect(await reconciler.flush()).toEqual({ applied: 1, pending: 0 });
    expect(reconciler.status.size).toBe(0);
    expect(kernel.maps.backends.size).toBe(1);
  });

  it('prunes entries nobody wants only once every source has synced', async () => {
    const kernel = new MemoryMapBackend();
    kernel.handEdit(backendEntry(7));
    const reconciler = new Reconciler(kernel);
    await reconciler.loadActual();
    reconciler.setDesired(emptyDesiredMaps());
    expect(await reconciler.flush()).toEqual({ applied: 0, pending: 0 });
    expect(kernel.maps.backends.size).toBe(1);
    reconciler.pruneAllowed = true;
    expect((await reconciler.flush()).applied).toBe(1);
    expect(kernel.maps.backends.size).toBe(0);
  });

  it('writes nothing for a desired entry the maps already hold', async () => {
    const kernel = new MemoryMapBackend();
    kernel.handEdit(backendEntry(3));
    const reconciler = new Reconciler(kernel);
    await reconciler.loadActual();
    reconciler.applyDeltas([backendEntry(3)]);
    expect(await reconciler.flush()).toEqual({ applied: 0, pending: 0 });
    expect(kernel.totalWrites).toBe(0);
  });
});

describe('node agent reporting', () => {
  it('reports its applied position and exposes Prometheus metrics', async () => {
    const log = new MemoryEventLog();
    const kernel = new MemoryMapBackend();
    const positions = new MemoryAppliedPositionStore();
    const agent = new NodeAgent({ node: 'metrics-node', log, backend: kernel, positions, windowMs: 1 });
    await agent.start();
    const results = await log.append(sampleClusterEvents());
    await agent.whenApplied(results.at(-1)!.position);
    await agent.repairDrift(); // also refreshes the fill gauges
    expect((await positions.read('metrics-node'))?.position).toBe(5n);

    const server = await serveMetrics(0);
    try {
      const { port } = server.address() as AddressInfo;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toContain('cairn_agent_applied_position{node="metrics-node"} 5');
      expect(text).toContain('cairn_agent_lag_events{node="metrics-node"} 0');
      expect(text).toMatch(
        /cairn_agent_map_operations_total\{node="metrics-node",map="services",op="upsert"\} \d+/,
      );
      expect(text).toMatch(/cairn_agent_map_entries\{node="metrics-node",map="backends"\} 4/);
      expect(text).toMatch(/cairn_agent_map_max_entries\{node="metrics-node",map="backends"\} \d+/);
      expect(text).toMatch(/cairn_agent_event_to_map_seconds_count\{node="metrics-node"\} 5/);
      expect(text).toContain('cairn_log_skipped_events_total');
    } finally {
      server.close();
      await agent.stop();
    }
  });
});

describe('node agent start-up from a projection snapshot', () => {
  it('restores the projection at the snapshot and folds only the events after it, to the same maps', async () => {
    const log = new MemoryEventLog();
    const first = Array.from({ length: 30 }, (_, i) => [
      serviceUpserted('ns', `s${i}`, `10.96.1.${i}`, 80),
      endpointSliceUpserted('ns', `s${i}`, [`10.1.0.${i}`, `10.2.0.${i}`], 8080),
    ]).flat();
    await log.append(first);
    const projection = nodeProjection('node-1');
    for await (const event of log.read()) projection.apply(event);
    await log.saveSnapshot(
      projectionSnapshotName('node-1'),
      projection.position,
      encodeProjection(projection),
    );
    await log.append([
      endpointSliceUpserted('ns', 's3', ['10.3.0.3'], 8080, '2'),
      serviceUpserted('ns', 'late', '10.96.2.1', 81),
    ]);

    const kernel = new MemoryMapBackend();
    const agent = new NodeAgent({ node: 'node-1', log, backend: kernel });
    const report = await agent.start();
    await agent.stop();
    expect(report.fromSnapshot).toBe(60n);
    expect(report.events).toBe(2);

    const full = nodeProjection('node-1');
    for await (const event of log.read()) full.apply(event);
    expect(desiredToDeltas(kernel.maps)).toEqual(desiredToDeltas(full.desired()));

    // Without snapshots the agent folds the whole log, to the same maps, and writes nothing.
    const again = new NodeAgent({ node: 'node-1', log, backend: kernel, snapshots: false });
    const second = await again.start();
    await again.stop();
    expect(second.fromSnapshot).toBeUndefined();
    expect(second.events).toBe(62);
    expect(second.writes).toBe(0);
  });
});
