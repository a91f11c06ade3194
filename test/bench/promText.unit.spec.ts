import { describe, expect, it } from 'vitest';
import {
  histogramQuantile,
  histogramSince,
  readHistogram,
  readValue,
} from '../../bench/programming/promText.js';

const page = (
  count: number,
) => `# HELP kubeproxy_sync_proxy_rules_duration_seconds [ALPHA] SyncProxyRules latency in seconds
# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram
kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="0.1"} ${count / 2}
kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="1"} ${count}
kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="+Inf"} ${count}
kubeproxy_sync_proxy_rules_duration_seconds_sum{ip_family="IPv4"} ${count * 0.2}
kubeproxy_sync_proxy_rules_duration_seconds_count{ip_family="IPv4"} ${count}
kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv4"} 1.7e+09
`;

describe('Prometheus text histograms', () => {
  it('reads buckets, count and sum', () => {
    const h = readHistogram(page(10), 'kubeproxy_sync_proxy_rules_duration_seconds')!;
    expect(h.buckets).toEqual([
      { le: 0.1, count: 5 },
      { le: 1, count: 10 },
      { le: Number.POSITIVE_INFINITY, count: 10 },
    ]);
    expect(h.count).toBe(10);
    expect(h.sum).toBeCloseTo(2);
    expect(readHistogram(page(10), 'absent_metric')).toBeUndefined();
    expect(readValue(page(10), 'kubeproxy_sync_proxy_rules_last_timestamp_seconds')).toBe(1.7e9);
  });

  it('estimates quantiles by interpolating inside the bucket, as histogram_quantile()', () => {
    const h = readHistogram(page(10), 'kubeproxy_sync_proxy_rules_duration_seconds')!;
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.1);
    expect(histogramQuantile(h, 0.25)).toBeCloseTo(0.05);
    expect(histogramQuantile(h, 0.75)).toBeCloseTo(0.55);
  });

  it('subtracts an earlier reading', () => {
    const name = 'kubeproxy_sync_proxy_rules_duration_seconds';
    const d = histogramSince(readHistogram(page(30), name)!, readHistogram(page(10), name));
    expect(d.count).toBe(20);
    expect(d.buckets[0]).toEqual({ le: 0.1, count: 10 });
  });
});
