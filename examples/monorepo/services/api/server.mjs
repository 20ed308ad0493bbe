// The api service: JSON on /, readiness on /readyz, Prometheus metrics on /metrics. No dependencies.
import { createServer } from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '0.0.0.0';
const requests = new Map();

function count(handler, method, status) {
  const key = `handler="${handler}",method="${method}",status="${status}"`;
  requests.set(key, (requests.get(key) ?? 0) + 1);
}

function metrics() {
  const lines = ['# HELP http_requests_total HTTP requests served.', '# TYPE http_requests_total counter'];
  for (const [labels, value] of requests) lines.push(`http_requests_total{${labels}} ${value}`);
  lines.push('# HELP api_build_info Build information.', '# TYPE api_build_info gauge', `api_build_info{version="${process.env.APP_VERSION ?? 'dev'}"} 1`);
  return `${lines.join('\n')}\n`;
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics());
    return;
  }
  const [status, body] = path === '/' ? [200, { service: 'api', hello: 'world' }] : path === '/readyz' ? [200, { ready: true }] : [404, { error: 'not found' }];
  // Counted once the response is finished, so a scrape right after a probe sees it.
  res.on('finish', () => count(path === '/' || path === '/readyz' ? path : 'other', req.method ?? 'GET', status));
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});

server.listen(port, host, () => process.stdout.write(`api listening on ${host}:${port}\n`));
// A clean stop on SIGTERM: stop accepting, finish what is in flight, exit 0.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
