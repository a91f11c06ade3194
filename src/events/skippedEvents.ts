import { Counter } from 'prom-client';
import { metricsRegistry } from '../metrics.js';
import type { Position } from './envelope.js';

/** An event a reader could not use: reported with where it is, counted, and skipped. */
export interface SkippedEvent {
  /** Where it lives: the etcd key of its segment, or the file it came from. */
  readonly key: string;
  readonly position: Position;
  readonly reason: string;
}

const skippedTotal = new Counter({
  name: 'cairn_log_skipped_events_total',
  help: 'Events a log reader could not decode and skipped, by kind of reason.',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});

/** Counts and reports skipped events; listeners see each one (a CLI prints them). */
export class SkippedEvents {
  private total = 0;
  private readonly listeners = new Set<(skipped: SkippedEvent) => void>();

  get count(): number {
    return this.total;
  }

  report(skipped: SkippedEvent): void {
    this.total++;
    skippedTotal.inc({ kind: skipKind(skipped.reason) });
    for (const listener of this.listeners) listener(skipped);
  }

  /** Calls `listener` for every later skip; returns the function that stops it. */
  onSkip(listener: (skipped: SkippedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function skipKind(reason: string): string {
  if (reason.includes('unknown') && reason.includes('schema')) return 'unknown-schema';
  if (reason.includes('unknown event type')) return 'unknown-type';
  if (reason.includes('segment')) return 'bad-segment';
  return 'undecodable';
}
