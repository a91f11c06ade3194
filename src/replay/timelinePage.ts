import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { summarize } from '../cli/formatEvent.js';
import type { Position, StoredEvent } from '../events/envelope.js';
import { auditRecordsFor, whoOf } from './auditJoin.js';
import type { History } from './history.js';
import type { ReplayOptions } from './replayTo.js';
import { changesByEvent } from './windowChanges.js';

/** One point of the page: an event on the log lane, or its map changes on a node's lane. */
export interface TimelinePoint {
  readonly x: number;
  readonly y: number;
  readonly actor: string;
  readonly label: string;
}

export interface TimelineData {
  readonly title: string;
  readonly lanes: readonly string[];
  readonly events: readonly TimelinePoint[];
  readonly changes: readonly (readonly TimelinePoint[])[];
  readonly actors: readonly string[];
  readonly expectedPoints: number;
}

/** Events of positions [from, to] and, per node, the events that changed its maps (with how many entries). */
export async function timelineData(
  history: History,
  nodes: readonly string[],
  from: Position,
  to: Position,
  replay: Pick<ReplayOptions, 'onProgress'> = {},
): Promise<TimelineData> {
  const events: StoredEvent[] = [];
  if (to >= from)
    for await (const e of history.read(from, to)) if (e.type !== 'AuditRecorded') events.push(e);
  const audits = await auditRecordsFor(history, events);
  const who = (e: StoredEvent) => whoOf(e, audits.get(e.id));
  const point = (e: StoredEvent, y: number, extra = ''): TimelinePoint => ({
    x: e.appendedAtMs,
    y,
    actor: who(e),
    label: `#${e.position} ${e.type} ${summarize(e)} (${who(e)})${extra}`,
  });
  const changes: TimelinePoint[][] = [];
  for (const [i, node] of nodes.entries()) {
    const byEvent = await changesByEvent(history, node, from - 1n, to, replay);
    changes.push(
      [...byEvent.values()]
        .filter(({ event }) => event.type !== 'AuditRecorded')
        .map(({ event, touches }) => {
          const maps = [...new Set(touches.map((t) => t.map))].join(', ');
          return point(event, i + 1, `: ${touches.length} entries of ${maps}`);
        }),
    );
  }
  const eventPoints = events.map((e) => point(e, 0));
  const actors = [...new Set([...eventPoints, ...changes.flat()].map((p) => p.actor))].sort();
  return {
    title: `cairn timeline: positions ${from}..${to}`,
    lanes: ['log', ...nodes.map((n) => `${n} maps`)],
    events: eventPoints,
    changes,
    actors,
    expectedPoints: eventPoints.length + changes.reduce((n, c) => n + c.length, 0),
  };
}

/** Chart.js's self-contained build, inlined so the page needs no server and no network. */
function chartJsSource(): string {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('chart.js'));
  return readFileSync(join(dist, 'chart.umd.min.js'), 'utf8').replaceAll('</script', '<\\/script');
}

/** A standalone HTML page drawing the timeline: one lane for the log, one per node. */
export function timelineHtml(data: TimelineData): string {
  const json = JSON.stringify(data).replaceAll('<', '\\u003c');
  const height = 140 + 70 * data.lanes.length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${data.title.replaceAll('<', '&lt;')}</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
  #chart { position: relative; height: ${height}px; }
  #actors span { display: inline-block; margin-right: 14px; }
  #actors i { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; }
</style>
</head>
<body>
<h1 id="title"></h1>
<div id="chart"><canvas id="timeline"></canvas></div>
<p id="actors"></p>
<script>${chartJsSource()}</script>
<script>
const DATA = ${json};
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const colorOf = (actor) => PALETTE[DATA.actors.indexOf(actor) % PALETTE.length];
document.getElementById('title').textContent = DATA.title;
document.getElementById('actors').innerHTML = DATA.actors
  .map((a) => '<span><i style="background:' + colorOf(a) + '"></i>' + a.replace(/</g, '&lt;') + '</span>')
  .join('');
const dataset = (label, points, style) => ({
  label,
  data: points,
  pointBackgroundColor: points.map((p) => colorOf(p.actor)),
  pointBorderColor: points.map((p) => colorOf(p.actor)),
  ...style,
});
const chart = new Chart(document.getElementById('timeline'), {
  type: 'scatter',
  data: {
    datasets: [
      dataset('events', DATA.events, { pointStyle: 'circle', pointRadius: 5 }),
      ...DATA.changes.map((points, i) => dataset(DATA.lanes[i + 1], points, { pointStyle: 'rectRot', pointRadius: 7 })),
    ],
  },
  options: {
    animation: false,
    maintainAspectRatio: false,
    parsing: { xAxisKey: 'x', yAxisKey: 'y' },
    scales: {
      x: { type: 'linear', ticks: { callback: (v) => new Date(v).toISOString().slice(11, 23) } },
      y: {
        min: -0.5,
        max: DATA.lanes.length - 0.5,
        reverse: true,
        // One tick per lane, at its integer (the half-lane margins would otherwise get the ticks).
        afterBuildTicks: (axis) => { axis.ticks = DATA.lanes.map((_, i) => ({ value: i })); },
        ticks: { callback: (v) => DATA.lanes[v] ?? '' },
      },
    },
    plugins: {
      legend: { display: false },
      tooltip: { callbacks: { label: (ctx) => ctx.raw.label } },
    },
  },
});
window.cairnTimeline = { chart, expectedPoints: DATA.expectedPoints };
document.body.dataset.rendered = 'true';
</script>
</body>
</html>
`;
}
