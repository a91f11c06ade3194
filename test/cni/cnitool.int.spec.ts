import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hostIfName } from '../../src/nodeagent/cni/hostIfName.js';
import { packageRoot } from '../../src/paths.js';
import { CniHarness } from './support/cniHarness.js';
import { cniTestsSkipReason, findCnitool } from './support/cniPrereq.js';

const run = promisify(execFile);
const skipCni = cniTestsSkipReason();
const cnitool = skipCni === undefined ? findCnitool() : { skip: skipCni };

/** The container id cnitool gives a netns: `cnitool-` and 10 bytes of the SHA-512 of its path. */
function cnitoolContainerId(netns: string): string {
  return `cnitool-${createHash('sha512').update(netns).digest('hex').slice(0, 20)}`;
}

function ifbDevices(): string[] {
  const links = JSON.parse(
    execFileSync('ip', ['-j', 'link', 'show', 'type', 'ifb'], { encoding: 'utf8' }) || '[]',
  );
  return (links as { ifname: string }[]).map((l) => l.ifname).sort();
}

describe.skipIf(cnitool.skip !== undefined)(
  'the reference cnitool drives cairn chained with bandwidth',
  () => {
    let h: CniHarness;
    let netconfPath: string;
    beforeAll(() => {
      h = new CniHarness(inject('etcdEndpoints'));
      netconfPath = join(h.dir, 'net.d');
      mkdirSync(netconfPath);
      const { cniVersion, name, ...cairn } = h.conf();
      const conflist = {
        cniVersion,
        name,
        plugins: [
          cairn,
          // Static limits: bandwidth shapes the host veth (pod ingress) and an ifb (pod egress).
          {
            type: 'bandwidth',
            ingressRate: 100_000_000,
            ingressBurst: 1_000_000,
            egressRate: 100_000_000,
            egressBurst: 1_000_000,
          },
        ],
      };
      writeFileSync(join(netconfPath, '10-cairn.conflist'), JSON.stringify(conflist, null, 2));
    });
    /** A DEL for every add, run even when a test failed half-way (bandwidth's ifb, libcni's cache). */
    const undo: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const del of undo.reverse()) await del().catch(() => undefined);
      await h?.cleanup();
    });

    const tool = (command: string, netns: string) => {
      if (command === 'add') undo.push(() => tool('del', netns));
      return run(cnitool.path!, [command, h.network, netns], {
        env: {
          PATH: process.env.PATH ?? '',
          NETCONFPATH: netconfPath,
          CNI_PATH: h.binDir,
          CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=ns-${h.id};K8S_POD_NAME=via-cnitool`,
        },
        encoding: 'utf8',
      });
    };

    it('add, check, del, del again', async () => {
      const netns = h.netns();
      const id = h.adopt(cnitoolContainerId(netns));
      const hostIf = hostIfName(id, 'eth0');
      const ifbBefore = ifbDevices();

      const add = await tool('add', netns);
      const result = JSON.parse(add.stdout) as {
        cniVersion: string;
        interfaces: { name: string; sandbox?: string }[];
        ips: { address: string; interface: number }[];
      };
      expect(result.cniVersion).toBe('1.0.0');
      expect(result.interfaces.map((i) => i.name)).toEqual(expect.arrayContaining([hostIf, 'eth0']));
      expect(result.ips[0]!.address.startsWith(`${h.subnetBase}.`)).toBe(true);
      // bandwidth found cairn's host veth in the chained result and shaped it.
      expect(execFileSync('tc', ['qdisc', 'show', 'dev', hostIf], { encoding: 'utf8' })).toContain('tbf');
      expect(ifbDevices().length).toBe(ifbBefore.length + 1);

      await tool('check', netns);

      await tool('del', netns);
      expect(h.hostVethExists(id)).toBe(false);
      expect(h.reservedIps()).toEqual([]);
      expect(ifbDevices()).toEqual(ifbBefore);
      await tool('del', netns);

      const events = await h.events();
      expect(events.map((e) => [e.type, e.id.split('/').slice(2, 5).join('/')])).toEqual([
        ['CniAdded', `${id}/eth0/ADD`],
        ['CniDeleted', `${id}/eth0/DEL`],
      ]);
      expect(events[0]!.payload).toMatchObject({ podName: 'via-cnitool', hostIfName: hostIf });
    });

    it("the conflist of docs/cni.md (the admin's), pointed at this test's etcd, dirs and subnet", async () => {
      const docs = readFileSync(join(packageRoot(), 'docs', 'cni.md'), 'utf8');
      const block = /```json\n([\s\S]*?)\n```/.exec(docs)?.[1];
      expect(block, 'docs/cni.md has a json conflist').toBeDefined();
      const conflist = JSON.parse(block!) as { name: string; plugins: Record<string, unknown>[] };
      const [cairn] = conflist.plugins as [
        Record<string, unknown> & { ipam: { ranges: { subnet: string }[][] } },
      ];
      // Only what must differ on a test box: the etcd, the state dirs, the node, the subnet.
      for (const field of ['etcdCaFile', 'etcdCertFile', 'etcdKeyFile']) delete cairn[field];
      const { name: _name, cniVersion: _version, ...ours } = h.conf();
      Object.assign(cairn, { ...ours, ipam: { ...cairn.ipam, dataDir: h.ipamDir } });
      cairn.ipam.ranges = [[{ subnet: `${h.subnetBase}.0/24` }]];
      conflist.name = `${h.network}-docs`;
      writeFileSync(join(netconfPath, '20-docs.conflist'), JSON.stringify(conflist));

      const netns = h.netns();
      const id = h.adopt(cnitoolContainerId(netns));
      const docsTool = (command: string) => {
        if (command === 'add') undo.push(() => docsTool('del'));
        return run(cnitool.path!, [command, conflist.name, netns], {
          env: {
            PATH: process.env.PATH ?? '',
            NETCONFPATH: netconfPath,
            CNI_PATH: h.binDir,
            CNI_ARGS: 'IgnoreUnknown=1',
          },
          encoding: 'utf8',
        });
      };
      const result = JSON.parse((await docsTool('add')).stdout) as { interfaces: { name: string }[] };
      expect(result.interfaces.map((i) => i.name)).toContain(hostIfName(id, 'eth0'));
      await docsTool('check');
      await docsTool('del');
      await docsTool('del');
      expect(h.hostVethExists(id)).toBe(false);
      expect(h.reservedIps(conflist.name)).toEqual([]);
    });

    it('CNI 1.1 through cnitool: status, and gc removing what the runtime no longer lists', async () => {
      // The same network at 1.1.0 (cairn alone: Debian's plugins stop at 1.0.0), in its own NETCONFPATH.
      const v11 = join(h.dir, 'net.d-1.1');
      mkdirSync(v11);
      const { cniVersion: _v, name, ...cairn } = h.conf();
      writeFileSync(
        join(v11, '10-cairn.conflist'),
        JSON.stringify({ cniVersion: '1.1.0', name, plugins: [cairn] }),
      );
      const tool11 = (command: string, netns: string) =>
        run(cnitool.path!, [command, h.network, netns], {
          env: { PATH: process.env.PATH ?? '', NETCONFPATH: v11, CNI_PATH: h.binDir },
          encoding: 'utf8',
        });
      const netns = h.netns();
      const id = h.adopt(cnitoolContainerId(netns));
      await tool('add', netns);
      const before = (await h.events()).length;
      await tool11('status', netns);
      await tool11('gc', netns);
      expect(h.hostVethExists(id)).toBe(false);
      expect(h.reservedIps()).toEqual([]);
      const events = await h.events();
      expect(events.length).toBe(before + 1);
      expect(events.at(-1)).toMatchObject({ type: 'CniDeleted', payload: { containerId: id } });
      await tool('del', netns);
    });

    it('check fails, naming the difference, when the pod address is gone', async () => {
      const netns = h.netns();
      const id = h.adopt(cnitoolContainerId(netns));
      const add = JSON.parse((await tool('add', netns)).stdout) as { ips: { address: string }[] };
      execFileSync('nsenter', [
        `--net=${netns}`,
        '--',
        'ip',
        'addr',
        'del',
        add.ips[0]!.address,
        'dev',
        'eth0',
      ]);
      await expect(tool('check', netns)).rejects.toMatchObject({
        stderr: expect.stringContaining(`address ${add.ips[0]!.address} missing on eth0`),
      });
      await tool('del', netns);
      expect(h.hostVethExists(id)).toBe(false);
      expect(h.reservedIps()).toEqual([]);
    });
  },
);
