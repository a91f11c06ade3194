import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { type EtcdCliOptions, openLog, withEtcdOptions } from '../cli/etcdOptions.js';
import { fileHistory } from './fileHistory.js';
import { type History, logHistory } from './history.js';

/** Options of every command that reads the log's past. */
export interface HistoryCliOptions extends EtcdCliOptions {
  file?: string;
  snapshots?: string;
  output: 'table' | 'json' | 'yaml';
  progress?: boolean;
}

/** Adds --file, --snapshots, -o and the etcd options. */
export function withHistoryOptions(command: Command): Command {
  return withEtcdOptions(
    command
      .option('--file <path>', 'read an exported log file (cairn log export) instead of etcd')
      .option('--snapshots <dir>', 'snapshot directory of --file (default <file>.snapshots)')
      .option('--no-progress', 'never draw a progress bar')
      .addOption(
        new Option('-o, --output <format>', 'table, json or yaml')
          .choices(['table', 'json', 'yaml'])
          .default('table'),
      ),
  );
}

/** Opens etcd or the file; `close` releases it. */
export async function openHistory(
  options: HistoryCliOptions,
): Promise<{ history: History; close(): Promise<void> }> {
  if (options.file) {
    const history = fileHistory(options.file, options.snapshots ?? `${options.file}.snapshots`);
    return { history, close: async () => history.close() };
  }
  const opened = await openLog(options, false);
  return {
    history: logHistory(opened.log, `etcd ${opened.endpoints.join(',')}`),
    close: () => opened.close(),
  };
}

/** A progress callback drawing a bar on a terminal's stderr once there are many events to fold. */
export function progressBar(
  options: { progress?: boolean },
  label: string,
): {
  onProgress: (done: number, total: number) => void;
  stop(): void;
} {
  let bar: SingleBar | undefined;
  const enabled = options.progress !== false && process.stderr.isTTY === true;
  return {
    onProgress(done, total) {
      if (!enabled || total < 5_000) return;
      if (bar === undefined) {
        bar = new SingleBar({
          format: `${label} [{bar}] {value}/{total} events  {eta}s`,
          stream: process.stderr,
        });
        bar.start(total, 0);
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

const plain = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** Prints `data` as JSON or YAML, or `table()` as text. */
export function printOutput(format: HistoryCliOptions['output'], data: unknown, table: () => string): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(data, plain, 2)}\n`);
  else if (format === 'yaml') process.stdout.write(stringify(JSON.parse(JSON.stringify(data, plain))));
  else process.stdout.write(`${table()}\n`);
}

/** An event in a few words, for output. */
export interface EventRef {
  position: string;
  time: string;
  source: string;
  actor: string;
  type: string;
  id: string;
  summary: string;
}

/** An event in a few words: position, time, source, who, type, object. */
export function eventRef(
  e: {
    position: bigint;
    appendedAtMs: number;
    source: string;
    type: string;
    id: string;
  },
  who: string,
  summary: string,
): EventRef {
  return {
    position: e.position.toString(),
    time: new Date(e.appendedAtMs).toISOString(),
    source: e.source,
    actor: who,
    type: e.type,
    id: e.id,
    summary,
  };
}
