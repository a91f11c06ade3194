import type { MapEntry } from '../maps/delta.js';
import type { MapName, NodeMaps } from '../maps/model.js';
import type { MapCodec } from './mapCodecs.js';
import type { BatchResult, NativeMap, NativeMapInfo } from './native.js';

/** Entries decoded between two yields to the event loop. */
const DECODE_SLICE = 8192;

/** bpf(2) update flags. */
export const UPDATE_FLAGS = { any: 0, noExist: 1, exist: 2 } as const;

type K<M extends MapName> = NodeMaps[M]['key'];
type V<M extends MapName> = NodeMaps[M]['value'];

/**
 * One kernel map seen through its codecs: model.ts values in, model.ts values out.
 * Maglev (map-in-map) values are whole inner tables, swapped in one update.
 */
export class KernelMap<M extends MapName> {
  readonly #map: NativeMap;
  readonly #codec: MapCodec<M>;
  readonly #mapInMap: boolean;
  /** Reused lookup buffer: decoding copies out of it, so one per map is enough. */
  readonly #scratch: Buffer;

  constructor(map: NativeMap, codec: MapCodec<M>) {
    this.#map = map;
    this.#codec = codec;
    this.#mapInMap = codec.cName === 'cairn_lb4_mglv';
    this.#scratch = Buffer.alloc(map.info().valueStride);
  }

  /** The underlying addon handle (raw Buffers), for tools and benchmarks. */
  get raw(): NativeMap {
    return this.#map;
  }

  /** Type, sizes, max entries; `count` walks the keys (the kernel keeps no count for most types). */
  info(withCount = false): NativeMapInfo & { count?: number } {
    const info = this.#map.info();
    return withCount ? { ...info, count: this.#map.count() } : info;
  }

  lookup(key: K<M>): V<M> | undefined {
    const k = this.#codec.key.encode(key);
    if (this.#mapInMap) {
      const table = this.#map.getInnerArray(k);
      return table === undefined ? undefined : this.#codec.value.decode(table, key);
    }
    return this.#map.lookupInto(k, this.#scratch) ? this.#codec.value.decode(this.#scratch, key) : undefined;
  }

  update(key: K<M>, value: V<M>, flags: number = UPDATE_FLAGS.any): void {
    const k = this.#codec.key.encode(key);
    const v = this.#codec.value.encode(value);
    if (this.#mapInMap) this.#map.setInnerArray(k, v);
    else this.#map.update(k, v, flags);
  }

  /** Deletes one entry; false when it was not there (which is not an error). */
  delete(key: K<M>): boolean {
    return this.#map.delete(this.#codec.key.encode(key));
  }

  /** Every entry, read key by key (no batch; consistent per entry only). */
  entries(): MapEntry<M>[] {
    if (this.#mapInMap) return this.#innerEntries();
    const raw = this.#map.dump();
    return this.#split(raw.keys, raw.values, raw.count);
  }

  /**
   * Every entry with BPF_MAP_LOOKUP_BATCH off the main thread (per-element fallback), decoded in
   * slices with a yield to the event loop between them: a million entries take a second to decode.
   */
  async readAll(): Promise<MapEntry<M>[]> {
    if (this.#mapInMap) return this.#innerEntries();
    const raw = await this.#map.lookupBatch();
    const out: MapEntry<M>[] = [];
    for (let from = 0; from < raw.count; from += DECODE_SLICE) {
      if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      out.push(
        ...this.#split(raw.keys, raw.values, raw.count, from, Math.min(raw.count, from + DECODE_SLICE)),
      );
    }
    return out;
  }

  /** Writes entries in order with one batch call (per-element when the kernel lacks it). */
  async updateMany(entries: readonly MapEntry<M>[], flags: number = UPDATE_FLAGS.any): Promise<BatchResult> {
    if (this.#mapInMap) {
      for (const e of entries) this.update(e.key, e.value, flags);
      return { count: entries.length, batch: false };
    }
    const keys = Buffer.concat(entries.map((e) => this.#codec.key.encode(e.key)));
    const values = Buffer.concat(entries.map((e) => this.#codec.value.encode(e.value)));
    return this.#map.updateBatch(keys, values, flags);
  }

  /** Deletes keys with one batch call; missing keys are skipped. */
  async deleteMany(keys: readonly K<M>[]): Promise<BatchResult> {
    return this.#map.deleteBatch(Buffer.concat(keys.map((k) => this.#codec.key.encode(k))));
  }

  close(): void {
    this.#map.close();
  }

  /** Decodes entries [from, to) of `count` packed keys and values. */
  #split(keys: Buffer, values: Buffer, count: number, from = 0, to = count): MapEntry<M>[] {
    const ks = this.#codec.key.size;
    const vs = count === 0 ? 0 : values.length / count;
    const out: MapEntry<M>[] = [];
    for (let i = from; i < to; i++) {
      const key = this.#codec.key.decode(keys.subarray(i * ks, (i + 1) * ks), undefined);
      out.push({ key, value: this.#codec.value.decode(values.subarray(i * vs, (i + 1) * vs), key) });
    }
    return out;
  }

  #innerEntries(): MapEntry<M>[] {
    const out: MapEntry<M>[] = [];
    for (let k = this.#map.nextKey(); k !== undefined; k = this.#map.nextKey(k)) {
      const table = this.#map.getInnerArray(k);
      if (table === undefined) continue; // deleted meanwhile
      const key = this.#codec.key.decode(k, undefined);
      out.push({ key, value: this.#codec.value.decode(table, key) });
    }
    return out;
  }
}
