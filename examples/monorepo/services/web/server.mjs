// The web service: an HTML page and a health check, no metrics at all. No dependencies.
import { createServer } from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  else if (path === '/') res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>web</title><p>Hello from web.</p>\n');
  else res.writeHead(404).end();
});

server.listen(port, host, () => process.stdout.write(`web listening on ${host}:${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
