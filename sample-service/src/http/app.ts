/**
 * The request handler: routing, the endpoint table, metrics recording and the access log
 * (README.md: "HTTP endpoints", "Metrics", "Logs, startup, shutdown").
 *
 * Per request the hot path does: one `indexOf` to drop the query string, a switch on the path, a
 * snapshot read for flags, and on `close` one counter increment and one histogram observation.
 * Each request is recorded exactly once: `/` and `/livez` when their whole response is handed to
 * the socket (synchronously), every other route when its response finishes or its connection
 * closes (status 499 if the client went away first).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { HttpMetrics } from '../metrics/http-metrics.ts';
import type { AdminFlags } from './admin.ts';
import { createAdminHandler } from './admin.ts';
import type { Readiness } from './readiness.ts';
import type { Exchange } from './respond.ts';
import { JSON_TYPE, NO_STORE, TEXT_TYPE, send, sendError, sendJson } from './respond.ts';
import { ALLOWED_METHODS, matchHandler, methodLabel } from './routes.ts';
import type { Handler } from './routes.ts';

export interface AppDeps {
  config: Pick<Config, 'adminFlagsEnabled' | 'adminToken' | 'accessLog' | 'slowRequestMs'>;
  log: Logger;
  metrics: HttpMetrics;
  flags: AdminFlags;
  readiness: Readiness;
}

const OK_BODY = Buffer.from('ok');
const REQUEST_ID = /^[\w.:@+=/-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
const MAX_LOGGED_PATH = 256;

/** Status code for a request whose client closed the connection before the response finished. */
export const CLIENT_CLOSED_REQUEST = 499;

/** Creates the `request` listener for `http.createServer`. */
export function createApp(deps: AppDeps) {
  const { config, log, metrics, flags, readiness } = deps;
  const handleAdmin = createAdminHandler(flags, config.adminToken);
  const accessLog = config.accessLog;

  function record(req: IncomingMessage, status: number, ex: Exchange, handler: Handler, path: string, start: number, recordMetrics: boolean): void {
    const seconds = (performance.now() - start) / 1000;
    const method = methodLabel(req.method);
    if (recordMetrics) metrics.observeRequest(handler, method, status, seconds);
    if (accessLog === 'off') return;
    const failed = status < 200 || status >= 400;
    if (accessLog === 'errors' && !failed && seconds * 1000 < config.slowRequestMs) return;
    const traceparent = req.headers.traceparent;
    const trace = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
    log[failed && status >= 500 ? 'warn' : 'info']('http_request', {
      method: req.method, path: path.length > MAX_LOGGED_PATH ? path.slice(0, MAX_LOGGED_PATH) : path, handler, status,
      duration_ms: Math.round(seconds * 1e6) / 1000, bytes: ex.bytes, request_id: ex.requestId,
      ...(trace && trace[1] !== '00000000000000000000000000000000' ? { trace_id: trace[1] } : {}),
    });
  }

  async function serveMetrics(res: ServerResponse, ex: Exchange): Promise<void> {
    let text: string;
    try {
      text = await metrics.exposition();
    } catch (error) {
      metrics.handlerError('gathering');
      log.error('metrics_gathering_failed', { err: error });
      return sendError(res, ex, 500, 'metrics_gathering_failed', 'a metrics collector failed');
    }
    res.once('close', () => { if (!res.writableFinished) metrics.handlerError('encoding'); });
    try {
      send(res, ex, 200, metrics.contentType, text, NO_STORE);
    } catch (error) {
      metrics.handlerError('encoding');
      log.error('metrics_encoding_failed', { err: error });
    }
  }

  async function serveReadiness(res: ServerResponse, ex: Exchange): Promise<void> {
    const report = await readiness.report();
    sendJson(res, ex, report.ready ? 200 : 503, report.body, NO_STORE);
  }

  async function dispatch(handler: Handler, req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void> {
    if (handler === 'unmatched') return sendError(res, ex, 404, 'not_found', 'no such route');
    if (handler === '/admin/flags' || handler === '/admin/flags/reset') return handleAdmin(handler, req, res, ex);
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      const allow = ALLOWED_METHODS[handler].join(', ');
      return sendError(res, ex, 405, 'method_not_allowed', `${handler} allows ${allow}`, ['Allow', allow]);
    }
    // GET and HEAD of `/` and `/livez` were answered on the fast path in onRequest.
    switch (handler) {
      case '/readyz': return serveReadiness(res, ex);
      case '/metrics':
        // Metrics off: the endpoint does not exist (404), exactly like an unknown path.
        if (!flags.snapshot.values.metrics_enabled) return sendError(res, ex, 404, 'not_found', 'no such route');
        return serveMetrics(res, ex);
    }
  }

  return function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const handler = matchHandler(path, config.adminFlagsEnabled);
    const incomingId = req.headers['x-request-id'];
    const ex: Exchange = {
      requestId: typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID(),
      closing: false,
      drain: readiness,
      bytes: 0,
    };
    // Decided once per request: requests received while metrics are off are never recorded.
    const recordMetrics = flags.snapshot.values.metrics_enabled;
    // The two hottest routes answer synchronously: no promise and no 'close' listener per request
    // (a listener alone measured ≈ 1 µs). The whole response is handed to the socket here, so the
    // request is recorded here; if the client was already gone, nothing is written: 499.
    const method = req.method;
    if ((handler === '/' || handler === '/livez') && (method === 'GET' || method === 'HEAD')) {
      const written = handler === '/' ? send(res, ex, 200, JSON_TYPE, flags.snapshot.greetingBody) : send(res, ex, 200, TEXT_TYPE, OK_BODY);
      record(req, written ? 200 : CLIENT_CLOSED_REQUEST, ex, handler, path, start, recordMetrics);
      return;
    }
    // Everything else may wait (readiness checks, a scrape, a request body): record when the
    // response finishes or the connection closes first (499).
    res.once('close', () => record(req, res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST, ex, handler, path, start, recordMetrics));
    dispatch(handler, req, res, ex).catch((error: unknown) => {
      log.error('request_failed', { handler, err: error });
      if (!res.headersSent) sendError(res, ex, 500, 'internal_error', 'internal error');
      else res.destroy();
    });
  };
}
