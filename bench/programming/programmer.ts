/** What the bench drives: one datapath programmer (cairn, or kube-proxy in one mode). */
import type { Expectation } from './changes.js';
import type { ProcessUsage } from './procStats.js';

export interface Programmed {
  /** performance.now() when the change was seen in the kernel. */
  readonly at: number;
  /** kube-proxy only: another sync started while the kernel was being checked (see kubeProxyProgrammer). */
  readonly ambiguous?: boolean;
}

/** The cluster a programmer must have converged to. */
export interface ClusterSize {
  readonly services: number;
  readonly endpoints: number;
}

export interface Programmer {
  /** "cairn", "kube-proxy iptables", "kube-proxy nftables". */
  readonly system: string;
  /** Starts its processes; resolves with performance.now() at the spawn. */
  start(): Promise<number>;
  /** Resolves with the moment the kernel holds the whole cluster (rejects after `deadlineAt`). */
  waitConverged(size: ClusterSize, deadlineAt: number): Promise<number>;
  /** Resolves when the kernel holds the change (rejects after `deadlineAt`). */
  waitProgrammed(expectation: Expectation, ackAt: number, deadlineAt: number): Promise<Programmed>;
  /** Its processes' CPU and memory. */
  usage(): ProcessUsage;
  /** Its own metrics page (Prometheus text), when it serves one. */
  metrics(): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** A programmer did not reach the state in time. */
export class NotProgrammedError extends Error {
  override readonly name = 'NotProgrammedError';
}
