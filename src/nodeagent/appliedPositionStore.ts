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
}

/** Reports in memory (tests). */
export class MemoryAppliedPositionStore implements AppliedPositionStore {
  readonly reports = new Map<string, AppliedReport>();
  async report(report: AppliedReport): Promise<void> {
    this.reports.set(report.node, report);
  }
  async read(node: string): Promise<AppliedReport | undefined> {
    return this.reports.get(node);
  }
}

/** Reports in etcd under `nodes/<node>/applied` of the log's prefix. */
export class EtcdAppliedPositionStore implements AppliedPositionStore {
  constructor(private readonly etcd: Namespace) {}

  static keyOf(node: string): string {
    return `nodes/${encodeURIComponent(node)}/applied`;
  }

  async report(report: AppliedReport): Promise<void> {
    const value = JSON.stringify({ ...report, position: report.position.toString() });
    await this.etcd.put(EtcdAppliedPositionStore.keyOf(report.node)).value(value);
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
