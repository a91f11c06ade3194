import type { StoredEvent } from '../events/envelope.js';
import type { AuditRecorded } from '../events/payloads.js';
import { auditRecordsFor, whoOf } from './auditJoin.js';
import type { EntryTouch } from './entryTracker.js';
import type { History } from './history.js';
import type { ReplayOptions } from './replayTo.js';
import { changesByEvent, subjectOf, windowPositions } from './windowChanges.js';

export interface AuditFilter {
  readonly sinceMs: number;
  readonly untilMs: number;
  /** Matches the audit user, the actor's name or its field manager (case-insensitive substring). */
  readonly actor?: string;
  readonly namespace?: string;
  /** Service, EndpointSlice, NetworkPolicy, Pod, Namespace, Node, Cni (case-insensitive). */
  readonly kind?: string;
  /** Also list changes that touched no map entry. */
  readonly all?: boolean;
}

/** One change in the window and what it did to the datapath. */
export interface AuditRow {
  readonly event: StoredEvent;
  readonly who: string;
  readonly audit: AuditRecorded | undefined;
  /** Map entries it changed, per node. */
  readonly touched: ReadonlyMap<string, readonly EntryTouch[]>;
}

/** Who changed what in a time window that affected `nodes`' datapath, with the entries each change touched. */
export async function auditQuery(
  history: History,
  nodes: readonly string[],
  filter: AuditFilter,
  replay: Pick<ReplayOptions, 'options' | 'onProgress'> = {},
): Promise<AuditRow[]> {
  const { from, to } = await windowPositions(history, filter.sinceMs, filter.untilMs);
  const perNode = new Map<string, Awaited<ReturnType<typeof changesByEvent>>>();
  for (const node of nodes) perNode.set(node, await changesByEvent(history, node, from - 1n, to, replay));
  const candidates: StoredEvent[] = [];
  for await (const e of history.read(from, to)) {
    if (e.type === 'AuditRecorded') continue;
    const subject = subjectOf(e);
    if (filter.namespace !== undefined && subject.namespace !== filter.namespace) continue;
    if (filter.kind !== undefined && subject.kind.toLowerCase() !== filter.kind.toLowerCase()) continue;
    const touchedAny = nodes.some((n) => perNode.get(n)!.has(e.position));
    if (!touchedAny && !filter.all) continue;
    candidates.push(e);
  }
  const audits = await auditRecordsFor(history, candidates);
  const rows: AuditRow[] = [];
  const needle = filter.actor?.toLowerCase();
  for (const e of candidates) {
    const audit = audits.get(e.id);
    const names = [e.actor.name, e.actor.manager ?? '', audit?.user ?? '', audit?.impersonatedUser ?? ''];
    if (needle !== undefined && !names.some((n) => n.toLowerCase().includes(needle))) continue;
    const touched = new Map<string, readonly EntryTouch[]>();
    for (const node of nodes) {
      const t = perNode.get(node)!.get(e.position);
      if (t) touched.set(node, t.touches);
    }
    rows.push({ event: e, who: whoOf(e, audit), audit, touched });
  }
  return rows;
}
