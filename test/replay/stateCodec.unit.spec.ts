import { describe, expect, it } from 'vitest';
import { decodeState, encodeState, StateCodecError, type StateTypes } from '../../src/replay/stateCodec.js';

class Counter {
  private n = 0;
  next(): number {
    return ++this.n;
  }
}

const made = new WeakMap<object, number>();
const adder = (k: number) => {
  const f = (x: number) => x + k;
  made.set(f, k);
  return f;
};
const TYPES: StateTypes = {
  classes: [Counter],
  functions: [
    {
      name: 'adder',
      describe: (fn) => made.get(fn),
      revive: (k) => adder(k as number) as never,
    },
  ],
};

describe('state codec', () => {
  it('keeps classes, revived closures, shared references, cycles and insertion order', () => {
    const counter = new Counter();
    counter.next();
    const shared = { name: 'shared' };
    const add2 = adder(2);
    const node: Record<string, unknown> = { shared, add: add2, list: [add2, 1], set: new Set([3, add2, 1]) };
    node.self = node;
    const state = {
      counter,
      a: shared,
      node,
      map: new Map<unknown, unknown>([
        ['z', add2],
        ['a', shared],
      ]),
    };
    const back = decodeState(encodeState(state, TYPES), TYPES) as typeof state & { node: typeof node };
    expect(back.counter).toBeInstanceOf(Counter);
    expect(back.counter.next()).toBe(2);
    expect(back.a).toBe(back.node.shared);
    expect(back.node.self).toBe(back.node);
    const f = back.node.add as (x: number) => number;
    expect(f(1)).toBe(3);
    expect((back.node.list as unknown[])[0]).toBe(f);
    expect([...(back.node.set as Set<unknown>)].map((v) => (typeof v === 'function' ? 'fn' : v))).toEqual([
      3,
      'fn',
      1,
    ]);
    expect([...back.map.keys()]).toEqual(['z', 'a']);
    expect(back.map.get('z')).toBe(f);
  });

  it('names what it cannot carry', () => {
    class Unknown {}
    expect(() => encodeState({ x: new Unknown() }, TYPES)).toThrow(StateCodecError);
    expect(() => encodeState({ x: () => 1 }, TYPES)).toThrow(/function/);
  });
});
