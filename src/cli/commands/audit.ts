import type { Command } from 'commander';
import { auditQuery } from '../../replay/auditQuery.js';
import {
  eventRef,
  type HistoryCliOptions,
  openHistory,
  printOutput,
  progressBar,
  withHistoryOptions,
} from '../../replay/cliSupport.js';
import { parseTime } from '../../replay/parseTime.js';
import { subjectOf } from '../../replay/windowChanges.js';
import { summarize } from '../formatEvent.js';

interface AuditCliOptions extends HistoryCliOptions {
  node: string[];
  since: string;
  until: string;
  actor?: string;
  namespace?: string;
  kind?: string;
  all?: boolean;
}

/** `cairn audit`: who changed what that affected the datapath, with the entries each change touched. */
export function registerAudit(program: Command): void {
  withHistoryOptions(
    program
      .command('audit')
      .description(
        'who changed what that affected the datapath in a time window, with the map entries each change touched',
      )
      .requiredOption('--node <names...>', 'the nodes whose maps to attribute')
      .option('--since <time>', 'RFC 3339 time, or a duration ago (15m, 2h)', '1h')
      .option('--until <time>', 'RFC 3339 time, or now', 'now')
      .option('--actor <name>', 'audit user, actor or field manager (substring)')
      .option('--namespace <ns>', 'only objects of this namespace')
      .option('--kind <kind>', 'Service, EndpointSlice, NetworkPolicy, Pod, Namespace, Node or Cni')
      .option('--all', 'also list changes that touched no map entry'),
  ).action(async (options: AuditCliOptions) => {
    const { history, close } = await openHistory(options);
    const bar = progressBar(options, 'audit');
    try {
      const rows = await auditQuery(
        history,
        options.node,
        {
          sinceMs: parseTime(options.since),
          untilMs: parseTime(options.until),
          ...(options.actor ? { actor: options.actor } : {}),
          ...(options.namespace ? { namespace: options.namespace } : {}),
          ...(options.kind ? { kind: options.kind } : {}),
          ...(options.all ? { all: true } : {}),
        },
        { onProgress: bar.onProgress },
      );
      bar.stop();
      const data = rows.map((r) => ({
        ...eventRef(r.event, r.who, summarize(r.event)),
        user: r.audit?.user ?? null,
        verb: r.audit?.verb ?? null,
        object: subjectOf(r.event),
        touched: Object.fromEntries(
          [...r.touched].map(([node, touches]) => [
            node,
            touches.map((t) => ({
              map: t.map,
              key: t.id,
              change: t.before === undefined ? 'created' : t.after === undefined ? 'deleted' : 'changed',
            })),
          ]),
        ),
      }));
      printOutput(options.output, data, () => {
        const lines = [`# ${data.length} changes`];
        for (const d of data) {
          const o = d.object;
          lines.push(
            `#${d.position}  ${d.time}  ${d.actor}  ${d.verb ?? d.type}  ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`,
          );
          for (const [node, touches] of Object.entries(d.touched)) {
            const shown = touches.slice(0, 6).map((t) => `${t.change} ${t.map} ${t.key}`);
            const more = touches.length > shown.length ? `, … ${touches.length - shown.length} more` : '';
            lines.push(`    ${node}: ${shown.join(', ')}${more}`);
          }
        }
        return lines.join('\n');
      });
    } finally {
      bar.stop();
      await close();
    }
  });
}
