/**
 * The service's metrics contract (README.md, "Metrics"), on a dedicated registry.
 *
 * | family                                  | type      | labels                    |
 * |-----------------------------------------|-----------|---------------------------|
 * | http_requests_total                     | counter   | handler, method, status   |
 * | http_request_duration_seconds           | histogram | handler, method           |
 * | promhttp_metric_handler_errors_total    | counter   | cause (gathering|encoding)|
 * | sample_service_build_info               | gauge = 1 | version, revision, node_version |
 * | process_*, nodejs_* (optional)          | prom-client default collectors |
 *
 * The two HTTP families are recorded on the hot path into plain arrays indexed by the closed
 * handler × method sets (an array index, a Map update and a bucket scan: tens of nanoseconds),
 * and turned into samples only when `/metrics` is scraped. prom-client's `inc` + `observe` hash
 * their label objects on every call (≈ 1–2 µs per request measured here, a tenth of a bare
 * request's CPU). Label sets known in advance are exported at 0 before any traffic, so `rate()`
 * and the NoTraffic alert see series from the first scrape. The histogram has a bucket exactly at
 * 0.5 s, the HighLatencyP95 threshold.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, registerCollected } from './client.ts';
import type { CollectedSample } from './client.ts';
import { HANDLERS, METHODS } from '../http/routes.ts';
import type { Handler, MethodLabel } from '../http/routes.ts';

/** prom-client's (and Go's) default buckets, in seconds; they include the 0.5 s alert threshold. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/**
 * Families prom-client's default collectors emit that `promtool check metrics` flags ("non-counter
 * metrics should not have _total suffix"): gauges named `_total`. They are kept for compatibility
 * with existing dashboards; `METRICS_DEFAULT_COLLECTORS=false` drops them and lints clean.
 */
export const PROMTOOL_ALLOWLIST = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

export type HandlerErrorCause = 'gathering' | 'encoding';

export interface MetricsOptions {
  defaultCollectors: boolean;
  appVersion: string;
  gitSha: string;
  /** Pre-initialise the admin routes' series too (only when those routes exist). */
  adminEnabled: boolean;
}

/** The instruments the HTTP layer records into, and the exposition it serves. */
export interface HttpMetrics {
  readonly registry: Registry;
  /** `Content-Type` of the exposition: `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
  /** Records one finished (or aborted, status 499) request; `seconds` from receipt to finish/close. */
  observeRequest(handler: Handler, method: MethodLabel, status: number, seconds: number): void;
  /** Counts an error while serving `/metrics`. */
  handlerError(cause: HandlerErrorCause): void;
  /** Renders the registry in the text format 0.0.4; rejects when a collector throws. */
  exposition(): Promise<string>;
}

const HANDLER_INDEX: Readonly<Record<string, number>> = Object.fromEntries(HANDLERS.map((h, i) => [h, i]));
const METHOD_INDEX: Readonly<Record<string, number>> = Object.fromEntries(METHODS.map((m, i) => [m, i]));

/** Everything recorded for one handler × method pair. */
class PairStats {
  /** status code → requests, in first-seen order (known series first). */
  readonly statuses = new Map<number, number>();
  /** Non-cumulative counts per bucket; the last slot is the overflow above 10 s (+Inf). */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;
  /** Exported (at zero) before any request. */
  exported = false;
}

/** Label sets exported at zero: each route's normal answer, and the 404 of unknown paths. */
function knownSeries(adminEnabled: boolean): Array<[Handler, MethodLabel, number]> {
  const series: Array<[Handler, MethodLabel, number]> = [
    ['/', 'GET', 200], ['/livez', 'GET', 200], ['/readyz', 'GET', 200], ['/readyz', 'GET', 503],
    ['/metrics', 'GET', 200], ['unmatched', 'GET', 404],
  ];
  if (adminEnabled) series.push(['/admin/flags', 'GET', 200], ['/admin/flags', 'POST', 200], ['/admin/flags/reset', 'POST', 200]);
  return series;
}

