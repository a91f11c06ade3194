/** A block of ports aligned on a prefix of the 16-bit port: `port` with its low bits clear. */
export interface PortBlock {
  readonly port: number;
  readonly prefixLen: number;
}

/**
 * Splits the inclusive range [first, last] into the fewest prefix-aligned blocks, the shape an
 * LPM trie on the port can hold (as Cilium does for `endPort`). Example: 80..83 → 80/14.
 */
export function splitPortRange(first: number, last: number): PortBlock[] {
  const blocks: PortBlock[] = [];
  let start = first;
  while (start <= last) {
    // The largest block starting at `start`: limited by start's alignment and by what remains.
    let size = start === 0 ? 65536 : start & -start;
    while (start + size - 1 > last) size /= 2;
    blocks.push({ port: start, prefixLen: 16 - Math.log2(size) });
    start += size;
  }
  return blocks;
}
