import type { Command } from 'commander';
import {
  type HistoryCliOptions,
  openHistory,
  printOutput,
  progressBar,
  withHistoryOptions,
} from '../../replay/cliSupport.js';
import { describeMaps, formatDescription } from '../../replay/describeMaps.js';
import { eventAt } from '../../replay/history.js';
import { replayTo } from '../../replay/replayTo.js';
import { resolvePoint } from '../../replay/resolvePoint.js';

interface ReplayCliOptions extends HistoryCliOptions {
  node: string;
  at: string;
  snapshot: boolean;
}

/** `cairn replay`: a node's desired maps at a past position or time. */
export function registerReplay(program: Command): void {
  withHistoryOptions(
    program
      .command('replay')
      .description(
        "a node's desired maps at a past point of the log, from the nearest snapshot at or before it",
      )
      .requiredOption('--node <name>', 'the node')
      .option('--at <point>', 'a position, head, or an RFC 3339 time', 'head')
      .option('--no-snapshot', 'fold from the start of the log (ignore snapshots)'),
  ).action(async (options: ReplayCliOptions) => {
    const { history, close } = await openHistory(options);
    const bar = progressBar(options, 'replay');
    try {
      const started = performance.now();
      const at = await resolvePoint(history, options.at);
      const r = await replayTo(history, options.node, at, {
        useSnapshots: options.snapshot,
        onProgress: bar.onProgress,
      });
      bar.stop();
      const seconds = (performance.now() - started) / 1000;
      const event = r.position > 0n ? await eventAt(history, r.position) : undefined;
      const maps = describeMaps(r.projection);
      const data = {
        node: options.node,
        position: r.position.toString(),
        appendedAt: event ? new Date(event.appendedAtMs).toISOString() : null,
        fromSnapshot: r.snapshot.toString(),
        folded: r.folded,
        seconds: Number(seconds.toFixed(3)),
        skippedSnapshots: r.skippedSnapshots,
        ...maps,
      };
      printOutput(options.output, data, () => {
        const from = r.snapshot > 0n ? `snapshot @${r.snapshot}` : 'the start of the log';
        const when = event ? ` (${new Date(event.appendedAtMs).toISOString()})` : '';
        const skipped = r.skippedSnapshots.map((s) => `\n# skipped ${s}`).join('');
        return `# node ${options.node} at position ${r.position}${when}: ${from} + ${r.folded} events folded in ${seconds.toFixed(3)} s${skipped}\n${formatDescription(maps)}`;
      });
    } finally {
      bar.stop();
      await close();
    }
  });
}