/** Creates the registry and instruments, with known series at zero. */
export function createHttpMetrics(options: MetricsOptions): HttpMetrics {
  const registry = new Registry();
  const pairs: Array<PairStats | undefined> = new Array(HANDLERS.length * METHODS.length);
  const pair = (handler: Handler, method: MethodLabel): PairStats => {
    const index = HANDLER_INDEX[handler]! * METHODS.length + METHOD_INDEX[method]!;
    return (pairs[index] ??= new PairStats());
  };
  for (const [handler, method, status] of knownSeries(options.adminEnabled)) {
    const stats = pair(handler, method);
    stats.statuses.set(status, 0);
    stats.exported = true;
  }

  /** One family's samples: `samplesOf` for each recorded pair in table order (handler, then method), so the exposition is stable. */
  const collectPairs = (samplesOf: (labels: { handler: string; method: string }, stats: PairStats) => CollectedSample[]) => (): CollectedSample[] =>
    pairs.flatMap((stats, index) => (stats && (stats.exported || stats.count > 0)
      ? samplesOf({ handler: HANDLERS[Math.floor(index / METHODS.length)]!, method: METHODS[index % METHODS.length]! }, stats)
      : []));

  registerCollected(registry, {
    name: 'http_requests_total',
    help: 'HTTP requests served, by route template, method and status code (499: client closed the connection first).',
    type: 'counter',
    collect: collectPairs((labels, stats) => [...stats.statuses].map(([status, value]) => ({ labels: { ...labels, status: String(status) }, value }))),
  });
  registerCollected(registry, {
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to finishing (or losing) its response, by route template and method.',
    type: 'histogram',
    collect: collectPairs((labels, stats) => {
      let cumulative = 0;
      return [
        ...DURATION_BUCKETS.map((le, i) => ({ metricName: 'http_request_duration_seconds_bucket', labels: { le, ...labels }, value: (cumulative += stats.buckets[i]!) })),
        { metricName: 'http_request_duration_seconds_bucket', labels: { le: '+Inf', ...labels }, value: stats.count },
        { metricName: 'http_request_duration_seconds_sum', labels, value: stats.sum },
        { metricName: 'http_request_duration_seconds_count', labels, value: stats.count },
      ];
    }),
  });
  const handlerErrors = new Counter({
    name: 'promhttp_metric_handler_errors_total',
    help: 'Errors while serving /metrics: gathering (a collector failed) or encoding (writing the response failed).',
    labelNames: ['cause'] as const,
    registers: [registry],
  });
  const buildInfo = new Gauge({
    name: 'sample_service_build_info',
    help: 'Build of the running service; always 1. version is the image tag or release, revision the git commit.',
    labelNames: ['version', 'revision', 'node_version'] as const,
    registers: [registry],
  });
  buildInfo.set({ version: options.appVersion, revision: options.gitSha, node_version: process.version }, 1);
  handlerErrors.inc({ cause: 'gathering' }, 0);
  handlerErrors.inc({ cause: 'encoding' }, 0);
  if (options.defaultCollectors) collectDefaultMetrics({ register: registry });

  const lastBucket = DURATION_BUCKETS.length;
  return {
    registry,
    contentType: registry.contentType,
    observeRequest(handler, method, status, seconds) {
      const stats = pair(handler, method);
      stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
      // Bucket i counts le = DURATION_BUCKETS[i] (value <= bound); the last slot is +Inf only.
      let bucket = 0;
      while (bucket < lastBucket && seconds > DURATION_BUCKETS[bucket]!) bucket++;
      stats.buckets[bucket]!++;
      stats.sum += seconds;
      stats.count++;
    },
    handlerError(cause) {
      handlerErrors.inc({ cause });
    },
    exposition: () => registry.metrics(),
  };
}
