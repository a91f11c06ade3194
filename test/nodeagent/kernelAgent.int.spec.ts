import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { MAP_CODECS } from '../../src/datapath/mapCodecs.js';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import type { DesiredMaps, MapEntry } from '../../src/maps/delta.js';
import { desiredToDeltas, mergeDesiredMaps } from '../../src/maps/keys.js';
import { MAP_NAMES, type MapName } from '../../src/maps/model.js';
import { EtcdAppliedPositionStore } from '../../src/nodeagent/appliedPositionStore.js';
import { KernelMapBackend } from '../../src/nodeagent/kernelMapBackend.js';
import { NodeAgent } from '../../src/nodeagent/nodeAgent.js';
import { packageRoot } from '../../src/paths.js';
import { nodeProjection } from '../../src/projections/nodeFolds.js';
import { makeEvent } from '../../src/samples/sampleEvents.js';
import { startTcpBackend } from '../datapath/support/backendServers.js';
import { kernelTestsSkipReason } from '../datapath/support/datapathPrereq.js';
import { ProbeClient } from '../datapath/support/probeClient.js';
import { makeCgroup, makePinDir, removeCgroup } from '../datapath/support/scratch.js';
import { serviceEventsArb } from '../projections/servicesArbitraries.js';

const skip = kernelTestsSkipReason();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function pinDir(): string {
  const dir = makePinDir();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A pinned map as bpftool sees it, decoded with the codecs (map-in-map tables are left to the addon). */
function bpftoolEntries<M extends MapName>(pinRoot: string, map: M): MapEntry<M>[] {
  const codec = MAP_CODECS[map];
  const json = execFileSync('bpftool', ['-j', 'map', 'dump', 'pinned', join(pinRoot, codec.cName)], {
    encoding: 'utf8',
  });
  const bytes = (hex: string[]) => Buffer.from(hex.map((h) => Number.parseInt(h, 16)));
  return (JSON.parse(json) as { key: string[]; value: string[] }[]).map(({ key, value }) => {
    const k = codec.key.decode(bytes(key), undefined as never);
    return { key: k, value: codec.value.decode(bytes(value), k as never) } as MapEntry<M>;
  });
}

/** JSON with object keys sorted, so equal entries print equal whatever their field order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function withoutMaglev(maps: DesiredMaps) {
  return desiredToDeltas({ ...maps, maglev: new Map() });
}

describe.skipIf(skip)('node agent on the kernel maps', () => {
  it('converges to the projection of the log, as bpftool reads the maps, and restarts with zero writes', async () => {
    const pinRoot = pinDir();
    const sequences = fc.sample(serviceEventsArb(25), { numRuns: 12, seed: 42 });
    const log = new MemoryEventLog();
    for (const events of sequences) {
      await log.append(events);
      const backend = KernelMapBackend.open({ pinRoot });
      const agent = new NodeAgent({ node: 'node-a', log, backend, windowMs: 1 });
      await agent.start();
      await agent.stop();
      await backend.close();

      const projection = nodeProjection('node-a');
      for await (const event of log.read()) projection.apply(event);
      const expected = projection.desired();
      const viaBpftool = mergeDesiredMaps([
        Object.fromEntries(
          MAP_NAMES.filter((m) => m !== 'maglev').map((m) => [
            m,
            new Map(bpftoolEntries(pinRoot, m).map((e) => [JSON.stringify(e.key), e])),
          ]),
        ),
      ]);
      // Re-key by the canonical ids so both sides compare entry by entry.
      const canonical = (maps: DesiredMaps) => withoutMaglev(mergeDesiredMaps([maps]));
      const fromBpftool = desiredToDeltas(viaBpftool).map(stableJson).sort();
      expect(fromBpftool).toEqual(canonical(expected).map(stableJson).sort());
      expect(fromBpftool.length).toBeGreaterThan(0);

      // The Maglev tables, through the addon.
      const reopened = KernelMapBackend.open({ pinRoot });
      const tables = await reopened.dump('maglev');
      expect(tables.length).toBe(expected.maglev.size);

      // Restart with nothing changed: zero map writes.
      const again = new NodeAgent({ node: 'node-a', log, backend: reopened, windowMs: 1 });
      expect((await again.start()).writes).toBe(0);
      await again.stop();
      await reopened.close();
    }
  });

  it('a TCP client looping connections to a ClusterIP sees no failure while the agent process is killed and restarted', async () => {
    const endpoints = inject('etcdEndpoints');
    const prefix = `/test/${randomUUID()}/`;
    const client = connectEtcd({ endpoints });
    cleanups.push(() => client.close());
    const log = new EtcdEventLog({ client, endpoints, prefix });
    const backends = await Promise.all(['b1', 'b2', 'b3'].map((name) => startTcpBackend(name)));
    cleanups.push(async () => {
      for (const b of backends) await b.close();
    });
    const ns = 'shop';
    await log.append([
      makeEvent(
        'ServiceUpserted',
        {
          namespace: ns,
          name: 'cart',
          uid: 'uid-cart',
          resourceVersion: '1',
          type: 'ClusterIP',
          clusterIPs: ['10.96.77.7'],
          ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: null, nodePort: null }],
          selector: { app: 'cart' },
          externalIPs: [],
          loadBalancerIngressIPs: [],
          sessionAffinity: 'None',
          sessionAffinityTimeoutSeconds: null,
          internalTrafficPolicy: null,
          externalTrafficPolicy: null,
          labels: {},
        },
        { id: 'Service/uid-cart/1' },
      ),
      ...backends.map((b, i) =>
        makeEvent(
          'EndpointSliceUpserted',
          {
            namespace: ns,
            name: `cart-${i}`,
            uid: `uid-cart-${i}`,
            resourceVersion: '1',
            serviceName: 'cart',
            addressType: 'IPv4',
            endpoints: [
              {
                addresses: ['127.0.0.1'],
                ready: true,
                serving: true,
                terminating: false,
                nodeName: 'n1',
                zone: null,
                targetRef: null,
              },
            ],
            ports: [{ name: 'http', protocol: 'TCP', port: b.port, appProtocol: null }],
          },
          { id: `EndpointSlice/uid-cart-${i}/1` },
        ),
      ),
    ]);

    const pinRoot = pinDir();
    const cgroup = makeCgroup();
    cleanups.push(() => removeCgroup(cgroup));
    const positions = new EtcdAppliedPositionStore(log.etcd);
    const startAgentProcess = () => {
      const child = spawn(
        process.execPath,
        [
          join(packageRoot(), 'bin', 'cairn.js'),
          'agent',
          '--node=n1',
          `--pin-root=${pinRoot}`,
          `--cgroup=${cgroup}`,
          '--metrics-port=0',
          '--no-cni',
          `--prefix=${prefix}`,
          '--etcd-endpoints',
          ...endpoints,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      cleanups.push(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });
      return { child, stderr: () => stderr };
    };
    const waitApplied = async (position: bigint, why: () => string) => {
      for (let i = 0; i < 300; i++) {
        const report = await positions.read('n1');
        if (report && report.position >= position) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`the agent did not report position ${position}: ${why()}`);
    };

    let agent = startAgentProcess();
    await waitApplied(4n, agent.stderr);

    const probe = await ProbeClient.start({ cgroup });
    cleanups.push(() => probe.stop());
    // Connections in batches of 25 for as long as the agent is being killed and restarted.
    let restarting = true;
    const batches: { codes?: Record<string, number>; backends?: Record<string, number> }[] = [];
    const looping = (async () => {
      while (restarting)
        batches.push(await probe.request({ op: 'tcpLoop', host: '10.96.77.7', port: 80, n: 25 }));
    })();
    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, 150));
      const exited = new Promise((r) => agent.child.once('exit', r));
      agent.child.kill('SIGKILL');
      await exited;
      // The agent is dead for a while: the pinned maps and programs keep serving.
      await new Promise((r) => setTimeout(r, 200));
      agent = startAgentProcess();
      const before = (await positions.read('n1'))!.appliedAtMs;
      for (let i = 0; i < 200 && (await positions.read('n1'))!.appliedAtMs === before; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    restarting = false;
    await looping;
    const codes: Record<string, number> = {};
    const answered: Record<string, number> = {};
    for (const batch of batches) {
      for (const [code, n] of Object.entries(batch.codes ?? {})) codes[code] = (codes[code] ?? 0) + n;
      for (const [name, n] of Object.entries(batch.backends ?? {}))
        answered[name] = (answered[name] ?? 0) + n;
    }
    console.log(
      `connections during 3 agent kills: ${JSON.stringify(answered)}, failures ${JSON.stringify(codes)}`,
    );
    expect(codes).toEqual({});
    expect(Object.keys(answered).sort()).toEqual(['b1', 'b2', 'b3']);
    expect(batches.length).toBeGreaterThan(6);
    await waitApplied(4n, agent.stderr);
    agent.child.kill('SIGTERM');
  });
});

afterAll(() => {
  if (skip) console.warn(`node agent kernel tests skipped: ${skip}`);
});
