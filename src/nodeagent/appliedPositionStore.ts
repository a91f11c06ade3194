import type { Namespace } from 'etcd3';
import type { Position } from '../events/envelope.js';

/** A node agent's report: the log position its maps reflect, and when it got there. */
export interface AppliedReport {
  readonly node: string;
  readonly position: Position;
  readonly appliedAtMs: number;
  /** Events the agent has seen but not yet applied. */
  readonly lagEvents: number;
}

/** Where agents report their applied position, so convergence can be measured from outside. */
export interface AppliedPositionStore {
  report(report: AppliedReport): Promise<void>;
  read(node: string): Promise<AppliedReport | undefined>;
  /**
   * The node's recent reports, oldest first (at most `APPLIED_HISTORY_LIMIT`): when each
   * position was applied, for per-stage timing (`cairn timing`). Optional for other stores.
   */
  history?(node: string): Promise<AppliedReport[]>;
}

/** Reports kept per node in the applied history; older ones are dropped. */
export const APPLIED_HISTORY_LIMIT = 10_000;

/** Reports in memory (tests). */
export class MemoryAppliedPositionStore implements AppliedPositionStore {
  readonly reports = new Map<string, AppliedReport>();
  private readonly past = new Map<string, AppliedReport[]>();
  async report(report: AppliedReport): Promise<void> {
    this.reports.set(report.node, report);
    const list = this.past.get(report.node) ?? [];
    list.push(report);
    if (list.length > APPLIED_HISTORY_LIMIT) list.splice(0, list.length - APPLIED_HISTORY_LIMIT);
    this.past.set(report.node, list);
  }
  async history(node: string): Promise<AppliedReport[]> {
    return [...(this.past.get(node) ?? [])];
  }
  async read(node: string): Promise<AppliedReport | undefined> {
    return this.reports.get(node);
  }
}

/** Reports in etcd under `nodes/<node>/applied` of the log's prefix. */
export class EtcdAppliedPositionStore implements AppliedPositionStore {
  private reportsSinceTrim = 0;

  constructor(
    private readonly etcd: Namespace,
    private readonly historyLimit = APPLIED_HISTORY_LIMIT,
  ) {}

  static keyOf(node: string): string {
    return `nodes/${encodeURIComponent(node)}/applied`;
  }

  /** Prefix of the node's history: one key per report, `<16 hex position>`, so they sort by position. */
  static historyPrefixOf(node: string): string {
    return `applied-history/${encodeURIComponent(node)}/`;
  }

  async report(report: AppliedReport): Promise<void> {
    const value = JSON.stringify({ ...report, position: report.position.toString() });
    const historyKey = `${EtcdAppliedPositionStore.historyPrefixOf(report.node)}${report.position.toString(16).padStart(16, '0')}`;
    await Promise.all([
      this.etcd.put(EtcdAppliedPositionStore.keyOf(report.node)).value(value),
      this.etcd.put(historyKey).value(value),
    ]);
    // Trimming costs a count: done once every few hundred reports, so the bound is approximate.
    if (++this.reportsSinceTrim >= Math.min(500, this.historyLimit)) {
      this.reportsSinceTrim = 0;
      await this.trimHistory(report.node);
    }
  }

  async history(node: string): Promise<AppliedReport[]> {
    const all = await this.etcd
      .getAll()
      .prefix(EtcdAppliedPositionStore.historyPrefixOf(node))
      .sort('Key', 'Ascend')
      .strings();
    return Object.values(all).map(parseReport);
  }

  private async trimHistory(node: string): Promise<void> {
    const prefix = EtcdAppliedPositionStore.historyPrefixOf(node);
    const count = await this.etcd.getAll().prefix(prefix).count();
    if (count <= this.historyLimit) return;
    const old = await this.etcd
      .getAll()
      .prefix(prefix)
      .sort('Key', 'Ascend')
      .limit(count - this.historyLimit)
      .keys();
    const last = old[old.length - 1];
    if (last !== undefined) await this.etcd.delete().inRange({ start: prefix, end: `${last}\0` });
  }

  async read(node: string): Promise<AppliedReport | undefined> {
    const value = await this.etcd.get(EtcdAppliedPositionStore.keyOf(node)).string();
    return value === null ? undefined : parseReport(value);
  }

  /** Every node's latest report, by node name. */
  async list(): Promise<AppliedReport[]> {
    const all = await this.etcd.getAll().prefix('nodes/').strings();
    return Object.entries(all)
      .filter(([key]) => key.endsWith('/applied'))
      .map(([, value]) => parseReport(value))
      .sort((a, b) => a.node.localeCompare(b.node));
  }
}

function parseReport(value: string): AppliedReport {
  const parsed = JSON.parse(value) as Omit<AppliedReport, 'position'> & { position: string };
  return { ...parsed, position: BigInt(parsed.position) };
}
