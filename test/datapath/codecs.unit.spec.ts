import { describe, expect, it } from 'vitest';
import { dropStatsCodec } from '../../src/datapath/codecs/dropStatsCodec.js';
import { MAP_CODECS } from '../../src/datapath/mapCodecs.js';

const hex = (b: Buffer) => b.toString('hex');

describe('codecs: bytes as the C layouts hold them', () => {
  it('lb4_key: address and port in network order, slot in host order, padding zero', () => {
    const key = { address: '10.96.0.10', port: 53, proto: 'UDP', slot: 2, scope: 'internal' } as const;
    const buf = MAP_CODECS.services.key.encode(key);
    expect(hex(buf)).toBe('0a60000a' + '0035' + '0200' + '11' + '01' + '0000');
    expect(MAP_CODECS.services.key.decode(buf, undefined)).toEqual(key);
  });

  it('lb4_service: the master carries count, rev-NAT, flags and the affinity timeout in backend_id', () => {
    const master = { kind: 'master', count: 3, revNatId: 7, flags: 0x11, affinityTimeoutSec: 10800 } as const;
    const buf = MAP_CODECS.services.value.encode(master);
    expect(hex(buf)).toBe('302a0000' + '07000000' + '0300' + '11' + '00');
    expect(
      MAP_CODECS.services.value.decode(buf, {
        address: '',
        port: 0,
        proto: 'TCP',
        slot: 0,
        scope: 'external',
      }),
    ).toEqual(master);
    const slot = { kind: 'slot', backendId: 42, revNatId: 7 } as const;
    expect(
      MAP_CODECS.services.value.decode(MAP_CODECS.services.value.encode(slot), {
        address: '',
        port: 0,
        proto: 'TCP',
        slot: 1,
        scope: 'external',
      }),
    ).toEqual(slot);
  });

  it('lb4_backend and lb4_reverse_nat', () => {
    const be = { address: '192.0.2.7', port: 8080, proto: 'TCP', state: 'terminating' } as const;
    expect(hex(MAP_CODECS.backends.value.encode(be))).toBe('c0000207' + '1f90' + '06' + '01');
    expect(MAP_CODECS.backends.value.decode(MAP_CODECS.backends.value.encode(be), { id: 1 })).toEqual(be);
    expect(hex(MAP_CODECS.revNat.key.encode({ id: 0x010203 }))).toBe('03020100');
    expect(hex(MAP_CODECS.revNat.value.encode({ address: '10.0.0.1', port: 443 }))).toBe(
      '0a000001' + '01bb' + '0000',
    );
  });

  it('ipcache: prefix length in host order, host bits cleared', () => {
    const buf = MAP_CODECS.ipcache.key.encode({ cidr: '10.1.2.3/16' });
    expect(hex(buf)).toBe('10000000' + '0a010000');
    expect(MAP_CODECS.ipcache.key.decode(buf, undefined)).toEqual({ cidr: '10.1.0.0/16' });
    expect(
      MAP_CODECS.ipcache.key.decode(MAP_CODECS.ipcache.key.encode({ cidr: '10.1.2.3' }), undefined),
    ).toEqual({
      cidr: '10.1.2.3/32',
    });
  });

  it('policy_key: 72 bits for any proto, 80 + p for a port prefix, port masked to its prefix', () => {
    const base = { endpointId: 5, identity: 300, direction: 'egress' } as const;
    const any = MAP_CODECS.policy.key.encode({ ...base, proto: 'ANY', port: 80, portPrefixLen: 16 });
    expect(hex(any)).toBe('48000000' + '05000000' + '2c010000' + '01' + '00' + '0000');
    const range = MAP_CODECS.policy.key.encode({ ...base, proto: 'TCP', port: 8081, portPrefixLen: 12 });
    expect(hex(range)).toBe('5c000000' + '05000000' + '2c010000' + '01' + '06' + '1f90');
    expect(MAP_CODECS.policy.key.decode(range, undefined)).toEqual({
      ...base,
      proto: 'TCP',
      port: 8080,
      portPrefixLen: 12,
    });
    expect(MAP_CODECS.policy.key.decode(any, undefined)).toEqual({
      ...base,
      proto: 'ANY',
      port: 0,
      portPrefixLen: 0,
    });
    expect(hex(MAP_CODECS.policy.value.encode({ verdict: 'deny' }))).toBe('01000000');
  });

  it('endpoint_info: MAC bytes in order, flags in host order', () => {
    const value = { endpointId: 9, ifIndex: 12, identity: 1001, mac: '02:00:00:aa:bb:cc', flags: 3 };
    const buf = MAP_CODECS.endpoints.value.encode(value);
    expect(hex(buf.subarray(12))).toBe('020000aabbcc' + '0300');
    expect(MAP_CODECS.endpoints.value.decode(buf, { ip: '' })).toEqual(value);
    expect(hex(MAP_CODECS.endpoints.key.encode({ ip: '10.0.0.2' }))).toBe('0a000002');
  });

  it('maglev: a whole table of host-order ids', () => {
    const table = { backendIds: [1, 2, 0x01020304] };
    expect(hex(MAP_CODECS.maglev.value.encode(table))).toBe('01000000' + '02000000' + '04030201');
    expect(MAP_CODECS.maglev.value.decode(MAP_CODECS.maglev.value.encode(table), { revNatId: 1 })).toEqual(
      table,
    );
  });

  it('drop_stats: per-CPU copies are summed', () => {
    const perCpu = Buffer.concat([
      dropStatsCodec.encode({ packets: 2n, bytes: 120n }),
      dropStatsCodec.encode({ packets: 3n, bytes: 60n }),
    ]);
    expect(dropStatsCodec.decode(perCpu, undefined)).toEqual({ packets: 5n, bytes: 180n });
  });

  it('bad input is a TypeError naming it', () => {
    expect(() =>
      MAP_CODECS.backends.value.encode({ address: '10.0.0.256', port: 1, proto: 'TCP', state: 'active' }),
    ).toThrow(/not an IPv4 address: "10.0.0.256"/);
    expect(() =>
      MAP_CODECS.services.key.encode({
        address: '10.0.0.1',
        port: 70000,
        proto: 'TCP',
        slot: 0,
        scope: 'external',
      }),
    ).toThrow(/service port must be an integer/);
    expect(() => MAP_CODECS.ipcache.key.encode({ cidr: '10.0.0.0/33' })).toThrow(/not an IPv4 CIDR/);
    expect(() =>
      MAP_CODECS.endpoints.value.encode({ endpointId: 1, ifIndex: 1, identity: 1, mac: 'zz', flags: 0 }),
    ).toThrow(/not a MAC address/);
    expect(() => MAP_CODECS.backends.value.decode(Buffer.alloc(7), { id: 1 })).toThrow(
      /lb4_backend is 8 bytes, got 7/,
    );
  });
});
