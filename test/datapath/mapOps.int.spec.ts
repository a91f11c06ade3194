import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBpfError } from '../../src/datapath/bpfError.js';
import { BpfObject, openPinnedNodeMap, unpin } from '../../src/datapath/bpfObject.js';
import { dropStatsCodec } from '../../src/datapath/codecs/dropStatsCodec.js';
import { dumpNodeMaps } from '../../src/datapath/dumpMaps.js';
import { UPDATE_FLAGS } from '../../src/datapath/kernelMap.js';
import { INTERNAL_MAPS } from '../../src/datapath/mapCodecs.js';
import { nativeBinding } from '../../src/datapath/native.js';
import { BPF_OBJECTS, REPO_ROOT } from '../../src/datapath/paths.js';
import type { MapEntry } from '../../src/maps/delta.js';
import { kernelTestsSkipReason } from './support/datapathPrereq.js';
import { makePinDir, removePinDir } from './support/scratch.js';

const skip = kernelTestsSkipReason();

/** bpf_map_type numbers (linux/bpf.h) of the maps cairn uses. */
const MAP_TYPE = { hash: 1, array: 2, percpuArray: 6, lruHash: 9, lpmTrie: 11, hashOfMaps: 13 } as const;

function backend(i: number): MapEntry<'backends'> {
  return {
    key: { id: i },
    value: {
      address: `10.1.${(i >> 8) & 255}.${i & 255}`,
      port: 8000 + (i % 1000),
      proto: 'TCP',
      state: 'active',
    },
  };
}

