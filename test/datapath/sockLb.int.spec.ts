import { existsSync } from 'node:fs';
import { setImmediate as nextTick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject, openPinnedLink, unpin } from '../../src/datapath/bpfObject.js';
import type { KernelMap } from '../../src/datapath/kernelMap.js';
import type { NativeLink } from '../../src/datapath/native.js';
import { BPF_OBJECTS } from '../../src/datapath/paths.js';
import { SOCK_LB_PROGRAMS } from '../../src/datapath/programs.js';
import { SERVICE_FLAGS } from '../../src/maps/model.js';
import { startTcpBackend, startUdpBackend } from './support/backendServers.js';
import { kernelTestsSkipReason } from './support/datapathPrereq.js';
import { ProbeClient } from './support/probeClient.js';
import { makeCgroup, makePinDir, removeCgroup, removePinDir } from './support/scratch.js';
import { ServiceWriter } from './support/serviceWriter.js';

const skip = kernelTestsSkipReason();

/** A ClusterIP nobody routes: traffic to it only works if the cgroup program translates it. */
function randomClusterIp(): string {
  return `10.96.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
}

describe.skipIf(skip !== undefined)(
  'socket load balancing (cgroup connect4/sendmsg4/recvmsg4/getpeername4)',
  () => {
    let pinRoot: string | undefined;
    let cgroup: string | undefined;
    let lb: BpfObject | undefined;
    const links: NativeLink[] = [];
    let client: ProbeClient | undefined;
    const closers: (() => Promise<void>)[] = [];
    let services: KernelMap<'services'>;
    let backends: KernelMap<'backends'>;
    let revNat: KernelMap<'revNat'>;
    const tcpPorts: number[] = [];
    let udpPort = 0;

    beforeAll(async () => {
      pinRoot = makePinDir();
      cgroup = makeCgroup();
      lb = BpfObject.open(BPF_OBJECTS.sockLb, { pinRoot });
      for (const program of SOCK_LB_PROGRAMS) links.push(lb.attachCgroup(program, cgroup));
      services = lb.map('services');
      backends = lb.map('backends');
      revNat = lb.map('revNat');
      for (const name of ['a', 'b', 'c']) {
        const server = await startTcpBackend(name);
        tcpPorts.push(server.port);
        closers.push(server.close);
      }
      const udpServer = await startUdpBackend('u');
      udpPort = udpServer.port;
      closers.push(udpServer.close);
      tcpPorts.forEach((port, i) => {
        backends.update({ id: i + 1 }, { address: '127.0.0.1', port, proto: 'TCP', state: 'active' });
      });
      backends.update({ id: 10 }, { address: '127.0.0.1', port: udpPort, proto: 'UDP', state: 'active' });
      client = await ProbeClient.start({ cgroup });
    });

    afterAll(async () => {
      await client?.stop();
      for (const link of links) link.detach();
      for (const close of closers) await close();
      for (const m of [services, backends, revNat]) m?.close();
      lb?.close();
      if (cgroup) await removeCgroup(cgroup);
      if (pinRoot) removePinDir(pinRoot);
    });

    it('a connect to ClusterIP:port reaches the backend, and getpeername shows the ClusterIP', async () => {
      const vip = randomClusterIp();
      const svc = new ServiceWriter(services, { address: vip, port: 80, proto: 'TCP' }, 1);
      revNat.update({ id: 1 }, { address: vip, port: 80 });
      svc.set([1]);
      const r = await client!.tcp(vip, 80);
      expect(r).toMatchObject({ ok: true, data: 'a', peer: `${vip}:80` });
      svc.remove();
    });

    it('spreads connections of a three-backend service over all three', async () => {
      const vip = randomClusterIp();
      const svc = new ServiceWriter(services, { address: vip, port: 8080, proto: 'TCP' }, 2);
      svc.set([1, 2, 3]);
      const r = await client!.request({ op: 'tcpLoop', host: vip, port: 8080, n: 60 });
      expect(r.codes).toEqual({});
      expect(Object.keys(r.backends ?? {}).sort()).toEqual(['a', 'b', 'c']);
      svc.remove();
    });

    it('session affinity keeps a client on one backend until it drains', async () => {
      const vip = randomClusterIp();
      const flags = SERVICE_FLAGS.clusterIP | SERVICE_FLAGS.sessionAffinity;
      const svc = new ServiceWriter(services, { address: vip, port: 8080, proto: 'TCP' }, 3, flags, 60);
      svc.set([1, 2, 3]);
      const r = await client!.request({ op: 'tcpLoop', host: vip, port: 8080, n: 20 });
      expect(Object.values(r.backends ?? {})).toEqual([20]);
      // Draining the remembered backend (state terminating, out of the slots) moves the client.
      const name = Object.keys(r.backends ?? {})[0]!;
      const id = ['a', 'b', 'c'].indexOf(name) + 1;
      const drained = backends.lookup({ id })!;
      backends.update({ id }, { ...drained, state: 'terminating' });
      svc.set([1, 2, 3].filter((b) => b !== id));
      const after = await client!.request({ op: 'tcpLoop', host: vip, port: 8080, n: 10 });
      expect(after.backends?.[name]).toBeUndefined();
      expect(Object.values(after.backends ?? {})).toEqual([10]);
      backends.update({ id }, drained);
      svc.remove();
    });

    it('UDP request/reply (unconnected and connected): the reply appears to come from the ClusterIP', async () => {
      const vip = randomClusterIp();
      const svc = new ServiceWriter(services, { address: vip, port: 53, proto: 'UDP' }, 4);
      svc.set([10]);
      const r = await client!.request({ op: 'udp', host: vip, port: 53, message: 'ping' });
      expect(r).toMatchObject({ ok: true, data: 'u:ping', from: `${vip}:53` });
      const connected = await client!.request({ op: 'udpConnected', host: vip, port: 53, message: 'pong' });
      expect(connected).toMatchObject({ ok: true, data: 'u:pong', from: `${vip}:53`, peer: `${vip}:53` });
      svc.remove();
    });

    it('dual-stack sockets: a v4-mapped ClusterIP is balanced too (connect6/sendmsg6/recvmsg6/getpeername6)', async () => {
      const vip = randomClusterIp();
      const tcp = new ServiceWriter(services, { address: vip, port: 80, proto: 'TCP' }, 8);
      const udp = new ServiceWriter(services, { address: vip, port: 53, proto: 'UDP' }, 9);
      tcp.set([3]);
      udp.set([10]);
      expect(await client!.tcp(`::ffff:${vip}`, 80)).toMatchObject({
        ok: true,
        data: 'c',
        peer: `::ffff:${vip}:80`,
      });
      const r = await client!.request({ op: 'udp', host: `::ffff:${vip}`, port: 53, message: 'six' });
      expect(r).toMatchObject({ ok: true, data: 'u:six', from: `::ffff:${vip}:53` });
      tcp.remove();
      udp.remove();
    });

    it('removing the last backend makes new connects fail with ECONNREFUSED', async () => {
      const vip = randomClusterIp();
      const svc = new ServiceWriter(services, { address: vip, port: 443, proto: 'TCP' }, 5);
      svc.set([2]);
      expect(await client!.tcp(vip, 443)).toMatchObject({ ok: true, data: 'b' });
      svc.set([]);
      expect(await client!.tcp(vip, 443)).toEqual(
        expect.objectContaining({ ok: false, code: 'ECONNREFUSED' }),
      );
      svc.remove();
    });

    it('a master written before its slots is visible to readers (why the master goes last)', async () => {
      const vip = randomClusterIp();
      const svc = new ServiceWriter(services, { address: vip, port: 9000, proto: 'TCP' }, 6);
      svc.set([1]);
      svc.writeMaster(3); // count 3 with only slot 1 present: the wrong order, frozen
      const r = await client!.request({ op: 'tcpLoop', host: vip, port: 9000, n: 30 });
      expect(r.codes?.EHOSTUNREACH ?? 0).toBeGreaterThan(0);
      svc.remove();
    });

    it('updating a service while connections run: with the master last no reader sees a missing slot', async () => {
      const vip = randomClusterIp();
      const svc = new ServiceWriter(services, { address: vip, port: 9100, proto: 'TCP' }, 7);
      svc.set([1]);
      let done = false;
      let updates = 0;
      const reader = client!.request({ op: 'tcpLoop', host: vip, port: 9100, n: 300 }).finally(() => {
        done = true;
      });
      const shapes = [[1, 2, 3], [2], [3, 1], [1, 2, 3], [3]];
      while (!done) {
        svc.set(shapes[updates % shapes.length]!);
        updates++;
        await nextTick();
      }
      const r = await reader;
      expect(updates).toBeGreaterThan(50);
      expect(r.codes).toEqual({});
      expect(Object.values(r.backends ?? {}).reduce((a, b) => a + b, 0)).toBe(300);
      svc.remove();
    });

    it('a pinned link outlives its handle and is detached later through its pin', () => {
      const path = `${pinRoot}/link_getpeername4`;
      const link = lb!.attachCgroup('cairn_getpeername4', cgroup!);
      link.pin(path);
      link.close(); // a pinned link stays attached
      const again = openPinnedLink(path);
      expect(again.info()).toMatchObject({ pinPath: path });
      expect(again.info().progId).toBeGreaterThan(0);
      // A newer load of the object (an upgraded agent) takes the link over without detaching it.
      const upgraded = BpfObject.open(BPF_OBJECTS.sockLb, { pinRoot: pinRoot! });
      const before = again.info().progId;
      upgraded.updateLink(again, 'cairn_getpeername4');
      expect(again.info().progId).not.toBe(before);
      expect(() => upgraded.updateLink({} as NativeLink, 'cairn_getpeername4')).toThrow(TypeError);
      upgraded.close();
      again.detach();
      expect(existsSync(path)).toBe(false);
      lb!.pinProgram('cairn_connect4', `${pinRoot}/prog_connect4`);
      expect(unpin(`${pinRoot}/prog_connect4`)).toBe(true);
    });
  },
);
