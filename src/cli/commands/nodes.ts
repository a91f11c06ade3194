import type { Command } from 'commander';
import { EtcdAppliedPositionStore } from '../../nodeagent/appliedPositionStore.js';
import { type EtcdCliOptions, openLog, withEtcdOptions } from '../etcdOptions.js';

/** `cairn nodes`: each node agent's applied position and lag, as reported to etcd. */
export function registerNodes(program: Command): void {
  withEtcdOptions(
    program
      .command('nodes')
      .description("each node agent's applied log position, lag, and when it last reported"),
  ).action(async (options: EtcdCliOptions) => {
    const opened = await openLog(options, false);
    try {
      const head = await opened.log.head();
      const reports = await new EtcdAppliedPositionStore(opened.log.etcd).list();
      process.stdout.write(`log head ${head}\n`);
      process.stdout.write('NODE\tAPPLIED\tBEHIND\tREPORTED\n');
      for (const r of reports) {
        const age = ((Date.now() - r.appliedAtMs) / 1000).toFixed(1);
        process.stdout.write(`${r.node}\t${r.position}\t${head - r.position}\t${age}s ago\n`);
      }
    } finally {
      await opened.close();
    }
  });
}
