import type { Command } from 'commander';
import {
  type HistoryCliOptions,
  openHistory,
  printOutput,
  progressBar,
  withHistoryOptions,
} from '../../replay/cliSupport.js';
import { DEFAULT_SNAPSHOT_EVERY, takeSnapshots } from '../../replay/takeSnapshots.js';

interface SnapshotCliOptions extends HistoryCliOptions {
  node: string[];
  every: string;
}

/** `cairn snapshot`: saves projection snapshots every N events, so replay starts near any point. */
export function registerSnapshot(program: Command): void {
  withHistoryOptions(
    program
      .command('snapshot')
      .description(
        "save each node projection every N events (the missing ones only) in the log's snapshot store, or beside --file",
      )
      .requiredOption('--node <names...>', 'the nodes')
      .option('--every <events>', 'distance between snapshots, in events', String(DEFAULT_SNAPSHOT_EVERY)),
  ).action(async (options: SnapshotCliOptions) => {
    const { history, close } = await openHistory(options);
    try {
      const results: { node: string; saved: string[]; folded: number; bytes: number; seconds: number }[] = [];
      for (const node of options.node) {
        const bar = progressBar(options, `snapshot ${node}`);
        const started = performance.now();
        const r = await takeSnapshots(history, node, {
          every: Number(options.every),
          onProgress: bar.onProgress,
        });
        bar.stop();
        results.push({
          node,
          saved: r.saved.map(String),
          folded: r.folded,
          bytes: r.bytes,
          seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
        });
      }
      printOutput(options.output, results, () =>
        results
          .map(
            (r) =>
              `${r.node}: ${r.saved.length} snapshots saved (${r.saved.length > 0 ? `${r.saved[0]}…${r.saved[r.saved.length - 1]}` : 'none missing'}), ${r.folded} events folded, ${(r.bytes / 1024).toFixed(0)} KiB, ${r.seconds} s`,
          )
          .join('\n'),
      );
    } finally {
      await close();
    }
  });
}
