/**
 * The next slot order of a service's backends, changing as few slots as possible: survivors keep
 * their slot, new backends fill the holes left by removed ones (lowest slot first), remaining
 * holes are filled by moving backends down from the end, and extra new backends are appended.
 * New backends go in key order, so the result depends only on the previous order and the set.
 */
export function nextSlotOrder(prev: readonly string[] | undefined, keys: Iterable<string>): string[] {
  const want = new Set(keys);
  const out: (string | null)[] = (prev ?? []).map((k) => (want.has(k) ? k : null));
  const had = new Set(prev ?? []);
  const added = [...want].filter((k) => !had.has(k)).sort();
  let ai = 0;
  for (let i = 0; i < out.length && ai < added.length; i++) if (out[i] === null) out[i] = added[ai++]!;
  let lo = 0;
  let hi = out.length - 1;
  for (;;) {
    while (lo < out.length && out[lo] !== null) lo++;
    while (hi >= 0 && out[hi] === null) hi--;
    if (lo >= hi) break;
    out[lo] = out[hi]!;
    out[hi] = null;
  }
  const result = out.slice(0, hi + 1) as string[];
  for (; ai < added.length; ai++) result.push(added[ai]!);
  return result;
}
