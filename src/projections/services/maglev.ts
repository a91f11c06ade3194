/**
 * Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
 * Load Balancer", NSDI 2016, section 3.4): each backend walks its own permutation of the M
 * table slots (offset + j·skip mod M, M prime) and the backends take turns claiming their next
 * free preferred slot until the table is full.
 */

/** One backend of a Maglev table: `key` is its stable identity (e.g. `10.0.0.1:8080/TCP`). */
export interface MaglevBackend {
  readonly key: string;
  readonly id: number;
}

/** 32-bit MurmurHash3 of a string's UTF-16 code units: stable across runs and machines. */
export function murmur3(text: string, seed: number): number {
  let h = seed >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  for (let i = 0; i < text.length; i++) {
    let k = text.charCodeAt(i);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= text.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const OFFSET_SEED = 0x4d61676c; // "Magl"
const SKIP_SEED = 0x65762121; // "ev!!"

/**
 * The lookup table of size `m` (a prime) for `backends`: entry i is the id of the backend that
 * serves hash bucket i. Backends are ordered by key first, so the table depends only on the
 * set of backends, not on the order they were given in. Empty input gives an empty table.
 */
export function maglevTable(backends: readonly MaglevBackend[], m: number): number[] {
  const n = backends.length;
  if (n === 0) return [];
  const sorted = [...backends].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const offset = new Uint32Array(n);
  const skip = new Uint32Array(n);
  const next = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    offset[i] = murmur3(sorted[i]!.key, OFFSET_SEED) % m;
    skip[i] = (murmur3(sorted[i]!.key, SKIP_SEED) % (m - 1)) + 1;
  }
  const owner = new Int32Array(m).fill(-1);
  let filled = 0;
  while (filled < m) {
    for (let i = 0; i < n && filled < m; i++) {
      // (offset + next·skip) mod M without overflow: both terms are < M < 2^31.
      let c = (offset[i]! + ((next[i]! * skip[i]!) % m)) % m;
      while (owner[c]! >= 0) {
        next[i]!++;
        c = (offset[i]! + ((next[i]! * skip[i]!) % m)) % m;
      }
      owner[c] = i;
      next[i]!++;
      filled++;
    }
  }
  const table = new Array<number>(m);
  for (let j = 0; j < m; j++) table[j] = sorted[owner[j]!]!.id;
  return table;
}

/** Whether `m` is prime (table sizes must be, so every skip generates a full permutation). */
export function isPrime(m: number): boolean {
  if (!Number.isInteger(m) || m < 2) return false;
  for (let d = 2; d * d <= m; d++) if (m % d === 0) return false;
  return true;
}
