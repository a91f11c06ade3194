import { Registry } from 'prom-client';

/** The one Prometheus registry of a cairn process (the agent exposes it over HTTP). */
export const metricsRegistry = new Registry();
