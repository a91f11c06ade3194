/** One field of a C struct as the codec writes it: the C name, byte offset and size. */
export interface FieldLayout {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/**
 * Converts one logical type of src/maps/model.ts to and from the bytes of one C type of
 * bpf/maps.h. `cType` is the C struct name or scalar typedef (checked against the object's BTF);
 * `fields` is empty for scalars.
 */
export interface Codec<T, Ctx = unknown> {
  readonly cType: string;
  readonly size: number;
  readonly fields: readonly FieldLayout[];
  encode(value: T): Buffer;
  /** `ctx` is what decoding needs besides the bytes (the services value needs its key's slot). */
  decode(buf: Buffer, ctx: Ctx): T;
}

/** Checks an integer argument's range before it is written into a fixed-width field. */
export function checkUint(value: number, bits: 8 | 16 | 32, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new TypeError(`${what} must be an integer in 0..${2 ** bits - 1}, got ${value}`);
  }
  return value;
}

/** Checks a buffer's length before decoding; names the C type in the error. */
export function checkSize(buf: Buffer, size: number, cType: string): void {
  if (buf.length !== size) throw new TypeError(`${cType} is ${size} bytes, got ${buf.length}`);
}

/**
 * A zero-filled buffer from Node's shared pool. Buffer.alloc of a few bytes makes a V8 on-heap
 * array that the addon must copy off-heap on first use; pool slices are off-heap already.
 * Zero-filled because padding bytes are part of hash and LPM keys.
 */
export function zeroed(size: number): Buffer {
  return Buffer.allocUnsafe(size).fill(0);
}
