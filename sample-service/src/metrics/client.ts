/**
 * The only module that imports the Prometheus client library (prom-client 15.1.3, exact pin).
 * Swapping to its successor `@prometheus-io/client` (same API for what we use; Node ≥ 22) is a
 * change to this file alone (README.md, "Metrics").
 */
import client from 'prom-client';

export const { Registry, Counter, Gauge, collectDefaultMetrics } = client;
export type Registry = client.Registry;
export type Counter<T extends string> = client.Counter<T>;
export type Gauge<T extends string> = client.Gauge<T>;

/** One sample of a collected family: `metricName` defaults to the family name (histograms use `_bucket` etc.). */
export interface CollectedSample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** A family whose samples are produced at scrape time from state the service keeps itself. */
export interface CollectedFamily {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  collect(): CollectedSample[];
}

/**
 * Registers a family rendered by the registry (HELP, TYPE, label escaping, ordering) from samples
 * the caller computes at scrape time. The registry only calls `get()` (and `reset()`), the same
 * contract its own metric classes fulfil; the TypeScript types name only those classes, hence the cast.
 */
export function registerCollected(registry: Registry, family: CollectedFamily): void {
  const metric = {
    name: family.name,
    help: family.help,
    type: family.type,
    aggregator: 'sum',
    get: async () => ({ name: family.name, help: family.help, type: family.type, aggregator: 'sum', values: family.collect() }),
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as client.Metric);
}
