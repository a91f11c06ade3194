import type { Command } from 'commander';
import { auditRecordsFor, whoOf } from '../../replay/auditJoin.js';
import { blame } from '../../replay/blame.js';
import {
  eventRef,
  type HistoryCliOptions,
  openHistory,
  printOutput,
  progressBar,
  withHistoryOptions,
} from '../../replay/cliSupport.js';
import { resolveHumanKey } from '../../replay/humanKey.js';
import { replayTo } from '../../replay/replayTo.js';
import { resolvePoint } from '../../replay/resolvePoint.js';
import { summarize } from '../formatEvent.js';

interface BlameCliOptions extends HistoryCliOptions {
  node: string;
  at: string;
}

/** `cairn blame`: the chain of events behind a map entry's value. */
export function registerBlame(program: Command): void {
  withHistoryOptions(
    program
      .command('blame')
      .description(
        "the chain of events (positions, times, sources, actors) that produced a map entry's value",
      )
      .argument(
        '<key...>',
        'service ADDR:PORT[/PROTO] | backend ADDR:PORT[/PROTO] | endpoint IP | endpoint pod NS/NAME | ipcache CIDR | policy pod NS/NAME ingress|egress PEER-IP PORT[/PROTO] | <map> <key id>',
      )
      .requiredOption('--node <name>', 'the node')
      .option('--at <point>', 'a position, head, or an RFC 3339 time', 'head'),
  ).action(async (words: string[], options: BlameCliOptions) => {
    const { history, close } = await openHistory(options);
    const bar = progressBar(options, 'blame');
    try {
      const at = await resolvePoint(history, options.at);
      const there = await replayTo(history, options.node, at);
      const key = resolveHumanKey(words, there.projection);
      const result = await blame(history, options.node, at, key.match, { onProgress: bar.onProgress });
      bar.stop();
      const audits = await auditRecordsFor(
        history,
        result.chain.map((l) => l.event),
      );
      const chain = result.chain.map((l) => ({
        ...eventRef(l.event, whoOf(l.event, audits.get(l.event.id)), summarize(l.event)),
        user: audits.get(l.event.id)?.user ?? null,
        entry: `${l.map} ${l.id}`,
        change: l.change,
        before: l.before?.value ?? null,
        after: l.after?.value ?? null,
      }));
      const entries = result.entries.map((e) => ({ map: e.map, key: e.id, value: e.entry.value }));
      printOutput(
        options.output,
        { node: options.node, at: result.at.toString(), key: key.describe, entries, chain },
        () => {
          const lines = [
            `# ${key.describe} on node ${options.node} at position ${result.at}: ${entries.length} entries`,
          ];
          for (const e of entries) lines.push(`  ${e.map} ${e.key} = ${JSON.stringify(e.value)}`);
          if (entries.length === 0) lines.push('  (no such entry at this point)');
          lines.push(`# chain (${chain.length} changes, searched from position ${result.searchedFrom})`);
          let last = '';
          for (const c of chain) {
            // One header per event, its changes beneath.
            if (c.position !== last)
              lines.push(
                `#${c.position}  appended ${c.time}  ${c.source}  ${c.actor}  ${c.type} ${c.summary}`,
              );
            last = c.position;
            lines.push(
              `      ${c.change} ${c.entry}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`,
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
