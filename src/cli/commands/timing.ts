import type { Command } from 'commander';
import { Option } from 'commander';
import { EtcdAppliedPositionStore } from '../../nodeagent/appliedPositionStore.js';
import { printOutput } from '../../replay/cliSupport.js';
import { logHistory } from '../../replay/history.js';
import { parseTime } from '../../replay/parseTime.js';
import { STAGES, stageTiming } from '../../replay/stageTiming.js';
import { windowPositions } from '../../replay/windowChanges.js';
import { type EtcdCliOptions, openLog, withEtcdOptions } from '../etcdOptions.js';
import { summarize } from '../formatEvent.js';

interface TimingCliOptions extends EtcdCliOptions {
  since: string;
  until: string;
  node?: string[];
  output: 'table' | 'json' | 'yaml';
}

const ms = (v: number) => `${v.toFixed(0)} ms`;

/** `cairn timing`: per-stage latency distribution of recent changes, and the outliers. */
export function registerTiming(program: Command): void {
  withEtcdOptions(
    program
      .command('timing')
      .description(
        'per-stage times of recent changes (written, appended, applied on each node): p50/p90/p99/max and outliers',
      )
      .option('--since <time>', 'RFC 3339 time, or a duration ago (15m, 2h)', '1h')
      .option('--until <time>', 'RFC 3339 time, or now', 'now')
      .option('--node <names...>', 'nodes (default: every node with applied reports)')
      .addOption(
        new Option('-o, --output <format>', 'table, json or yaml')
          .choices(['table', 'json', 'yaml'])
          .default('table'),
      ),
  ).action(async (options: TimingCliOptions) => {
    const opened = await openLog(options, false);
    try {
      const history = logHistory(opened.log);
      const store = new EtcdAppliedPositionStore(opened.log.etcd);
      const nodes = options.node ?? (await store.list()).map((r) => r.node);
      const applied = new Map(
        await Promise.all(nodes.map(async (n) => [n, await store.history(n)] as const)),
      );
      const { from, to } = await windowPositions(history, parseTime(options.since), parseTime(options.until));
      const t = await stageTiming(history, from, to, applied);
      const outliers = t.outliers.map((o) => ({
        position: o.event.position.toString(),
        node: o.node,
        type: o.event.type,
        summary: summarize(o.event),
        slowStage: o.slowStage,
        ...o.stages,
      }));
      const data = {
        from: from.toString(),
        to: to.toString(),
        events: t.events,
        pending: t.pending,
        stages: t.stages,
        perNode: t.perNode,
        outlierThresholdMs: t.threshold,
        outliers,
      };
      printOutput(options.output, data, () => {
        const lines = [
          `# positions ${from}..${to}: ${t.events} events on ${nodes.length} nodes (${t.pending} event-node pairs not applied yet)`,
        ];
        lines.push(`stage          count     p50      p90      p99      max`);
        for (const s of STAGES) {
          const d = t.stages[s];
          lines.push(
            `${s.padEnd(13)} ${String(d.count).padStart(6)} ${ms(d.p50).padStart(8)} ${ms(d.p90).padStart(8)} ${ms(d.p99).padStart(8)} ${ms(d.max).padStart(8)}`,
          );
        }
        for (const [node, d] of Object.entries(t.perNode))
          lines.push(`  ${node}: end-to-end p50 ${ms(d.p50)}, p99 ${ms(d.p99)}, max ${ms(d.max)}`);
        lines.push(`# outliers (end-to-end over ${ms(t.threshold)}): ${outliers.length}`);
        for (const o of outliers.slice(0, 20))
          lines.push(
            `#${o.position} ${o.node} ${o.type} ${o.summary}: ${ms(o['end-to-end'])}, slow stage ${o.slowStage} (${ms(o[o.slowStage])})`,
          );
        return lines.join('\n');
      });
    } finally {
      await opened.close();
    }
  });
}
