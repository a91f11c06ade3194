import { describe, expect, it } from 'vitest';
import { cidrText, parseCidr, parseIpv4 } from '../../../src/projections/policy/ipv4.js';
import { compileLabelSelector, isSelectorError } from '../../../src/projections/policy/labelSelector.js';
import { NumberAllocator } from '../../../src/projections/policy/numberAllocator.js';
import { splitPortRange } from '../../../src/projections/policy/portRanges.js';
import { selector } from './builders.js';

describe('splitPortRange', () => {
  it('gives one exact block for a single port', () => {
    expect(splitPortRange(80, 80)).toEqual([{ port: 80, prefixLen: 16 }]);
  });
  it('gives one block for an aligned range', () => {
    expect(splitPortRange(80, 83)).toEqual([{ port: 80, prefixLen: 14 }]);
    expect(splitPortRange(0, 65535)).toEqual([{ port: 0, prefixLen: 0 }]);
  });
  it('splits an unaligned range into the fewest aligned blocks covering exactly the range', () => {
    const blocks = splitPortRange(8080, 8090);
    expect(blocks).toEqual([
      { port: 8080, prefixLen: 13 },
      { port: 8088, prefixLen: 15 },
      { port: 8090, prefixLen: 16 },
    ]);
    const covered = blocks.flatMap((b) =>
      Array.from({ length: 2 ** (16 - b.prefixLen) }, (_, i) => b.port + i),
    );
    expect(covered).toEqual(Array.from({ length: 11 }, (_, i) => 8080 + i));
  });
  it('handles the top of the port space', () => {
    expect(splitPortRange(65535, 65535)).toEqual([{ port: 65535, prefixLen: 16 }]);
    expect(splitPortRange(32768, 65535)).toEqual([{ port: 32768, prefixLen: 1 }]);
  });
});

describe('ipv4', () => {
  it('parses dotted quads and rejects anything else', () => {
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.01', 'fd00::1', '', 'a.b.c.d'])
      expect(parseIpv4(bad)).toBeNull();
  });
  it('canonicalises prefixes, clearing host bits', () => {
    expect(cidrText(parseCidr('10.1.2.3/8')!)).toBe('10.0.0.0/8');
    expect(cidrText(parseCidr('0.0.0.0/0')!)).toBe('0.0.0.0/0');
    expect(parseCidr('10.0.0.0/33')).toBeNull();
  });
});

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'fe' };
  const matches = (sel: ReturnType<typeof selector>) => {
    const m = compileLabelSelector(sel);
    if (isSelectorError(m)) throw new Error(m.error);
    return m(labels);
  };
  it('an empty selector matches everything', () => expect(matches(selector())).toBe(true));
  it('matchLabels needs every pair', () => {
    expect(matches(selector({ app: 'web' }))).toBe(true);
    expect(matches(selector({ app: 'web', tier: 'be' }))).toBe(false);
  });
  it('In, NotIn, Exists, DoesNotExist', () => {
    expect(matches(selector({}, [{ key: 'app', operator: 'In', values: ['web', 'db'] }]))).toBe(true);
    expect(matches(selector({}, [{ key: 'app', operator: 'NotIn', values: ['web'] }]))).toBe(false);
    expect(matches(selector({}, [{ key: 'zone', operator: 'NotIn', values: ['x'] }]))).toBe(true);
    expect(matches(selector({}, [{ key: 'tier', operator: 'Exists', values: [] }]))).toBe(true);
    expect(matches(selector({}, [{ key: 'tier', operator: 'DoesNotExist', values: [] }]))).toBe(false);
  });
  it('an unknown operator is an error, not a match', () => {
    expect(compileLabelSelector(selector({}, [{ key: 'a', operator: 'Gt', values: ['1'] }]))).toEqual({
      error: 'unknown selector operator "Gt" on a',
    });
  });
});

describe('NumberAllocator', () => {
  it('hands out the smallest released number first, then fresh ones', () => {
    const ids = new NumberAllocator(256, 1000);
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([256, 257, 258]);
    ids.release(258);
    ids.release(256);
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([256, 258, 259]);
  });
});
