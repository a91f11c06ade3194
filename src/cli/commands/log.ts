import { type Command, Option } from 'commander';
import { exportLog, importLogFile, readLogFile } from '../../events/logFile.js';
import { sampleClusterEvents } from '../../samples/sampleEvents.js';
import { type EtcdCliOptions, logger, openLog, withEtcdOptions } from '../etcdOptions.js';
import { formatEventJson, formatEventLine } from '../formatEvent.js';

interface ReadOptions extends EtcdCliOptions {
  from?: string;
  to?: string;
  output: 'text' | 'json';
  follow?: boolean;
  file?: string;
}

const position = (value: string | undefined): bigint | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new Error(`not a log position: ${JSON.stringify(value)} (expected 1, 2, 3, …)`);
  return BigInt(value);
};

/** `cairn log …`: read, follow, export, import, compact and inspect the event log. */
export function registerLog(program: Command): void {
  const log = program.command('log').description('the event log');

  withEtcdOptions(
    log
      .command('show')
      .description('print events of the log (or of an exported file with --file), optionally following it')
      .option('--from <position>', 'first position')
      .option('--to <position>', 'last position')
      .option('-f, --follow', 'keep printing new events as they are appended')
      .option('--file <path>', 'read an exported log file instead of etcd')
      .addOption(
        new Option('-o, --output <format>', 'text or json lines').choices(['text', 'json']).default('text'),
      ),
  ).action(async (options: ReadOptions) => {
    const format = options.output === 'json' ? formatEventJson : formatEventLine;
    const from = position(options.from) ?? 1n;
    const to = position(options.to);
    if (options.file) {
      for await (const event of readLogFile(options.file)) {
        if (event.position < from || (to !== undefined && event.position > to)) continue;
        process.stdout.write(`${format(event)}\n`);
      }
      return;
    }
    const opened = await openLog(options, false);
    opened.log.skipped.onSkip((s) =>
      logger.warn({ key: s.key, position: String(s.position), reason: s.reason }, 'skipped'),
    );
    try {
      if (!options.follow) {
        for await (const event of opened.log.read(from, to)) process.stdout.write(`${format(event)}\n`);
        process.stdout.write(`# ${opened.log.skipped.count} skipped\n`);
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const subscription = opened.log.tail(from).subscribe({
          next: (event) => process.stdout.write(`${format(event)}\n`),
          error: reject,
        });
        process.once('SIGINT', () => {
          subscription.unsubscribe();
          resolve();
        });
      });
    } finally {
      await opened.close();
    }
  });

  withEtcdOptions(
    log.command('head').description('print the last position and the first readable one'),
  ).action(async (options: EtcdCliOptions) => {
    const opened = await openLog(options, false);
    try {
      process.stdout.write(`head ${await opened.log.head()}\nfirst ${await opened.log.firstPosition()}\n`);
    } finally {
      await opened.close();
    }
  });

  withEtcdOptions(
    log
      .command('export <file>')
      .description('write a range of the log to an Avro object container file')
      .option('--from <position>', 'first position')
      .option('--to <position>', 'last position')
      .option('--deflate', 'compress blocks with deflate', false),
  ).action(async (file: string, options: ReadOptions & { deflate: boolean }) => {
    const opened = await openLog(options, false);
    try {
      const from = position(options.from);
      const to = position(options.to);
      const { events } = await exportLog(opened.log, file, {
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        progress: process.stderr.isTTY === true,
        compression: options.deflate ? 'deflate' : 'null',
      });
      process.stdout.write(`exported ${events} events to ${file} (${opened.log.skipped.count} skipped)\n`);
    } finally {
      await opened.close();
    }
  });

  withEtcdOptions(
    log.command('import <file>').description('append the events of an exported file (idempotent)'),
  ).action(async (file: string, options: EtcdCliOptions) => {
    const opened = await openLog(options, false);
    try {
      const { read, written } = await importLogFile(file, opened.log);
      process.stdout.write(
        `read ${read} events, wrote ${written} new (${opened.log.skipped.count} skipped)\n`,
      );
    } finally {
      await opened.close();
    }
  });

  withEtcdOptions(
    log
      .command('compact')
      .description('drop events before a position (take snapshots first)')
      .requiredOption('--before <position>', 'first position to keep'),
  ).action(async (options: EtcdCliOptions & { before: string }) => {
    const opened = await openLog(options, false);
    try {
      await opened.log.compact(position(options.before)!);
      process.stdout.write(`first readable position is now ${await opened.log.firstPosition()}\n`);
    } finally {
      await opened.close();
    }
  });

  withEtcdOptions(
    log.command('append-samples').description('append the sample cluster events (idempotent)'),
  ).action(async (options: EtcdCliOptions) => {
    const opened = await openLog(options, false);
    try {
      const results = await opened.log.append(sampleClusterEvents());
      for (const r of results)
        process.stdout.write(`#${r.position} ${r.written ? 'written' : 'already there'}\n`);
    } finally {
      await opened.close();
    }
  });
}
