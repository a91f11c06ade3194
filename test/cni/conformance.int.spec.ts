import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { startCniEventServer } from '../../src/nodeagent/cni/cniEventServer.js';
import { hostIfName } from '../../src/nodeagent/cni/hostIfName.js';
import { CniHarness } from './support/cniHarness.js';
import { cniTestsSkipReason } from './support/cniPrereq.js';

const skip = cniTestsSkipReason();

/** Type and container id of a CNI event. */
function cniFacts(event: StoredEvent): [string, string | undefined] {
  return [event.type, 'containerId' in event.payload ? event.payload.containerId : undefined];
}

function inNetns(netns: string, args: string[]): string {
  return execFileSync('nsenter', [`--net=${netns}`, '--', 'ip', ...args], { encoding: 'utf8' });
}

describe.skipIf(skip !== undefined)('cairn CNI plugin, driven as a runtime drives it (env + stdin)', () => {
  let h: CniHarness;
  beforeAll(() => {
    h = new CniHarness(inject('etcdEndpoints'));
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('VERSION lists 0.4.0, 1.0.0 and 1.1.0', async () => {
    const run = await h.call({ CNI_COMMAND: 'VERSION' }, { cniVersion: '1.0.0' });
    expect(run.exitCode).toBe(0);
    expect(run.json?.supportedVersions).toEqual(expect.arrayContaining(['0.4.0', '1.0.0', '1.1.0']));
  });

  it('ADD, CHECK, DEL, DEL again: the pod interface, its address and routes, the events, nothing left', async () => {
    const netns = h.netns();
    const id = h.containerId();
    const conf = h.conf();
    const add = await h.call(h.env('ADD', id, netns), conf);
    expect(add.stderr).toBe('');
    expect(add.exitCode, add.stdout).toBe(0);
    const result = add.json as {
      cniVersion: string;
      interfaces: { name: string; mac: string; sandbox?: string }[];
      ips: { address: string; gateway: string; interface: number }[];
      routes: { dst: string }[];
    };
    expect(result.cniVersion).toBe('1.0.0');
    const hostIf = hostIfName(id, 'eth0');
    expect(result.interfaces).toEqual([
      { name: hostIf, mac: expect.stringMatching(/^[0-9a-f:]{17}$/) },
      { name: 'eth0', mac: expect.stringMatching(/^[0-9a-f:]{17}$/), sandbox: netns },
    ]);
    const [ip] = result.ips;
    expect(ip).toEqual({
      address: expect.stringMatching(/\/24$/),
      gateway: `${h.subnetBase}.1`,
      interface: 1,
    });
    expect(result.routes).toEqual([{ dst: '0.0.0.0/0' }]);

    // The pod side as ip sees it: the address, up, the routes through the gateway.
    const [link] = JSON.parse(inNetns(netns, ['-j', 'addr', 'show', 'dev', 'eth0'])) as {
      address: string;
      flags: string[];
      addr_info: { local: string; prefixlen: number }[];
    }[];
    expect(link!.flags).toContain('UP');
    expect(link!.address).toBe(result.interfaces[1]!.mac);
    expect(link!.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toContain(ip!.address);
    const routes = inNetns(netns, ['route', 'show']);
    expect(routes).toContain(`default via ${h.subnetBase}.1 dev eth0`);
    expect(h.reservedIps()).toEqual([ip!.address.split('/')[0]]);

    // The event, with what a projection needs.
    const [added] = await h.events();
    expect(added).toMatchObject({
      id: expect.stringMatching(new RegExp(`^cni/${h.node}/${id}/eth0/ADD/[0-9a-f]{16}$`)),
      source: 'cni',
      type: 'CniAdded',
      payload: {
        node: h.node,
        containerId: id,
        netns,
        ifName: 'eth0',
        ips: [ip!.address],
        mac: link!.address,
        hostIfName: hostIf,
        hostIfIndex: Number(readFileSync(`/sys/class/net/${hostIf}/ifindex`, 'utf8')),
        podNamespace: `ns-${h.id}`,
        podName: `pod-${id}`,
      },
    });

    const check = await h.call(h.env('CHECK', id, netns), { ...conf, prevResult: result });
    expect(check.exitCode, check.stdout).toBe(0);

    const del = await h.call(h.env('DEL', id, netns), { ...conf, prevResult: result });
    expect(del.exitCode, del.stdout).toBe(0);
    expect(h.hostVethExists(id)).toBe(false);
    expect(inNetns(netns, ['-j', 'link', 'show'])).not.toContain('eth0');
    expect(h.reservedIps()).toEqual([]);
    expect(h.records()).toEqual([]);
    const afterDel = await h.events();
    expect(afterDel.map((e) => e.type)).toEqual(['CniAdded', 'CniDeleted']);
    expect(afterDel[1]!.causation).toBe(added!.id);

    // A second DEL, and a DEL of something never added: success, nothing written.
    expect((await h.call(h.env('DEL', id, netns), conf)).exitCode).toBe(0);
    expect((await h.call(h.env('DEL', h.containerId(), netns), conf)).exitCode).toBe(0);
    expect((await h.events()).length).toBe(2);
  });

  it('DEL after the runtime removed the netns: the address is released and the deletion recorded', async () => {
    const netns = h.netns();
    const id = h.containerId();
    expect((await h.call(h.env('ADD', id, netns), h.conf())).exitCode).toBe(0);
    execFileSync('ip', ['netns', 'del', netns.split('/').at(-1)!]);
    // The veth dies with its netns (the kernel cleans a netns up asynchronously); the address
    // and the record stay until the DEL.
    expect(h.reservedIps()).toHaveLength(1);
    const del = await h.call(h.env('DEL', id, netns), h.conf());
    expect(del.exitCode, del.stdout).toBe(0);
    expect(h.hostVethExists(id)).toBe(false);
    expect(h.reservedIps()).toEqual([]);
    expect(h.records()).toEqual([]);
    expect(cniFacts((await h.events()).at(-1)!)).toEqual(['CniDeleted', id]);
  });

  it('CHECK names what differs: a missing address, a missing route, a missing interface', async () => {
    const netns = h.netns();
    const id = h.containerId();
    const conf = h.conf();
    const add = await h.call(h.env('ADD', id, netns), conf);
    expect(add.exitCode, add.stdout).toBe(0);
    const prevResult = add.json!;
    const address = (prevResult.ips as { address: string }[])[0]!.address;

    inNetns(netns, ['route', 'del', 'default']);
    let check = await h.call(h.env('CHECK', id, netns), { ...conf, prevResult });
    expect(check.exitCode).toBe(1);
    expect(check.json).toMatchObject({ code: 101, msg: expect.stringContaining('route 0.0.0.0/0 via') });

    inNetns(netns, ['addr', 'del', address, 'dev', 'eth0']);
    check = await h.call(h.env('CHECK', id, netns), { ...conf, prevResult });
    expect(check.json).toMatchObject({
      code: 101,
      msg: expect.stringContaining(`address ${address} missing on eth0`),
    });

    inNetns(netns, ['link', 'set', 'eth0', 'name', 'eth9']);
    check = await h.call(h.env('CHECK', id, netns), { ...conf, prevResult });
    expect(check.json).toMatchObject({ code: 101, msg: expect.stringContaining('interface eth0 not found') });

    expect((await h.call(h.env('DEL', id, netns), conf)).exitCode).toBe(0);
    expect(h.hostVethExists(id)).toBe(false);
    expect(h.reservedIps()).toEqual([]);
  });

  it('ADD, DEL, ADD of the same container: two distinct CniAdded events, each undone by its own CniDeleted', async () => {
    const netns = h.netns();
    const id = h.containerId();
    const conf = h.conf();
    const before = (await h.events()).length;
    for (let i = 0; i < 2; i++) {
      expect((await h.call(h.env('ADD', id, netns), conf)).exitCode).toBe(0);
      expect((await h.call(h.env('DEL', id, netns), conf)).exitCode).toBe(0);
    }
    const events = (await h.events()).slice(before);
    expect(events.map((e) => e.type)).toEqual(['CniAdded', 'CniDeleted', 'CniAdded', 'CniDeleted']);
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    expect(events[1]!.causation).toBe(events[0]!.id);
    expect(events[3]!.causation).toBe(events[2]!.id);
  });

  it('speaks 0.4.0 (IPs name their family) and refuses CHECK below 0.4.0 with code 1', async () => {
    const netns = h.netns();
    const id = h.containerId();
    const conf = h.conf({}, '0.4.0');
    const add = await h.call(h.env('ADD', id, netns), conf);
    expect(add.exitCode, add.stdout).toBe(0);
    expect(add.json).toMatchObject({ cniVersion: '0.4.0', ips: [{ version: '4', interface: 1 }] });
    expect((await h.call(h.env('CHECK', id, netns), { ...conf, prevResult: add.json })).exitCode).toBe(0);
    const old = await h.call(h.env('CHECK', id, netns), { ...h.conf({}, '0.3.1'), prevResult: add.json });
    expect(old.json).toMatchObject({ cniVersion: '0.3.1', code: 1, msg: expect.stringContaining('0.4.0') });
    expect((await h.call(h.env('DEL', id, netns), conf)).exitCode).toBe(0);
  });

  it('chained after another plugin: keeps prevResult and adds its own interfaces after it; the MTU on both ends', async () => {
    const netns = h.netns();
    const id = h.containerId();
    const prevResult = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'lo', sandbox: netns }],
      ips: [{ address: '127.0.0.1/8', interface: 0 }],
      dns: { nameservers: ['10.96.0.10'] },
    };
    const add = await h.call(h.env('ADD', id, netns), h.conf({ prevResult, mtu: 1400 }));
    expect(add.exitCode, add.stdout).toBe(0);
    expect(inNetns(netns, ['link', 'show', 'dev', 'eth0'])).toContain('mtu 1400');
    expect(readFileSync(`/sys/class/net/${hostIfName(id, 'eth0')}/mtu`, 'utf8').trim()).toBe('1400');
    const result = add.json as {
      interfaces: { name: string }[];
      ips: { address: string; interface: number }[];
    };
    expect(result.interfaces.map((i) => i.name)).toEqual(['lo', hostIfName(id, 'eth0'), 'eth0']);
    expect(result.ips[0]).toEqual({ address: '127.0.0.1/8', interface: 0 });
    expect(result.ips[1]!.interface).toBe(2);
    expect((await h.call(h.env('CHECK', id, netns), h.conf({ prevResult: add.json }))).exitCode).toBe(0);
    // A runtime that sends no prevResult: CHECK uses cairn's record of the ADD.
    expect((await h.call(h.env('CHECK', id, netns), h.conf())).exitCode).toBe(0);
    inNetns(netns, ['addr', 'del', result.ips[1]!.address, 'dev', 'eth0']);
    expect((await h.call(h.env('CHECK', id, netns), h.conf())).json).toMatchObject({
      code: 101,
      msg: expect.stringContaining(`address ${result.ips[1]!.address} missing`),
    });
    expect((await h.call(h.env('DEL', id, netns), h.conf())).exitCode).toBe(0);
  });

  it('pods added and deleted concurrently: distinct addresses, every event in the log, nothing left', async () => {
    const pods = Array.from({ length: 5 }, () => ({ id: h.containerId(), netns: h.netns() }));
    const before = (await h.events()).length;
    const adds = await Promise.all(pods.map((p) => h.call(h.env('ADD', p.id, p.netns), h.conf())));
    for (const add of adds) expect(add.exitCode, add.stdout).toBe(0);
    const addresses = adds.map((a) => (a.json as { ips: { address: string }[] }).ips[0]!.address);
    expect(new Set(addresses).size).toBe(pods.length);
    const dels = await Promise.all(pods.map((p) => h.call(h.env('DEL', p.id, p.netns), h.conf())));
    for (const del of dels) expect(del.exitCode, del.stdout).toBe(0);
    const events = (await h.events()).slice(before);
    expect(
      events
        .filter((e) => e.type === 'CniAdded')
        .map(cniFacts)
        .sort(),
    ).toEqual(pods.map((p) => ['CniAdded', p.id]).sort());
    expect(events.filter((e) => e.type === 'CniDeleted')).toHaveLength(pods.length);
    expect(h.reservedIps()).toEqual([]);
    for (const p of pods) expect(h.hostVethExists(p.id)).toBe(false);
  });

  it('a stale agent socket (the agent died): the events go to etcd', async () => {
    writeFileSync(h.agentSocket, '');
    try {
      const netns = h.netns();
      const id = h.containerId();
      expect((await h.call(h.env('ADD', id, netns), h.conf())).exitCode).toBe(0);
      expect(cniFacts((await h.events()).at(-1)!)).toEqual(['CniAdded', id]);
      expect((await h.call(h.env('DEL', id, netns), h.conf())).exitCode).toBe(0);
    } finally {
      rmSync(h.agentSocket, { force: true });
    }
  });

  it('records through the local agent when it is up, idempotently', async () => {
    const server = await startCniEventServer({ log: h.eventLog(), socketPath: h.agentSocket });
    try {
      const netns = h.netns();
      const id = h.containerId();
      expect((await h.call(h.env('ADD', id, netns), h.conf())).exitCode).toBe(0);
      expect((await h.call(h.env('DEL', id, netns), h.conf())).exitCode).toBe(0);
      expect(server.appended).toBe(2);
      const events = await h.events();
      expect(events.slice(-2).map(cniFacts)).toEqual([
        ['CniAdded', id],
        ['CniDeleted', id],
      ]);
    } finally {
      await server.close();
    }
  });

  it('STATUS: ready while etcd answers; GC deletes what the runtime no longer lists', async () => {
    const status = await h.call({ CNI_COMMAND: 'STATUS', CNI_PATH: h.binDir }, h.conf({}, '1.1.0'));
    expect(status.exitCode, status.stdout).toBe(0);
    const down = await h.call(
      { CNI_COMMAND: 'STATUS', CNI_PATH: h.binDir },
      h.conf({ etcdEndpoints: ['http://127.0.0.1:9'], etcdTimeoutMs: 500 }, '1.1.0'),
    );
    expect(down.json).toMatchObject({ code: 50, msg: expect.stringContaining('127.0.0.1:9') });

    const keep = { id: h.containerId(), netns: h.netns() };
    const stale = { id: h.containerId(), netns: h.netns() };
    for (const c of [keep, stale])
      expect((await h.call(h.env('ADD', c.id, c.netns), h.conf())).exitCode).toBe(0);
    const gc = await h.call(
      { CNI_COMMAND: 'GC', CNI_PATH: h.binDir },
      h.conf({ 'cni.dev/valid-attachments': [{ containerID: keep.id, ifname: 'eth0' }] }, '1.1.0'),
    );
    expect(gc.exitCode, gc.stdout).toBe(0);
    expect(h.hostVethExists(stale.id)).toBe(false);
    expect(h.hostVethExists(keep.id)).toBe(true);
    expect(h.reservedIps()).toHaveLength(1);
    const last = (await h.events()).at(-1)!;
    expect(cniFacts(last)).toEqual(['CniDeleted', stale.id]);
    expect((await h.call(h.env('DEL', keep.id, keep.netns), h.conf())).exitCode).toBe(0);
    expect(h.reservedIps()).toEqual([]);
  });
});
