import v8 from 'node:v8';

/** A class whose instances may appear in a fold state: restored with its prototype. */
// biome-ignore lint/suspicious/noExplicitAny: any constructor signature is accepted
export type StateClass = abstract new (...args: any[]) => unknown;

/**
 * A kind of function a fold state may hold (e.g. a compiled label selector): a closure cannot
 * be serialized, so the codec stores what it was made from and makes it again on restore.
 */
export interface StateFunctionKind {
  readonly name: string;
  /** What the function was made from, or undefined when it is not of this kind. */
  describe(fn: (...args: never[]) => unknown): unknown;
  revive(source: unknown): (...args: never[]) => unknown;
}

/** Every class and function kind a state may hold; anything else is an error naming it. */
export interface StateTypes {
  readonly classes: readonly StateClass[];
  readonly functions: readonly StateFunctionKind[];
  /** Prototypes of data records that are saved and restored as plain objects (e.g. Avro-decoded ones). */
  readonly plainRecord?: (proto: object) => boolean;
}

const CLASS = '\0class';
const FN = '\0fn';
const SOURCE = '\0source';

type Obj = Record<string, unknown>;

/** Thrown when a state holds something the codec cannot carry (an unregistered class or closure). */
export class StateCodecError extends Error {
  override readonly name = 'StateCodecError';
}

/**
 * Serializes a graph of plain data, Maps, Sets, registered class instances and registered
 * function kinds to bytes, keeping shared references, cycles and insertion order (so a
 * restored state iterates, allocates and emits exactly as the original would). v8's
 * structured serialization does the heavy lifting; a mirror pass replaces what it cannot carry.
 */
export function encodeState(state: unknown, types: StateTypes): Buffer {
  const classNames = new Map<unknown, string>(types.classes.map((c) => [c.prototype, c.name]));
  const memo = new Map<object, unknown>();
  // Mirrors that need work on restore (a class to give back, a function slot to refill): listed,
  // so decoding touches only them instead of walking the whole graph.
  const fixups = new Set<object>();
  const child = (parent: object, value: unknown): unknown => {
    const m = mirror(value);
    if (typeof value === 'function') fixups.add(parent);
    return m;
  };
  const mirror = (value: unknown): unknown => {
    if (typeof value === 'function') {
      const done = memo.get(value);
      if (done !== undefined) return done;
      for (const kind of types.functions) {
        const source = kind.describe(value as (...args: never[]) => unknown);
        if (source === undefined) continue;
        const out = { [FN]: kind.name, [SOURCE]: mirror(source) };
        memo.set(value, out);
        return out;
      }
      throw new StateCodecError(`cannot snapshot a function (${value.name || 'anonymous'}) of no known kind`);
    }
    if (typeof value === 'symbol') throw new StateCodecError(`cannot snapshot a symbol (${String(value)})`);
    if (typeof value !== 'object' || value === null) return value;
    const done = memo.get(value);
    if (done !== undefined) return done;
    if (Array.isArray(value)) {
      const out: unknown[] = new Array(value.length);
      memo.set(value, out);
      for (let i = 0; i < value.length; i++) out[i] = child(out, value[i]);
      return out;
    }
    if (value instanceof Map) {
      const out = new Map();
      memo.set(value, out);
      for (const [k, v] of value) {
        if (typeof k === 'function')
          throw new StateCodecError('cannot snapshot a function used as a Map key');
        out.set(mirror(k), child(out, v));
      }
      return out;
    }
    if (value instanceof Set) {
      const out = new Set();
      memo.set(value, out);
      for (const v of value) out.add(child(out, v));
      return out;
    }
    if (ArrayBuffer.isView(value) || value instanceof Date) return value;
    const proto = Object.getPrototypeOf(value);
    const out: Obj = {};
    if (proto !== Object.prototype && proto !== null && !types.plainRecord?.(proto)) {
      const name = classNames.get(proto);
      if (name === undefined)
        throw new StateCodecError(
          `cannot snapshot an instance of ${proto?.constructor?.name ?? 'an unknown class'}: not a registered state class`,
        );
      out[CLASS] = name;
      fixups.add(out);
    }
    memo.set(value, out);
    for (const key of Object.keys(value)) out[key] = child(out, (value as Obj)[key]);
    return out;
  };
  const root = mirror(state);
  return v8.serialize({ root, fixups: [...fixups] });
}

/** The inverse of `encodeState`, with the same types. Only the listed fix-ups are visited. */
export function decodeState(bytes: Uint8Array, types: StateTypes): unknown {
  const classes = new Map<string, object>(types.classes.map((c) => [c.name, c.prototype as object]));
  const kinds = new Map(types.functions.map((k) => [k.name, k]));
  const { root, fixups } = v8.deserialize(bytes) as { root: unknown; fixups: object[] };
  const revived = new Map<object, unknown>();
  const isFn = (v: unknown): v is Obj => typeof v === 'object' && v !== null && FN in v;
  const revive = (marker: Obj): unknown => {
    let fn = revived.get(marker);
    if (fn === undefined) {
      const kind = kinds.get(marker[FN] as string);
      if (kind === undefined)
        throw new StateCodecError(`snapshot holds an unknown function kind ${marker[FN]}`);
      fn = kind.revive(marker[SOURCE]);
      revived.set(marker, fn);
    }
    return fn;
  };
  for (const value of fixups) {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (isFn(value[i])) value[i] = revive(value[i]);
    } else if (value instanceof Map) {
      for (const [k, v] of value) if (isFn(v)) value.set(k, revive(v));
    } else if (value instanceof Set) {
      const items = [...value];
      value.clear();
      for (const v of items) value.add(isFn(v) ? revive(v) : v);
    } else {
      const obj = value as Obj;
      for (const key of Object.keys(obj)) if (isFn(obj[key])) obj[key] = revive(obj[key] as Obj);
      const className = obj[CLASS];
      if (typeof className === 'string') {
        const proto = classes.get(className);
        if (proto === undefined) throw new StateCodecError(`snapshot holds an unknown class ${className}`);
        delete obj[CLASS];
        Object.setPrototypeOf(obj, proto);
      }
    }
  }
  return isFn(root) ? revive(root) : root;
}
