import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  type HistoryCliOptions,
  openHistory,
  progressBar,
  withHistoryOptions,
} from '../../replay/cliSupport.js';
import { parseTime } from '../../replay/parseTime.js';
import { resolvePoint } from '../../replay/resolvePoint.js';
import { timelineData, timelineHtml } from '../../replay/timelinePage.js';
import { windowPositions } from '../../replay/windowChanges.js';

interface TimelineCliOptions extends HistoryCliOptions {
  node: string[];
  since?: string;
  until: string;
  from?: string;
  to?: string;
  out: string;
}

/** `cairn timeline`: an HTML page of the events and map changes of a time range, per node. */
export function registerTimeline(program: Command): void {
  withHistoryOptions(
    program
      .command('timeline')
      .description(
        'write an HTML page (no server needed) of the events and map changes of a range, per node, with the actors',
      )
      .requiredOption('--node <names...>', 'the nodes')
      .option('--since <time>', 'RFC 3339 time, or a duration ago (15m, 2h); default 1h')
      .option('--until <time>', 'RFC 3339 time, or now', 'now')
      .option('--from <point>', 'first position (instead of --since)')
      .option('--to <point>', 'last position (instead of --until)')
      .option('--out <file>', 'the page to write', 'cairn-timeline.html'),
  ).action(async (options: TimelineCliOptions) => {
    const { history, close } = await openHistory(options);
    const bar = progressBar(options, 'timeline');
    try {
      const window = await windowPositions(
        history,
        parseTime(options.since ?? '1h'),
        parseTime(options.until),
      );
      const from = options.from ? await resolvePoint(history, options.from) : window.from;
      const to = options.to ? await resolvePoint(history, options.to) : window.to;
      const data = await timelineData(history, options.node, from, to, { onProgress: bar.onProgress });
      bar.stop();
      await writeFile(options.out, timelineHtml(data));
      process.stdout.write(
        `wrote ${options.out}: positions ${from}..${to}, ${data.events.length} events, ${data.expectedPoints - data.events.length} map changes on ${options.node.length} nodes, ${data.actors.length} actors\n`,
      );
    } finally {
      bar.stop();
      await close();
    }
  });
}
