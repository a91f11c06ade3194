/** The bench's result records, and the headline ratios read from them. */
import type { ChangeKind } from './changes.js';
import type { Summary } from './summary.js';

export interface KubeProxyCrossCheck {
  /** kube-proxy's kubeproxy_network_programming_duration_seconds over the changes (histogram estimates, ms). */
  readonly networkProgrammingMs?: { count: number; p50: number; p90: number; p99: number };
  /** kubeproxy_sync_proxy_rules_duration_seconds over the changes (ms). */
  readonly syncMs?: { count: number; p50: number; p90: number; p99: number };
}

export interface RestartResult {
  /** cairn: map writes of the restarted agent (0 when nothing changed). */
  readonly writes?: number;
  /** From the process's spawn to programmed-and-ready. */
  readonly readyMs: number;
  /** kube-proxy: its full sync's own duration. */
  readonly syncMs?: number;
  readonly variant: string;
}

export interface PhaseResult {
  readonly system: string;
  readonly services: number;
  readonly endpointsPerService: number;
  /** False when the phase did not finish within its budget (see note). */
  readonly finished: boolean;
  readonly note?: string;
  /** From the programmer's start to the kernel holding the whole cluster. */
  readonly initialSync?: { seconds: number; cpuSeconds: number };
  readonly latencyMs?: Summary;
  readonly latencyByKindMs?: Partial<Record<ChangeKind, Summary>>;
  readonly changes: number;
  /** kube-proxy: changes seen at a sync end while another sync had started (lower bound kept). */
  readonly ambiguous?: number;
  readonly cpuSecondsDuringChanges?: number;
  readonly rssMiB?: number;
  readonly peakRssMiB?: number;
  /** CPU of the shared API server and etcd during this phase's changes (cairn's log lives in that etcd). */
  readonly controlPlaneCpuSeconds?: { apiserver: number; etcd: number };
  readonly crossCheck?: KubeProxyCrossCheck;
  readonly restart?: readonly RestartResult[];
  readonly raw?: readonly { kind: ChangeKind; ms: number; ambiguous?: boolean }[];
}

export interface BenchReport {
  readonly bench: 'network-programming';
  readonly date: string;
  readonly command: string;
  readonly machine: { cores: number; cpu: string; memoryGiB: number; kernel: string; loadAverage: number[] };
  readonly versions: { kubernetes: string; node: string };
  readonly settings: Record<string, unknown>;
  readonly results: readonly PhaseResult[];
  readonly headline: Headline;
}

export interface Headline {
  /** cairn's median and p99 at the largest N divided by those at the smallest. */
  readonly cairnGrowth?: { from: number; to: number; medianRatio: number; p99Ratio: number };
  /** Per N and kube-proxy mode: kube-proxy's median / cairn's median (and p99). */
  readonly versusKubeProxy: readonly {
    services: number;
    system: string;
    medianRatio: number;
    p99Ratio: number;
  }[];
}

export function headline(results: readonly PhaseResult[]): Headline {
  const done = results.filter((r) => r.finished && r.latencyMs);
  const cairn = done.filter((r) => r.system === 'cairn').sort((a, b) => a.services - b.services);
  const first = cairn[0];
  const last = cairn.at(-1);
  const versusKubeProxy = [];
  for (const c of cairn) {
    for (const k of done.filter((r) => r.system !== 'cairn' && r.services === c.services)) {
      versusKubeProxy.push({
        services: c.services,
        system: k.system,
        medianRatio: k.latencyMs!.median / c.latencyMs!.median,
        p99Ratio: k.latencyMs!.p99 / c.latencyMs!.p99,
      });
    }
  }
  return {
    ...(first && last && first !== last
      ? {
          cairnGrowth: {
            from: first.services,
            to: last.services,
            medianRatio: last.latencyMs!.median / first.latencyMs!.median,
            p99Ratio: last.latencyMs!.p99 / first.latencyMs!.p99,
          },
        }
      : {}),
    versusKubeProxy,
  };
}
