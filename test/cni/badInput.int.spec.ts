import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CniHarness } from './support/cniHarness.js';
import { cniTestsSkipReason } from './support/cniPrereq.js';

const skip = cniTestsSkipReason();

describe.skipIf(skip !== undefined)(
  'cairn CNI plugin: bad input gets the spec error code and leaves nothing behind',
  () => {
    let h: CniHarness;
    beforeAll(() => {
      h = new CniHarness(inject('etcdEndpoints'));
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    /** No veth, no address held, no record, and the log as it was. */
    async function expectNothingLeft(id: string, eventsBefore: number, reservedBefore: string[] = []) {
      expect(h.hostVethExists(id), 'host veth left behind').toBe(false);
      expect(h.reservedIps().sort(), 'IP left reserved').toEqual([...reservedBefore].sort());
      expect(
        h.records().filter((r) => r.startsWith(id)),
        'attachment record left',
      ).toEqual([]);
      expect((await h.events()).length, 'event recorded for a failed call').toBe(eventsBefore);
    }

    async function addFails(env: Record<string, string>, conf: Record<string, unknown> | string) {
      const before = (await h.events()).length;
      const run = await h.call(env, conf);
      expect(run.exitCode).not.toBe(0);
      expect(run.json, run.stdout).toBeDefined();
      await expectNothingLeft(env.CNI_CONTAINERID ?? '', before);
      return run.json as { cniVersion: string; code: number; msg: string };
    }

    it('malformed JSON: code 6', async () => {
      const error = await addFails(
        h.env('ADD', h.containerId(), h.netns()),
        '{"cniVersion": "1.0.0", "name": ',
      );
      expect(error).toMatchObject({ code: 6, msg: expect.stringContaining('not valid JSON') });
    });

    it('an unknown cniVersion: code 1, naming it and the supported ones', async () => {
      const error = await addFails(h.env('ADD', h.containerId(), h.netns()), h.conf({}, '9.9.9'));
      expect(error).toMatchObject({
        cniVersion: '9.9.9',
        code: 1,
        msg: expect.stringMatching(/"9\.9\.9".*1\.0\.0/),
      });
    });

    it('missing or invalid environment variables: code 4, naming each', async () => {
      const id = h.containerId();
      const env = h.env('ADD', id, h.netns());
      const { CNI_NETNS: _n, CNI_IFNAME: _i, ...withoutBoth } = env;
      expect(await addFails(withoutBoth, h.conf())).toMatchObject({
        code: 4,
        msg: expect.stringMatching(/CNI_NETNS, CNI_IFNAME/),
      });
      const { CNI_COMMAND: _c, ...noCommand } = env;
      expect(await addFails(noCommand, h.conf())).toMatchObject({
        code: 4,
        msg: expect.stringContaining('CNI_COMMAND'),
      });
      expect(await addFails({ ...env, CNI_IFNAME: 'a-very-long-interface' }, h.conf())).toMatchObject({
        code: 4,
        msg: expect.stringContaining('CNI_IFNAME "a-very-long-interface" is longer than 15'),
      });
      expect(await addFails({ ...env, CNI_ARGS: 'K8S_POD_NAME' }, h.conf())).toMatchObject({
        code: 4,
        msg: expect.stringContaining('CNI_ARGS pair "K8S_POD_NAME"'),
      });
    });

    it('invalid network configuration: code 7 naming the field; an IPAM plugin not installed: code 7 naming it', async () => {
      const env = h.env('ADD', h.containerId(), h.netns());
      expect(await addFails(env, h.conf({ ipam: undefined }))).toMatchObject({
        code: 7,
        msg: expect.stringContaining('ipam'),
      });
      expect(await addFails(env, h.conf({ etcdEndpoints: [] }))).toMatchObject({
        code: 7,
        msg: expect.stringContaining('etcdEndpoints'),
      });
      expect(await addFails(env, h.conf({ ipam: { type: 'no-such-ipam' } }))).toMatchObject({
        code: 7,
        msg: expect.stringContaining('"no-such-ipam" not found in CNI_PATH'),
      });
    });

    it('a netns path that does not exist: code 3, naming it, before IPAM is asked', async () => {
      const missing = `/run/netns/cairn-cni-${h.id}-missing`;
      const error = await addFails(h.env('ADD', h.containerId(), missing), h.conf());
      expect(error).toMatchObject({
        code: 3,
        msg: expect.stringContaining(`CNI_NETNS ${missing} does not exist`),
      });
    });

    it('IPAM exhaustion: host-local error passed on, the second pod gets nothing and the first keeps its address', async () => {
      const one = { rangeStart: `${h.subnetBase}.10`, rangeEnd: `${h.subnetBase}.10` };
      const conf = h.conf({ name: `${h.network}-small`, ipam: h.ipam(one) });
      const first = { id: h.containerId(), netns: h.netns() };
      expect((await h.call(h.env('ADD', first.id, first.netns), conf)).exitCode).toBe(0);
      const reserved = h.reservedIps(`${h.network}-small`);
      expect(reserved).toEqual([`${h.subnetBase}.10`]);

      const second = { id: h.containerId(), netns: h.netns() };
      const before = (await h.events()).length;
      const run = await h.call(h.env('ADD', second.id, second.netns), conf);
      expect(run.exitCode).toBe(1);
      expect(run.json).toMatchObject({
        code: 999,
        msg: expect.stringContaining('host-local ADD: failed to allocate'),
      });
      expect((run.json as { msg: string }).msg).toContain('no IP addresses available');
      expect(h.hostVethExists(second.id)).toBe(false);
      expect(h.reservedIps(`${h.network}-small`)).toEqual(reserved);
      expect((await h.events()).length).toBe(before);

      expect((await h.call(h.env('DEL', first.id, first.netns), conf)).exitCode).toBe(0);
      expect(h.reservedIps(`${h.network}-small`)).toEqual([]);
    });

    it('the interface name already taken in the pod: code 100, the address released again', async () => {
      const netns = h.netns();
      execFileSync('nsenter', [
        `--net=${netns}`,
        '--',
        'ip',
        'link',
        'add',
        'eth0',
        'type',
        'veth',
        'peer',
        'name',
        'eth0p',
      ]);
      const error = await addFails(h.env('ADD', h.containerId(), netns), h.conf());
      expect(error).toMatchObject({
        code: 100,
        msg: expect.stringContaining(`interface eth0 already exists in ${netns}`),
      });
    });

    it('a second ADD without DEL: code 102, and the first attachment keeps its veth and address', async () => {
      const netns = h.netns();
      const id = h.containerId();
      const before = (await h.events()).length;
      expect((await h.call(h.env('ADD', id, netns), h.conf())).exitCode).toBe(0);
      const reserved = h.reservedIps();
      const again = await h.call(h.env('ADD', id, netns), h.conf());
      expect(again.json).toMatchObject({
        code: 102,
        msg: expect.stringContaining(`container ${id} interface eth0 is attached already`),
      });
      expect(h.hostVethExists(id)).toBe(true);
      expect(h.reservedIps()).toEqual(reserved);
      expect((await h.events()).length).toBe(before + 1);
      expect((await h.call(h.env('DEL', id, netns), h.conf())).exitCode).toBe(0);
      await expectNothingLeft(id, before + 2);
    });

    it('the event log unreachable (agent down, etcd down): code 11, everything undone', async () => {
      const conf = h.conf({ etcdEndpoints: ['http://127.0.0.1:9'], etcdTimeoutMs: 1_000 });
      const error = await addFails(h.env('ADD', h.containerId(), h.netns()), conf);
      expect(error).toMatchObject({ code: 11, msg: expect.stringContaining('agent at') });
      expect(error.msg).toContain('127.0.0.1:9');
    });
  },
);
