/**
 * Just enough of the Prometheus text format to read kube-proxy's histograms: buckets summed over
 * label sets, and quantiles estimated as Prometheus' histogram_quantile does.
 */

export interface Histogram {
  /** Upper bounds (seconds) with cumulative counts, ascending, ending with +Inf. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly count: number;
  readonly sum: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/;

/** The histogram `name` in a metrics page, label sets summed; undefined when absent. */
export function readHistogram(page: string, name: string): Histogram | undefined {
  const byLe = new Map<number, number>();
  let count = 0;
  let sum = 0;
  let seen = false;
  for (const line of page.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, metric, labels = '', raw] = m;
    const value = Number(raw);
    if (metric === `${name}_bucket`) {
      const le = labels.match(/le="([^"]+)"/)?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      byLe.set(bound, (byLe.get(bound) ?? 0) + value);
      seen = true;
    } else if (metric === `${name}_count`) count += value;
    else if (metric === `${name}_sum`) sum += value;
  }
  if (!seen) return undefined;
  const buckets = [...byLe].sort(([a], [b]) => a - b).map(([le, c]) => ({ le, count: c }));
  return { buckets, count, sum };
}

/** A sample value of a gauge or counter (label sets summed); undefined when absent. */
export function readValue(page: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of page.split('\n')) {
    const m = SAMPLE.exec(line);
    if (m?.[1] === name) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

/** The φ-quantile (0..1) by linear interpolation inside the bucket, as histogram_quantile(). */
export function histogramQuantile(h: Histogram, q: number): number {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of h.buckets) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lower;
      return lower + (le - lower) * ((rank - below) / Math.max(count - below, Number.MIN_VALUE));
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** Subtracts an earlier reading of the same histogram: what was observed in between. */
export function histogramSince(now: Histogram, before: Histogram | undefined): Histogram {
  if (!before) return now;
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: now.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) })),
    count: now.count - before.count,
    sum: now.sum - before.sum,
  };
}
