import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../metrics.js';

/** The node agent's Prometheus metrics (one set per process, labelled by node). */
export const agentMetrics = {
  appliedPosition: new Gauge({
    name: 'cairn_agent_applied_position',
    help: 'Log position the node maps reflect.',
    labelNames: ['node'] as const,
    registers: [metricsRegistry],
  }),
  lagEvents: new Gauge({
    name: 'cairn_agent_lag_events',
    help: 'Events seen by the agent and not yet applied to the maps.',
    labelNames: ['node'] as const,
    registers: [metricsRegistry],
  }),
  lagSeconds: new Gauge({
    name: 'cairn_agent_lag_seconds',
    help: 'Age of the oldest event not yet applied to the maps.',
    labelNames: ['node'] as const,
    registers: [metricsRegistry],
  }),
  mapOperations: new Counter({
    name: 'cairn_agent_map_operations_total',
    help: 'Map entries written or deleted, by map and kind.',
    labelNames: ['node', 'map', 'op'] as const,
    registers: [metricsRegistry],
  }),
  mapErrors: new Counter({
    name: 'cairn_agent_map_errors_total',
    help: 'Failed map operations (retried with backoff), by map.',
    labelNames: ['node', 'map'] as const,
    registers: [metricsRegistry],
  }),
  mapEntries: new Gauge({
    name: 'cairn_agent_map_entries',
    help: 'Entries in each map.',
    labelNames: ['node', 'map'] as const,
    registers: [metricsRegistry],
  }),
  mapMaxEntries: new Gauge({
    name: 'cairn_agent_map_max_entries',
    help: 'Capacity of each map.',
    labelNames: ['node', 'map'] as const,
    registers: [metricsRegistry],
  }),
  driftRepaired: new Counter({
    name: 'cairn_agent_drift_repaired_total',
    help: 'Map entries found changed behind the agent (e.g. by hand) and repaired.',
    labelNames: ['node'] as const,
    registers: [metricsRegistry],
  }),
  eventToMapSeconds: new Histogram({
    name: 'cairn_agent_event_to_map_seconds',
    help: "Time from an event's append to the log to its change in the node's maps.",
    labelNames: ['node'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metricsRegistry],
  }),
};
