import { Counter } from 'prom-client';
import { metricsRegistry } from '../metrics.js';

/** apiwatch's Prometheus metrics (one set per process, labelled by kind). */
export const apiwatchMetrics = {
  events: new Counter({
    name: 'cairn_apiwatch_events_total',
    help: 'Object events apiwatch appended that the log did not hold yet, by kind.',
    labelNames: ['kind'] as const,
    registers: [metricsRegistry],
  }),
  relists: new Counter({
    name: 'cairn_apiwatch_relists_total',
    help: 'Full lists of a kind (at start without a resume point, after 410 Gone).',
    labelNames: ['kind'] as const,
    registers: [metricsRegistry],
  }),
  errors: new Counter({
    name: 'cairn_apiwatch_errors_total',
    help: 'Failed lists, watches or appends (each followed by a restart with backoff), by kind.',
    labelNames: ['kind'] as const,
    registers: [metricsRegistry],
  }),
  invalidObjects: new Counter({
    name: 'cairn_apiwatch_invalid_objects_total',
    help: 'Object versions with parts the datapath cannot use (recorded, reported, skipped by projections), by kind.',
    labelNames: ['kind'] as const,
    registers: [metricsRegistry],
  }),
  unconvertible: new Counter({
    name: 'cairn_apiwatch_unconvertible_objects_total',
    help: 'Objects that could not become an event at all (e.g. no uid), by kind.',
    labelNames: ['kind'] as const,
    registers: [metricsRegistry],
  }),
  auditRecorded: new Counter({
    name: 'cairn_apiwatch_audit_events_total',
    help: 'Audited writes recorded as AuditRecorded events.',
    registers: [metricsRegistry],
  }),
  auditRejected: new Counter({
    name: 'cairn_apiwatch_audit_rejected_total',
    help: 'Unauthenticated requests to the audit webhook receiver.',
    registers: [metricsRegistry],
  }),
};
