import { Command } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerApiwatch } from './commands/apiwatch.js';
import { registerAudit } from './commands/audit.js';
import { registerBlame } from './commands/blame.js';
import { registerDiff } from './commands/diff.js';
import { registerLog } from './commands/log.js';
import { registerMaps } from './commands/maps.js';
import { registerNodes } from './commands/nodes.js';
import { registerReplay } from './commands/replay.js';
import { registerRun } from './commands/run.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerTimeline } from './commands/timeline.js';
import { registerTiming } from './commands/timing.js';

/** Builds the `cairn` command line. */
export function buildProgram(): Command {
  const program = new Command()
    .name('cairn')
    .description('cairn: an event-sourced control plane for Kubernetes service and policy networking on eBPF')
    .showHelpAfterError();
  registerRun(program);
  registerLog(program);
  registerAgent(program);
  registerMaps(program);
  registerNodes(program);
  registerApiwatch(program);
  registerReplay(program);
  registerDiff(program);
  registerBlame(program);
  registerSnapshot(program);
  registerAudit(program);
  registerTiming(program);
  registerTimeline(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`cairn: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  });
