import { describe, expect, it } from 'vitest';
import { markdownReport, README_END, README_START, spliceReadme } from '../../bench/programming/report.js';
import { type BenchReport, headline, type PhaseResult } from '../../bench/programming/results.js';

const phase = (system: string, services: number, median: number, p99: number): PhaseResult => ({
  system,
  services,
  endpointsPerService: 10,
  finished: true,
  changes: 40,
  latencyMs: { count: 40, median, p90: p99, p99, max: p99 },
  initialSync: { seconds: 1, cpuSeconds: 1 },
});

const results = [
  phase('cairn', 1000, 4, 8),
  phase('kube-proxy iptables', 1000, 80, 400),
  phase('cairn', 100_000, 5, 12),
  {
    system: 'kube-proxy iptables',
    services: 100_000,
    endpointsPerService: 10,
    finished: false,
    changes: 0,
    note: 'not run',
  },
];

const report: BenchReport = {
  bench: 'network-programming',
  date: '2026-12-05T08:00:00.000Z',
  command: 'sudo npx tsx bench/network-programming.ts',
  machine: { cores: 2, cpu: 'x', memoryGiB: 24, kernel: '6.18', loadAverage: [1, 2, 3] },
  versions: { kubernetes: 'v1.33.13', node: 'v20' },
  settings: { changes: 40, mix: 'a, b', endpoints: 10, gapMs: 2100 },
  results,
  headline: headline(results),
};

describe('network-programming report', () => {
  it('headline: cairn growth from the smallest to the largest N, and kube-proxy / cairn per N', () => {
    expect(report.headline.cairnGrowth).toEqual({
      from: 1000,
      to: 100_000,
      medianRatio: 1.25,
      p99Ratio: 1.5,
    });
    expect(report.headline.versusKubeProxy).toEqual([
      { services: 1000, system: 'kube-proxy iptables', medianRatio: 20, p99Ratio: 50 },
    ]);
  });

  it('the README section names the command, the machine and every row, unfinished ones with why', () => {
    const md = markdownReport(report);
    expect(md.startsWith(README_START) && md.endsWith(README_END)).toBe(true);
    expect(md).toContain('`sudo npx tsx bench/network-programming.ts`');
    expect(md).toContain('| 100,000 | cairn | 5.00 |');
    expect(md).toContain('| 100,000 | kube-proxy iptables | not run |');
    expect(md).toContain('| 1,000 | iptables | 20.0× | 50.0× |');
  });

  it('replaces only the marked section of the README', () => {
    const readme = `# x\n${README_START}\nold\n${README_END}\ntail\n`;
    expect(spliceReadme(readme, `${README_START}\nnew\n${README_END}`)).toBe(
      `# x\n${README_START}\nnew\n${README_END}\ntail\n`,
    );
    expect(() => spliceReadme('# no markers', 'x')).toThrow(/no <!-- bench/);
  });
});
