import { type Command, Option } from 'commander';
import { sampleClusterEvents } from '../../samples/sampleEvents.js';
import { type EtcdCliOptions, logger, openLog, withEtcdOptions } from '../etcdOptions.js';
import { formatEventJson, formatEventLine } from '../formatEvent.js';

interface RunOptions extends EtcdCliOptions {
  samples: boolean;
  once: boolean;
  output: 'text' | 'json';
}

/**
 * `cairn run`: the main job. Starts (or connects to) etcd, appends the sample cluster's events
 * and follows the log, printing each event, until interrupted.
 */
export function registerRun(program: Command): void {
  withEtcdOptions(
    program
      .command('run')
      .description('start etcd (embedded unless --etcd-endpoints), append sample events, and follow the log')
      .option('--no-samples', 'do not append the sample cluster events')
      .option('--once', 'print the log up to its head and exit instead of following it', false)
      .addOption(
        new Option('-o, --output <format>', 'text or json lines').choices(['text', 'json']).default('text'),
      ),
  ).action(async (options: RunOptions) => {
    const opened = await openLog(options, true);
    const { log } = opened;
    log.skipped.onSkip((s) =>
      logger.warn({ key: s.key, position: String(s.position), reason: s.reason }, 'skipped event'),
    );
    const print = (line: string) => process.stdout.write(`${line}\n`);
    const format = options.output === 'json' ? formatEventJson : formatEventLine;
    try {
      if (options.samples) {
        const results = await log.append(sampleClusterEvents());
        const written = results.filter((r) => r.written).length;
        logger.info(
          { events: results.length, written },
          'appended sample events (re-runs write nothing new)',
        );
      }
      if (options.once) {
        for await (const event of log.read()) print(format(event));
        print(`# head ${await log.head()}, ${log.skipped.count} skipped`);
        return;
      }
      logger.info({ endpoints: opened.endpoints }, 'following the log; Ctrl-C to stop');
      await new Promise<void>((resolve, reject) => {
        const subscription = log.tail(1n).subscribe({ next: (event) => print(format(event)), error: reject });
        const stop = () => {
          subscription.unsubscribe();
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      print(`# ${log.skipped.count} skipped`);
    } finally {
      await opened.close();
    }
  });
}
