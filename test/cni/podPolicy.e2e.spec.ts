import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CniAgentSide, startCniAgentSide } from '../../src/nodeagent/cni/startCniAgentSide.js';
import { KernelMapBackend } from '../../src/nodeagent/kernelMapBackend.js';
import { NodeAgent } from '../../src/nodeagent/nodeAgent.js';
import { kernelTestsSkipReason } from '../datapath/support/datapathPrereq.js';
import { ProbeClient } from '../datapath/support/probeClient.js';
import { makePinDir, removePinDir } from '../datapath/support/scratch.js';
import { CniHarness } from './support/cniHarness.js';
import { cniTestsSkipReason } from './support/cniPrereq.js';
import { denyAllIngress, namespaceUpserted, podUpserted, policyDeleted } from './support/podEvents.js';

const skip = cniTestsSkipReason() ?? kernelTestsSkipReason();
const SERVER = join(import.meta.dirname, '..', 'datapath', 'fixtures', 'netnsTcp.mjs');
const PORT = 8080;

interface TestPod {
  readonly name: string;
  readonly id: string;
  readonly netns: string;
  ip: string;
  hostIfIndex: number;
}

describe.skipIf(skip !== undefined)(
  'pods wired by the CNI plugin, policed at their veths by the node agent',
  () => {
    let h: CniHarness;
    let pinRoot: string;
    let backend: KernelMapBackend | undefined;
    let cni: CniAgentSide | undefined;
    let agent: NodeAgent | undefined;
    let tcpServer: ChildProcessWithoutNullStreams | undefined;
    let client: ProbeClient | undefined;
    const errors: unknown[] = [];
    const pods: TestPod[] = [];
    const ns = () => `shop-${h.id}`;

    const applied = async () => agent!.whenApplied(await h.eventLog().head());

    beforeAll(async () => {
      h = new CniHarness(inject('etcdEndpoints'));
      pinRoot = makePinDir();
      const log = h.eventLog();
      backend = KernelMapBackend.open({ pinRoot });
      // As `cairn agent` wires it: the plugin's event socket and the attacher, then the agent.
      cni = await startCniAgentSide({
        log,
        pinRoot,
        socketPath: h.agentSocket,
        onError: (e) => errors.push(e),
      });
      agent = new NodeAgent({
        node: h.node,
        log,
        backend,
        windowMs: 1,
        onError: (e) => errors.push(e),
        onEndpoints: cni.onEndpoints,
      });
      await agent.start();
    });

    afterAll(async () => {
      await client?.stop();
      if (tcpServer && tcpServer.exitCode === null) {
        tcpServer.stdin.end();
        tcpServer.kill('SIGKILL');
      }
      await agent?.stop();
      cni?.attacher.detachAll();
      await cni?.close();
      for (const pod of pods) await h.call(h.env('DEL', pod.id, pod.netns), h.conf());
      await backend?.close();
      await h?.cleanup();
      if (pinRoot) removePinDir(pinRoot);
    });

    it('two pods added through the plugin reach each other; a NetworkPolicy that denies it stops them', async () => {
      for (const name of ['client', 'web']) {
        const pod: TestPod = { name, id: h.containerId(), netns: h.netns(), ip: '', hostIfIndex: 0 };
        pods.push(pod);
        const add = await h.call(
          h.env('ADD', pod.id, pod.netns, {
            CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${ns()};K8S_POD_NAME=${name}`,
          }),
          h.conf(),
        );
        expect(add.exitCode, add.stdout).toBe(0);
        pod.ip = (add.json as { ips: { address: string }[] }).ips[0]!.address.split('/')[0]!;
      }
      expect(cni!.appended()).toBe(2);
      const [a, b] = pods as [TestPod, TestPod];
      // What apiwatch would log for these pods: their namespace, labels and the addresses CNI gave.
      await h
        .eventLog()
        .append([
          namespaceUpserted(ns()),
          podUpserted(ns(), a.name, h.node, a.ip, { app: 'client' }),
          podUpserted(ns(), b.name, h.node, b.ip, { app: 'web' }),
        ]);
      await applied();
      const endpoints = await backend!.dump('endpoints');
      for (const pod of pods) {
        const entry = endpoints.find((e) => e.key.ip === pod.ip);
        expect(entry, `endpoint of ${pod.name}`).toBeDefined();
        pod.hostIfIndex = entry!.value.ifIndex;
      }
      expect(cni!.attacher.attachedIfIndexes()).toEqual([a.hostIfIndex, b.hostIfIndex].sort((x, y) => x - y));

      tcpServer = spawn('ip', [
        'netns',
        'exec',
        basename(b.netns),
        process.execPath,
        SERVER,
        'serve',
        b.ip,
        String(PORT),
      ]);
      await new Promise<void>((resolve, reject) => {
        tcpServer!.once('error', reject);
        tcpServer!.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
        tcpServer!.stdout.once('data', () => resolve());
      });
      client = await ProbeClient.start({ netns: basename(a.netns) });
      expect(await client.tcp(b.ip, PORT, 5_000)).toMatchObject({ ok: true, data: 'pong' });

      await h.eventLog().append([denyAllIngress(ns(), 'web-closed', { app: 'web' })]);
      await applied();
      // A drop shows as a SYN never answered: a short wait.
      expect(await client.tcp(b.ip, PORT, 700)).toMatchObject({ ok: false, code: 'ETIMEDOUT' });

      await h.eventLog().append([policyDeleted(ns(), 'web-closed')]);
      await applied();
      expect(await client.tcp(b.ip, PORT, 5_000)).toMatchObject({ ok: true, data: 'pong' });
      expect(errors).toEqual([]);
    });

    it('DEL of a pod takes the programs off its veth', async () => {
      const b = pods.pop()!;
      expect((await h.call(h.env('DEL', b.id, b.netns), h.conf())).exitCode).toBe(0);
      await applied();
      expect(cni!.attacher.attachedIfIndexes()).toEqual([pods[0]!.hostIfIndex]);
    });
  },
);