describe.skipIf(skip !== undefined)('map operations on the real kernel', () => {
  let pinRoot: string;
  let lb: BpfObject;
  let policy: BpfObject;

  beforeAll(() => {
    pinRoot = makePinDir();
    lb = BpfObject.open(BPF_OBJECTS.sockLb, { pinRoot, maglevTableSize: 251 });
    policy = BpfObject.open(BPF_OBJECTS.policy, { pinRoot, maglevTableSize: 251 });
  });

  afterAll(() => {
    lb?.close();
    policy?.close();
    if (pinRoot) removePinDir(pinRoot);
  });

  it('pins every map by name and a second object reuses them', () => {
    const services = lb.map('services');
    const viaPolicy = policy.map('services');
    expect(services.info().id).toBe(viaPolicy.info().id);
    expect(lb.mapNames()).toContain('cairn_policy');
    services.close();
    viaPolicy.close();
  });

  it('hash: lookup, update with flags, delete, iterate; errors carry errno, its name and the map', () => {
    const services = lb.map('services');
    const key = { address: '10.96.0.10', port: 53, proto: 'UDP', slot: 0, scope: 'external' } as const;
    const master = { kind: 'master', count: 2, revNatId: 7, flags: 1, affinityTimeoutSec: 0 } as const;
    expect(services.lookup(key)).toBeUndefined();
    services.update(key, master, UPDATE_FLAGS.noExist);
    expect(services.lookup(key)).toEqual(master);
    let caught: unknown;
    try {
      services.update(key, master, UPDATE_FLAGS.noExist);
    } catch (err) {
      caught = err;
    }
    expect(isBpfError(caught)).toBe(true);
    expect(caught).toMatchObject({ errno: 17, code: 'EEXIST', map: 'cairn_lb4_svc', op: 'update' });
    const slot = { kind: 'slot', backendId: 42, revNatId: 7 } as const;
    services.update({ ...key, slot: 1 }, slot, UPDATE_FLAGS.noExist);
    expect(services.entries()).toHaveLength(2);
    expect(services.lookup({ ...key, slot: 1 })).toEqual(slot);
    expect(services.info(true)).toMatchObject({ type: MAP_TYPE.hash, keySize: 12, valueSize: 12, count: 2 });
    expect(services.delete({ ...key, slot: 1 })).toBe(true);
    expect(services.delete({ ...key, slot: 1 })).toBe(false); // deleting what is absent is not an error
    expect(services.delete(key)).toBe(true);
    services.close();
  });

  it('rejects malformed arguments at the boundary with TypeError', () => {
    const raw = lb.rawMap('cairn_lb4_be');
    expect(() => raw.lookup(Buffer.alloc(3))).toThrow(TypeError);
    expect(() => raw.update(Buffer.alloc(4), Buffer.alloc(4))).toThrow(/value must be 8 bytes/);
    expect(() => raw.lookup('x' as unknown as Buffer)).toThrow(TypeError);
    expect(() => lb.map('backends').update({ id: -1 }, backend(1).value)).toThrow(TypeError);
    raw.close();
  });

  it('hash: batch update, batch lookup off the main thread, batch delete', async () => {
    const backends = lb.map('backends');
    const entries = Array.from({ length: 5000 }, (_, i) => backend(i + 1));
    expect(await backends.updateMany(entries)).toEqual({ count: 5000, batch: true });
    const read = await backends.readAll();
    expect(read).toHaveLength(5000);
    expect(new Map(read.map((e) => [e.key.id, e.value])).get(4321)).toEqual(backend(4321).value);
    expect(backends.entries()).toHaveLength(5000); // key-by-key iteration agrees
    // Missing keys in a delete batch are skipped, the rest deleted.
    const keys = [
      ...entries.slice(0, 2500).map((e) => e.key),
      { id: 999_999 },
      ...entries.slice(2500).map((e) => e.key),
    ];
    expect(await backends.deleteMany(keys)).toMatchObject({ count: 5000 });
    expect(backends.info(true).count).toBe(0);
    backends.close();
  });

  it('a failed batch reports how many elements were applied', async () => {
    const backends = lb.map('backends');
    await backends.updateMany([backend(2)]);
    const err = await backends
      .updateMany([backend(1), backend(2), backend(3)], UPDATE_FLAGS.noExist)
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'EEXIST', map: 'cairn_lb4_be', done: 1 });
    await backends.deleteMany([{ id: 1 }, { id: 2 }, { id: 3 }]);
    backends.close();
  });

  it('LPM trie: longest prefix wins; batch ops', async () => {
    const ipcache = policy.map('ipcache');
    const entries: MapEntry<'ipcache'>[] = [
      { key: { cidr: '0.0.0.0/0' }, value: { identity: 2 } },
      { key: { cidr: '10.0.0.0/8' }, value: { identity: 300 } },
      { key: { cidr: '10.1.2.3/32' }, value: { identity: 301 } },
    ];
    const result = await ipcache.updateMany(entries);
    expect(result.count).toBe(3);
    const raw = ipcache.raw;
    const probe = (ip: string) => {
      const buf = ipcache.raw.lookup(MAP_KEY(ip));
      return buf?.readUInt32LE(0);
    };
    const MAP_KEY = (ip: string) => {
      const b = Buffer.alloc(8);
      b.writeUInt32LE(32, 0);
      b.writeUInt32BE(
        ip.split('.').reduce((a, o) => a * 256 + Number(o), 0),
        4,
      );
      return b;
    };
    expect(probe('10.1.2.3')).toBe(301);
    expect(probe('10.9.9.9')).toBe(300);
    expect(probe('192.0.2.1')).toBe(2);
    expect((await ipcache.readAll()).map((e) => e.key.cidr).sort()).toEqual([
      '0.0.0.0/0',
      '10.0.0.0/8',
      '10.1.2.3/32',
    ]);
    expect(raw.info().type).toBe(MAP_TYPE.lpmTrie);
    expect((await ipcache.deleteMany(entries.map((e) => e.key))).count).toBe(3);
    expect(ipcache.entries()).toEqual([]);
    ipcache.close();
  });

  it('policy LPM: port ranges by prefix, wildcard proto', async () => {
    const pol = policy.map('policy');
    const base = { endpointId: 5, identity: 300, direction: 'ingress' } as const;
    await pol.updateMany([
      { key: { ...base, proto: 'ANY', port: 0, portPrefixLen: 0 }, value: { verdict: 'deny' } },
      { key: { ...base, proto: 'TCP', port: 8080, portPrefixLen: 12 }, value: { verdict: 'allow' } }, // 8080..8095
      { key: { ...base, proto: 'TCP', port: 8081, portPrefixLen: 16 }, value: { verdict: 'deny' } },
    ]);
    const lookupPort = (port: number, proto: 'TCP' | 'UDP') => {
      const key = Buffer.alloc(16);
      key.writeUInt32LE(96, 0);
      key.writeUInt32LE(5, 4);
      key.writeUInt32LE(300, 8);
      key.writeUInt8(0, 12);
      key.writeUInt8(proto === 'TCP' ? 6 : 17, 13);
      key.writeUInt16BE(port, 14);
      return pol.raw.lookup(key)?.readUInt8(0);
    };
    expect(lookupPort(8090, 'TCP')).toBe(0); // range allow
    expect(lookupPort(8081, 'TCP')).toBe(1); // exact deny is longer
    expect(lookupPort(8096, 'TCP')).toBe(1); // outside the range: the ANY entry
    expect(lookupPort(8090, 'UDP')).toBe(1);
    const read = await pol.readAll();
    expect(read.find((e) => e.key.portPrefixLen === 12)?.key).toEqual({
      ...base,
      proto: 'TCP',
      port: 8080,
      portPrefixLen: 12,
    });
    await pol.deleteMany(read.map((e) => e.key));
    expect(pol.info(true).count).toBe(0);
    pol.close();
  });

  it('hash of maps: Maglev tables swap whole, M is a load-time parameter', () => {
    const maglev = lb.map('maglev');
    const table = { backendIds: Array.from({ length: 251 }, (_, i) => (i % 3) + 1) };
    maglev.update({ revNatId: 9 }, table);
    expect(maglev.lookup({ revNatId: 9 })).toEqual(table);
    expect(maglev.entries()).toEqual([{ key: { revNatId: 9 }, value: table }]);
    expect(maglev.info().type).toBe(MAP_TYPE.hashOfMaps);
    // An inner table of another size than the template is refused by the kernel.
    expect(() => maglev.update({ revNatId: 10 }, { backendIds: [1, 2, 3] })).toThrow(/EINVAL/);
    expect(maglev.delete({ revNatId: 9 })).toBe(true);
    maglev.close();
  });

  it('LRU hash (datapath conntrack): batch ops and iteration', async () => {
    const ct = policy.rawMap(INTERNAL_MAPS.conntrack);
    expect(ct.info()).toMatchObject({ type: MAP_TYPE.lruHash, keySize: 16, valueSize: 8 });
    const n = 100;
    const keys = Buffer.alloc(16 * n);
    const values = Buffer.alloc(8 * n);
    for (let i = 0; i < n; i++) {
      keys.writeUInt32BE(0x0a000001 + i, i * 16);
      keys.writeUInt8(6, i * 16 + 12);
      values.writeBigUInt64LE(BigInt(i), i * 8);
    }
    expect((await ct.updateBatch(keys, values)).count).toBe(n);
    const dump = await ct.lookupBatch();
    expect(dump.count).toBe(n);
    expect(ct.dump().count).toBe(n);
    let walked = 0;
    for (let k = ct.nextKey(); k !== undefined; k = ct.nextKey(k)) walked++;
    expect(walked).toBe(n);
    expect((await ct.deleteBatch(keys)).count).toBe(n);
    ct.close();
  });

  it('per-CPU array (drop counters): values per possible CPU, no delete', async () => {
    const drops = policy.rawMap(INTERNAL_MAPS.drops);
    const cpus = nativeBinding().numPossibleCpus();
    expect(drops.info()).toMatchObject({ type: MAP_TYPE.percpuArray, valueSize: 16, valueStride: 16 * cpus });
    const key = Buffer.alloc(4);
    key.writeUInt32LE(3);
    const value = Buffer.alloc(16 * cpus);
    for (let c = 0; c < cpus; c++) value.writeBigUInt64LE(1n, c * 16);
    drops.update(key, value);
    expect(dropStatsCodec.decode(drops.lookup(key)!, undefined)).toEqual({
      packets: BigInt(cpus),
      bytes: 0n,
    });
    const dump = await drops.lookupBatch();
    expect(dump.count).toBe(16);
    expect(drops.count()).toBe(16);
    expect(() => drops.delete(key)).toThrow(/EINVAL/);
    drops.update(key, Buffer.alloc(16 * cpus));
    drops.close();
  });

  it('pin and unpin a map at another path; reopen by pin', () => {
    const backends = lb.map('backends');
    backends.update({ id: 77 }, backend(77).value);
    const extra = `${pinRoot}/extra_backends`;
    backends.raw.pin(extra);
    const again = nativeBinding().openPinnedMap(extra);
    expect(again.info().id).toBe(backends.info().id);
    again.close();
    expect(unpin(extra)).toBe(true);
    expect(unpin(extra)).toBe(false);
    const byName = openPinnedNodeMap(pinRoot, 'backends');
    expect(byName.lookup({ id: 77 })).toEqual(backend(77).value);
    byName.delete({ id: 77 });
    byName.close();
    backends.close();
  });

  it('a restarted loader reuses the pinned maps and their contents', () => {
    const backends = lb.map('backends');
    backends.update({ id: 5 }, backend(5).value);
    const id = backends.info().id;
    backends.close();
    const reopened = BpfObject.open(BPF_OBJECTS.sockLb, { pinRoot, maglevTableSize: 251 });
    const again = reopened.map('backends');
    expect(again.info().id).toBe(id);
    expect(again.lookup({ id: 5 })).toEqual(backend(5).value);
    again.delete({ id: 5 });
    again.close();
    reopened.close();
  });

  it('a pinned map of another shape is not silently replaced', () => {
    expect(() => BpfObject.open(BPF_OBJECTS.sockLb, { pinRoot, maglevTableSize: 16381 })).not.toThrow();
    // The outer map is compatible (its own shape did not change), but tables must keep M = 251.
    const maglev = openPinnedNodeMap(pinRoot, 'maglev');
    expect(() => maglev.update({ revNatId: 1 }, { backendIds: new Array(16381).fill(1) })).toThrow(/EINVAL/);
    maglev.close();
  });

  it('dumps the pinned node maps decoded, with drop counters', async () => {
    const backends = lb.map('backends');
    backends.update({ id: 31 }, backend(31).value);
    const dump = await dumpNodeMaps(pinRoot, ['backends', 'ipcache']);
    expect(dump.maps.backends).toEqual([backend(31)]);
    expect(dump.maps.ipcache).toEqual([]);
    expect(dump.drops).toEqual({
      policyDeny: { packets: '0', bytes: '0' },
      policyNoMatch: { packets: '0', bytes: '0' },
    });
    backends.delete({ id: 31 });
    backends.close();
  });

  it('without kernel batch ops, the batch calls fall back to one syscall per element', async () => {
    const backends = lb.map('backends');
    const ipcache = policy.map('ipcache');
    const entries = Array.from({ length: 300 }, (_, i) => backend(i + 1));
    nativeBinding().simulateNoBatch(true);
    try {
      expect(await backends.updateMany(entries)).toEqual({ count: 300, batch: false });
      const raw = await backends.raw.lookupBatch();
      expect({ count: raw.count, batch: raw.batch }).toEqual({ count: 300, batch: false });
      expect(await backends.deleteMany([{ id: 1000 }, ...entries.map((e) => e.key)])).toEqual({
        count: 300,
        batch: false,
      });
      const cidrs = [{ key: { cidr: '10.2.0.0/16' }, value: { identity: 7 } }];
      expect(await ipcache.updateMany(cidrs)).toEqual({ count: 1, batch: false });
      expect(await ipcache.readAll()).toEqual(cidrs);
      expect(await ipcache.deleteMany(cidrs.map((c) => c.key))).toEqual({ count: 1, batch: false });
    } finally {
      nativeBinding().simulateNoBatch(false);
      backends.close();
      ipcache.close();
    }
  });

  it('capacities are a load-time choice, and a pinned map of another size is not silently reused', () => {
    const root = makePinDir();
    try {
      const sized = BpfObject.open(BPF_OBJECTS.sockLb, { pinRoot: root, maxEntries: { cairn_lb4_be: 1024 } });
      const backends = sized.map('backends');
      expect(backends.info().maxEntries).toBe(1024);
      backends.close();
      sized.close();
      expect(() =>
        BpfObject.open(BPF_OBJECTS.sockLb, { pinRoot: root, maxEntries: { cairn_lb4_be: 2048 } }),
      ).toThrow(expect.objectContaining({ name: 'BpfError', op: `load ${BPF_OBJECTS.sockLb}` }));
    } finally {
      removePinDir(root);
    }
  });

  it('a file that is not a BPF object fails to open with a BpfError naming it', () => {
    const notBpf = join(REPO_ROOT, 'bpf', 'Makefile');
    let caught: unknown;
    try {
      BpfObject.open(notBpf, { pinRoot });
    } catch (err) {
      caught = err;
    }
    expect(isBpfError(caught)).toBe(true);
    expect((caught as Error).message).toContain(`open ${notBpf}`);
  });
});
