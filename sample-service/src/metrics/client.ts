/**
 * The only module that imports the Prometheus client library (prom-client 15.1.3, exact pin).
 * Swapping to its successor `@prometheus-io/client` (same API for what we use; Node ≥ 22) is a
 * change to this file alone (research note service-metrics.md §3).
 */
import client from 'prom-client';

export const { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } = client;
export type Registry = client.Registry;
export type Counter<T extends string> = client.Counter<T>;
export type Histogram<T extends string> = client.Histogram<T>;
export type Gauge<T extends string> = client.Gauge<T>;
