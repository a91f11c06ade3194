import type { Position, StoredEvent } from '../events/envelope.js';
import type { AppliedReport } from '../nodeagent/appliedPositionStore.js';
import { auditRecordsFor } from './auditJoin.js';
import type { History } from './history.js';

/** The pipeline stages an event passes, in order. */
export const STAGES = ['source→log', 'log→applied', 'end-to-end'] as const;
export type Stage = (typeof STAGES)[number];

export interface Distribution {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** One event's times on one node, ms. */
export interface EventTiming {
  readonly event: StoredEvent;
  readonly node: string;
  /** The API write (audit record) or the source's own time (CNI call, watch delivery). */
  readonly writeMs: number;
  readonly appendedMs: number;
  readonly appliedMs: number;
  readonly stages: Readonly<Record<Stage, number>>;
}

export interface Outlier extends EventTiming {
  readonly slowStage: Stage;
}

export interface StageTiming {
  readonly events: number;
  readonly stages: Readonly<Record<Stage, Distribution>>;
  readonly perNode: Readonly<Record<string, Distribution>>;
  readonly pending: number;
  readonly outliers: readonly Outlier[];
  readonly threshold: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  return {
    count: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.at(-1) ?? 0,
  };
}

/** The first report at or after `position` (reports sorted by position). */
function appliedReport(reports: readonly AppliedReport[], position: Position): AppliedReport | undefined {
  let lo = 0;
  let hi = reports.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (reports[mid]!.position < position) lo = mid + 1;
    else hi = mid;
  }
  return reports[lo];
}

/**
 * Per-stage times of the events of positions [from, to] on each node: written (the audit
 * record's request time when apiwatch joined one, else the event's own time), appended to the
 * log, applied on the node (the first applied report at or past the event). Outliers are
 * end-to-end times far above the window's own distribution (median + 5 MAD, and over twice the
 * median), each with the stage that took longest.
 */
export async function stageTiming(
  history: History,
  from: Position,
  to: Position,
  applied: ReadonlyMap<string, readonly AppliedReport[]>,
): Promise<StageTiming> {
  const events: StoredEvent[] = [];
  if (to >= from)
    for await (const e of history.read(from, to)) if (e.type !== 'AuditRecorded') events.push(e);
  const audits = await auditRecordsFor(history, events);
  const timings: EventTiming[] = [];
  let pending = 0;
  for (const [node, reports] of applied) {
    const sorted = [...reports].sort((a, b) =>
      a.position < b.position ? -1 : a.position > b.position ? 1 : 0,
    );
    for (const event of events) {
      const report = appliedReport(sorted, event.position);
      if (report === undefined) {
        pending++;
        continue;
      }
      const writeMs = audits.get(event.id)?.requestReceivedMs ?? event.timeMs;
      const stages = {
        'source→log': event.appendedAtMs - writeMs,
        'log→applied': report.appliedAtMs - event.appendedAtMs,
        'end-to-end': report.appliedAtMs - writeMs,
      };
      timings.push({
        event,
        node,
        writeMs,
        appendedMs: event.appendedAtMs,
        appliedMs: report.appliedAtMs,
        stages,
      });
    }
  }
  const stages = Object.fromEntries(
    STAGES.map((s) => [s, distribution(timings.map((t) => t.stages[s]))]),
  ) as Record<Stage, Distribution>;
  const perNode: Record<string, Distribution> = {};
  for (const node of applied.keys())
    perNode[node] = distribution(timings.filter((t) => t.node === node).map((t) => t.stages['end-to-end']));
  const e2e = timings.map((t) => t.stages['end-to-end']).sort((a, b) => a - b);
  const median = percentile(e2e, 50);
  const mad = percentile(
    e2e.map((v) => Math.abs(v - median)).sort((a, b) => a - b),
    50,
  );
  const threshold = Math.max(median + 5 * 1.4826 * mad, 2 * median, median + 1);
  const outliers = timings
    .filter((t) => t.stages['end-to-end'] > threshold)
    .sort((a, b) => b.stages['end-to-end'] - a.stages['end-to-end'])
    .slice(0, 50)
    .map((t) => ({
      ...t,
      slowStage:
        t.stages['source→log'] >= t.stages['log→applied']
          ? ('source→log' as const)
          : ('log→applied' as const),
    }));
  return { events: events.length, stages, perNode, pending, outliers, threshold };
}
