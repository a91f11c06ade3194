/**
 * The bench's human outputs, made from its JSON: a Markdown table for the README (spliced
 * between two marker comments) and a latency-versus-Services chart (Vega-Lite, rendered to SVG).
 */

import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { BenchReport, PhaseResult } from './results.js';

export const README_START = '<!-- bench:network-programming:start -->';
export const README_END = '<!-- bench:network-programming:end -->';

const ms = (x: number | undefined) =>
  x === undefined || Number.isNaN(x)
    ? ''
    : x >= 1000
      ? `${(x / 1000).toFixed(2)} s`
      : x >= 10
        ? x.toFixed(0)
        : x.toFixed(2);
const n = (x: number) => x.toLocaleString('en-US');
const num = (x: number | undefined, digits = 1) => (x === undefined ? '' : x.toFixed(digits));

function row(r: PhaseResult): string {
  if (!r.finished && !r.latencyMs)
    return `| ${n(r.services)} | ${r.system} | ${r.note ?? 'not finished'} |||||||`;
  const l = r.latencyMs!;
  const partial = r.finished ? '' : ` (${r.changes} changes; ${r.note})`;
  return (
    `| ${n(r.services)} | ${r.system}${partial} | ${ms(l.median)} | ${ms(l.p90)} | ${ms(l.p99)} | ${ms(l.max)} ` +
    `| ${num(r.initialSync?.seconds)} | ${num(r.cpuSecondsDuringChanges, 2)} | ${num(r.rssMiB, 0)} |`
  );
}

/** The README section: command, machine, date, the table, the ratios and the restart story. */
export function markdownReport(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    README_START,
    `Measured on ${report.date.slice(0, 10)} with \`${report.command}\` on ${m.cores} cores (${m.cpu}), ` +
      `${m.memoryGiB} GiB, kernel ${m.kernel}, load average ${m.loadAverage.map((x) => x.toFixed(1)).join(' ')} ` +
      `at the end; Kubernetes ${report.versions.kubernetes}, Node ${report.versions.node}. ` +
      `${report.settings.changes} changes per row (${report.settings.mix}), ${report.settings.endpoints} endpoints per Service, ` +
      `${report.settings.gapMs} ms between a change being programmed and the next. Latency: from the API's acknowledgement of the write to the kernel holding it.`,
    '',
    '| Services | system | median ms | p90 ms | p99 ms | max ms | initial sync s | CPU s during changes | RSS MiB |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.results.map(row),
    '',
  ];
  const h = report.headline;
  if (h.cairnGrowth) {
    lines.push(
      `cairn from ${n(h.cairnGrowth.from)} to ${n(h.cairnGrowth.to)} Services: median ×${h.cairnGrowth.medianRatio.toFixed(2)}, p99 ×${h.cairnGrowth.p99Ratio.toFixed(2)}.`,
      '',
    );
  }
  if (h.versusKubeProxy.length > 0) {
    lines.push(
      '| Services | kube-proxy mode | kube-proxy median / cairn median | p99 / p99 |',
      '| ---: | --- | ---: | ---: |',
    );
    for (const v of h.versusKubeProxy) {
      lines.push(
        `| ${n(v.services)} | ${v.system.replace('kube-proxy ', '')} | ${v.medianRatio.toFixed(1)}× | ${v.p99Ratio.toFixed(1)}× |`,
      );
    }
    lines.push('');
  }
  const restarts = report.results.filter((r) => r.restart?.length);
  if (restarts.length > 0) {
    lines.push(
      '| restart, nothing changed | Services | map writes | ready after | its sync |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    for (const r of restarts) {
      for (const x of r.restart!) {
        lines.push(
          `| ${r.system}, ${x.variant} | ${n(r.services)} | ${x.writes ?? 'full resync (every rule rewritten)'} | ${ms(x.readyMs)} | ${ms(x.syncMs)} |`,
        );
      }
    }
    lines.push('');
  }
  lines.push(README_END);
  return lines.join('\n');
}

/** Replaces the marked section of `readme` (which must hold both markers). */
export function spliceReadme(readme: string, section: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README has no ${README_START} … ${README_END} section`);
  return readme.slice(0, start) + section + readme.slice(end + README_END.length);
}

/** Latency versus Services, log scales, one line per system and percentile. */
export async function chartSvg(report: BenchReport): Promise<string> {
  const values = report.results.flatMap((r) =>
    r.latencyMs
      ? (['median', 'p90', 'p99'] as const).map((p) => ({
          system: r.system,
          services: r.services,
          percentile: p,
          ms: Math.max(r.latencyMs![p], 0.01),
        }))
      : [],
  );
  const spec = compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Network programming latency: API write acknowledged → kernel datapath',
      subtitle: `${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, ${report.date.slice(0, 10)}`,
    },
    width: 640,
    height: 400,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'services',
        type: 'quantitative',
        scale: { type: 'log' },
        title: 'Services (10 endpoints each)',
      },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log scale)' },
      color: { field: 'system', type: 'nominal' },
      strokeDash: { field: 'percentile', type: 'nominal', sort: ['median', 'p90', 'p99'] },
      shape: { field: 'percentile', type: 'nominal', sort: ['median', 'p90', 'p99'] },
      detail: { field: 'percentile' },
    },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}
