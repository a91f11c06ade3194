import { describe, expect, it } from 'vitest';
import { goDurationMs, parseKubeProxyLine } from '../../bench/programming/kubeProxyLog.js';

// Lines as kube-proxy v1.33 prints them at --v=2 (klog text format).
const complete =
  'I1205 07:52:10.123456   4242 proxier.go:809] "SyncProxyRules complete" ipFamily="IPv4" elapsed="53.2ms"';
const start =
  'I1205 07:52:10.070000   4242 proxier.go:815] "Syncing iptables rules" ipFamily="IPv4" fullSync=false';
const reload =
  'I1205 07:52:10.100000   4242 proxier.go:1536] "Reloading service iptables data" ipFamily="IPv4" numServices=1001 numEndpoints=10010 numFilterChains=6 numFilterRules=5 numNATChains=2004 numNATRules=5010';
const nftReload =
  'I1205 07:52:10.100000   4242 proxier.go:1839] "Reloading service nftables data" ipFamily="IPv4" numServices=3 numEndpoints=30';

describe('kube-proxy sync log lines', () => {
  it('reads a sync start, its reload counts, and its end with the elapsed time', () => {
    const v4 = { ipFamily: 'IPv4' };
    expect(parseKubeProxyLine(start)).toEqual({ ...v4, kind: 'syncStart', fullSync: false });
    expect(parseKubeProxyLine(reload)).toEqual({ ...v4, kind: 'reload', services: 1001, endpoints: 10010 });
    expect(parseKubeProxyLine(nftReload)).toEqual({ ...v4, kind: 'reload', services: 3, endpoints: 30 });
    expect(parseKubeProxyLine(complete)).toEqual({ ...v4, kind: 'syncComplete', elapsedMs: 53.2 });
    expect(parseKubeProxyLine(complete.replace('IPv4', 'IPv6'))?.ipFamily).toBe('IPv6');
  });

  it('ignores every other line', () => {
    expect(parseKubeProxyLine('I1205 07:52:09.000000   4242 server.go:100] "Version info"')).toBeNull();
    expect(parseKubeProxyLine('')).toBeNull();
  });

  it('converts Go durations', () => {
    expect(goDurationMs('1m2.5s')).toBe(62_500);
    expect(goDurationMs('850µs')).toBeCloseTo(0.85);
    expect(goDurationMs('2h')).toBe(7_200_000);
    expect(goDurationMs('soon')).toBeNaN();
  });
});
