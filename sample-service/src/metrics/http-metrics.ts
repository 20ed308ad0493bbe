/**
 * The service's metrics contract (research note service-metrics.md §10.3), on a dedicated registry.
 *
 * | family                                  | type      | labels                    |
 * |-----------------------------------------|-----------|---------------------------|
 * | http_requests_total                     | counter   | handler, method, status   |
 * | http_request_duration_seconds           | histogram | handler, method           |
 * | promhttp_metric_handler_errors_total    | counter   | cause (gathering|encoding)|
 * | sample_service_build_info               | gauge = 1 | version, revision, node_version |
 * | process_*, nodejs_* (optional)          | prom-client default collectors |
 *
 * Label sets known in advance are exported at 0 before any traffic, so `rate()` and the NoTraffic
 * alert see series from the first scrape. The histogram has a bucket exactly at 0.5 s, the
 * HighLatencyP95 threshold.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from './client.ts';
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
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by route template, method and status code (499: client closed the connection first).',
    labelNames: ['handler', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to finishing (or losing) its response, by route template and method.',
    labelNames: ['handler', 'method'] as const,
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
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
  for (const [handler, method, status] of knownSeries(options.adminEnabled)) {
    requests.inc({ handler, method, status: String(status) }, 0);
    duration.zero({ handler, method });
  }
  if (options.defaultCollectors) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    observeRequest(handler, method, status, seconds) {
      requests.inc({ handler, method, status: String(status) });
      duration.observe({ handler, method }, seconds);
    },
    handlerError(cause) {
      handlerErrors.inc({ cause });
    },
    exposition: () => registry.metrics(),
  };
}
