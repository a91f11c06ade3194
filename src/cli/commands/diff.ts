import type { Command } from 'commander';
import { auditRecordsFor, whoOf } from '../../replay/auditJoin.js';
import {
  eventRef,
  type HistoryCliOptions,
  openHistory,
  printOutput,
  progressBar,
  withHistoryOptions,
} from '../../replay/cliSupport.js';
import { diffPoints } from '../../replay/diffPoints.js';
import { resolvePoint } from '../../replay/resolvePoint.js';
import { summarize } from '../formatEvent.js';

interface DiffCliOptions extends HistoryCliOptions {
  node: string;
  from: string;
  to: string;
}

const value = (v: unknown) => (v === undefined ? '-' : JSON.stringify(v));

/** `cairn diff`: map entries added, removed and changed between two points, with their causes. */
export function registerDiff(program: Command): void {
  withHistoryOptions(
    program
      .command('diff')
      .description(
        "a node's map entries added, removed and changed between two points, each with the events that caused it",
      )
      .requiredOption('--node <name>', 'the node')
      .requiredOption('--from <point>', 'a position or an RFC 3339 time')
      .option('--to <point>', 'a position, head, or an RFC 3339 time', 'head'),
  ).action(async (options: DiffCliOptions) => {
    const { history, close } = await openHistory(options);
    const bar = progressBar(options, 'diff');
    try {
      const from = await resolvePoint(history, options.from);
      const to = await resolvePoint(history, options.to);
      const diff = await diffPoints(history, options.node, from, to, { onProgress: bar.onProgress });
      bar.stop();
      const audits = await auditRecordsFor(
        history,
        diff.changes.flatMap((c) => c.causes),
      );
      const changes = diff.changes.map((c) => ({
        map: c.map,
        key: c.id,
        change: c.change,
        before: c.before?.value ?? null,
        after: c.after?.value ?? null,
        causes: c.causes.map((e) => eventRef(e, whoOf(e, audits.get(e.id)), summarize(e))),
      }));
      printOutput(
        options.output,
        { node: diff.node, from: diff.from.toString(), to: diff.to.toString(), events: diff.events, changes },
        () => {
          const lines = [
            `# node ${diff.node}: ${changes.length} entries differ between ${diff.from} and ${diff.to} (${diff.events} events)`,
          ];
          for (const c of changes) {
            const sign = c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~';
            lines.push(
              `${sign} ${c.map} ${c.key}  ${value(c.before ?? undefined)} -> ${value(c.after ?? undefined)}`,
            );
            for (const e of c.causes)
              lines.push(
                `    #${e.position} appended ${e.time} ${e.source} ${e.actor}  ${e.type} ${e.summary}`,
              );
          }
          return lines.join('\n');
        },
      );
    } finally {
      bar.stop();
      await close();
    }
  });
}
