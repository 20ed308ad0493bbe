// A small stand-in for sample-service (the contract in docs/verify-metrics.md) whose behaviour is
// chosen by FIXTURE_MODE, baked into each fixture image (see Dockerfile and ../fixture-images.ts):
//   good            the contract: /, /livez, /readyz, /metrics (when ENABLE_METRICS=true), clean SIGTERM exit
//   crash           logs a line and exits 1 after 100 ms
//   never-ready     /readyz always 503
//   malformed       /metrics serves an exposition whose line 7 is broken
//   ignore-sigterm  like good, but logs and ignores SIGTERM (docker stop must SIGKILL it)
//   defaults        like good, plus prom-client 15.1.3 default metrics recorded from the real library
// and, run on the host for base-url cases:
//   probe-500       GET / answers 500
//   json-metrics    /metrics answers with Content-Type application/json
//   duplicate       /metrics repeats a series on line 5
// Plain JavaScript with no dependencies: it runs on the distroless-like runtime image and on the host.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';

const mode = process.env.FIXTURE_MODE ?? 'good';
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '0.0.0.0';
const metricsEnabled = process.env.ENABLE_METRICS === 'true';
const log = (msg, extra = {}) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, mode, ...extra })}\n`);

if (mode === 'crash') {
  log('starting');
  setTimeout(() => { process.stderr.write('fixture: crashing on purpose (FIXTURE_MODE=crash)\n'); process.exit(1); }, 100);
} else {
  serve();
}

function serve() {
  const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const requests = new Map([['/|GET|200', 0]]);
  const durations = new Map([['/|GET', { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }]]);
  const routes = new Set(['/', '/livez', '/readyz', '/metrics']);
  let ready = false;
  setTimeout(() => { ready = mode !== 'never-ready'; }, 100);
  const defaults = mode === 'defaults' ? defaultMetrics() : '';

  const record = (handler, method, status, seconds) => {
    const k = `${handler}|${method}|${status}`;
    requests.set(k, (requests.get(k) ?? 0) + 1);
    const h = durations.get(`${handler}|${method}`) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((b, i) => { if (seconds <= b) h.buckets[i]++; });
    h.sum += seconds;
    h.count++;
    durations.set(`${handler}|${method}`, h);
  };

  const exposition = () => {
    const out = [
      '# HELP http_requests_total HTTP requests by route template, method and status code.',
      '# TYPE http_requests_total counter',
      ...[...requests].map(([k, v]) => { const [h, m, s] = k.split('|'); return `http_requests_total{handler="${h}",method="${m}",status="${s}"} ${v}`; }),
      '# HELP http_request_duration_seconds HTTP request duration in seconds.',
      '# TYPE http_request_duration_seconds histogram',
    ];
    for (const [k, h] of durations) {
      const [handler, method] = k.split('|');
      const l = `handler="${handler}",method="${method}"`;
      BUCKETS.forEach((b, i) => out.push(`http_request_duration_seconds_bucket{le="${b}",${l}} ${h.buckets[i]}`));
      out.push(`http_request_duration_seconds_bucket{le="+Inf",${l}} ${h.count}`, `http_request_duration_seconds_sum{${l}} ${h.sum}`, `http_request_duration_seconds_count{${l}} ${h.count}`);
    }
    out.push(
      '# HELP promhttp_metric_handler_errors_total Errors while serving /metrics.',
      '# TYPE promhttp_metric_handler_errors_total counter',
      'promhttp_metric_handler_errors_total{cause="gathering"} 0',
      'promhttp_metric_handler_errors_total{cause="encoding"} 0',
      '# HELP sample_service_build_info Build information.',
      '# TYPE sample_service_build_info gauge',
      `sample_service_build_info{version="fixture",revision="${process.env.GIT_SHA ?? 'unknown'}",node_version="${process.version}"} 1`,
    );
    return `${defaults}${out.join('\n')}\n`;
  };

  const server = createServer((req, res) => {
    const start = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0];
    const handler = routes.has(path) ? path : 'unmatched';
    const send = (status, type, body) => { res.writeHead(status, { 'Content-Type': type }); res.end(body); };
    if (metricsEnabled) {
      res.on('finish', () => record(handler, req.method, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9));
    }
    if (path === '/' && mode === 'probe-500') return send(500, 'application/json', '{"error":"internal"}');
    if (path === '/') return send(200, 'application/json; charset=utf-8', '{"message":"Hello, World!"}');
    if (path === '/livez') return send(200, 'text/plain', 'ok');
    if (path === '/readyz') return ready ? send(200, 'application/json', '{"status":"ready"}') : send(503, 'application/json', '{"status":"not_ready"}');
    if (path === '/metrics' && metricsEnabled) {
      if (mode === 'malformed') {
        return send(200, 'text/plain; version=0.0.4; charset=utf-8',
          '# HELP ok_total fine\n# TYPE ok_total counter\nok_total 1\n# HELP broken A family with a broken sample.\n# TYPE broken gauge\nbroken{a="1"} 1\nbroken{a="2" 2\n');
      }
      if (mode === 'json-metrics') return send(200, 'application/json', '{"metrics":[]}');
      if (mode === 'duplicate') {
        return send(200, 'text/plain; version=0.0.4; charset=utf-8',
          '# HELP dup_total Repeated series.\n# TYPE dup_total counter\ndup_total{a="1",b="2"} 1\ndup_total{a="2"} 1\ndup_total{b="2",a="1"} 2\n');
      }
      return send(200, 'text/plain; version=0.0.4; charset=utf-8', exposition());
    }
    return send(404, 'application/json', '{"error":"not_found"}');
  });
  server.listen(port, host, () => log('listening', { port, host, pid: process.pid, uid: process.getuid?.() }));
  process.on('SIGTERM', () => {
    if (mode === 'ignore-sigterm') return log('SIGTERM ignored on purpose (FIXTURE_MODE=ignore-sigterm)');
    log('shutdown_begin', { signal: 'SIGTERM' });
    ready = false;
    server.close(() => { log('shutdown_complete'); process.exit(0); });
    server.closeAllConnections();
  });
}

/** The process_* and nodejs_* families of a real prom-client 15.1.3 scrape (recorded in the corpus). */
function defaultMetrics() {
  const text = readFileSync(new URL('./prom-client-defaults.prom', import.meta.url), 'utf8');
  const blocks = text.split(/(?=^# HELP )/m);
  return blocks.filter((b) => /^# HELP (process_|nodejs_)/.test(b)).join('');
}
