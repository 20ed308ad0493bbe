/**
 * Local observability in one command (`npm run observe`): the service plus a real Prometheus
 * (`/usr/bin/prometheus`, Debian package `prometheus`) scraping it, both on 127.0.0.1, with the
 * alert rules of monitoring/ loaded — the counterpart of a docker-compose "app + Prometheus" setup,
 * without pulling any image.
 *
 *   npm run observe -- [--port 8080] [--prometheus-port 9090] [--scrape-interval 5s]
 *                      [--duration <seconds>] [--no-traffic]
 *
 * Prints the URLs, sends a little traffic to `/` (so rates and the latency histogram have data),
 * and stops both processes and removes its temp directory on Ctrl-C, on SIGTERM, after
 * `--duration`, or when either process dies (exit code 1 then).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    'prometheus-port': { type: 'string', default: '9090' },
    'scrape-interval': { type: 'string', default: '5s' },
    duration: { type: 'string' },
    'no-traffic': { type: 'boolean', default: false },
    prometheus: { type: 'string', default: process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus' },
  },
});

function fail(message: string): never {
  console.error(`observe: ${message}`);
  process.exit(2);
}
const port = Number(opts.port);
const promPort = Number(opts['prometheus-port']);
if (!(port >= 1 && port <= 65535)) fail('--port must be 1-65535');
if (!(promPort >= 1 && promPort <= 65535) || promPort === port) fail('--prometheus-port must be 1-65535 and differ from --port');
if (!/^\d+(ms|s|m)$/.test(opts['scrape-interval'])) fail('--scrape-interval must look like 500ms, 5s or 1m');
const durationS = opts.duration === undefined ? undefined : Number(opts.duration);
if (durationS !== undefined && !(durationS > 0)) fail('--duration must be a positive number of seconds');
if (!existsSync(opts.prometheus)) fail(`${opts.prometheus} not found: apt-get install -y prometheus (or set PROMETHEUS_BIN)`);

const work = mkdtempSync(join(tmpdir(), 'sample-service-observe-'));
const rules = join(packageDir, 'monitoring', 'prometheus-rules.yaml');
writeFileSync(join(work, 'prometheus.yml'), [
  'global:',
  `  scrape_interval: ${opts['scrape-interval']}`,
  `  evaluation_interval: ${opts['scrape-interval']}`,
  'rule_files:',
  `  - ${JSON.stringify(rules)}`,
  'scrape_configs:',
  '  - job_name: sample-service',
  '    static_configs:',
  `      - targets: ["127.0.0.1:${port}"]`,
  '',
].join('\n'));

const children: ChildProcess[] = [];
let stopping = false;
let traffic: NodeJS.Timeout | undefined;

function start(name: string, file: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer) => chunk.toString('utf8').split('\n').filter(Boolean).map((l) => `[${name}] ${l}\n`).join('');
  child.stdout?.on('data', (c: Buffer) => process.stdout.write(prefix(c)));
  // Prometheus logs everything to stderr; keep it visible but prefixed.
  child.stderr?.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`observe: ${name} exited (${signal ?? code}); stopping`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(traffic);
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  })));
  rmSync(work, { recursive: true, force: true });
  console.log(`observe: stopped, temp files removed (${work})`);
  process.exit(code);
}

function get(portNumber: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: portNumber, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));

start('service', process.execPath, [join(packageDir, 'src', 'main.ts')], {
  PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), ENABLE_METRICS: 'true', ADMIN_FLAGS_ENABLED: 'true',
  SHUTDOWN_DRAIN_DELAY_MS: '0', APP_VERSION: 'observe', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
});
start('prometheus', opts.prometheus, [
  `--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`,
  `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn',
]);

const deadline = Date.now() + 30_000;
let announced = false;
while (!announced && !stopping) {
  try {
    const targets = await get(promPort, '/api/v1/targets?state=active');
    const health = (JSON.parse(targets.body) as { data: { activeTargets: Array<{ health: string }> } }).data.activeTargets[0]?.health;
    if (health === 'up') announced = true;
  } catch { /* not listening yet */ }
  if (!announced) {
    if (Date.now() > deadline) {
      console.error('observe: Prometheus did not report the target up within 30 s');
      await stop(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
const q = encodeURIComponent('sum by (handler, status) (rate(http_requests_total[1m]))');
console.log([
  '',
  'observe: Prometheus scrapes sample-service (target up)',
  `  service       http://127.0.0.1:${port}/   /metrics   /readyz   /admin/flags`,
  `  prometheus    http://127.0.0.1:${promPort}/targets   /alerts   /rules`,
  `  request rate  http://127.0.0.1:${promPort}/graph?g0.expr=${q}&g0.tab=0`,
  `  flip a flag   curl -X POST -H 'content-type: application/json' -d '{"greeting":"Hi"}' http://127.0.0.1:${port}/admin/flags`,
  durationS === undefined ? '  Ctrl-C stops both and removes the temp files.' : `  stopping after ${durationS} s (or Ctrl-C).`,
  '',
].join('\n'));
if (!opts['no-traffic']) traffic = setInterval(() => { get(port, '/').catch(() => undefined); }, 200);
if (durationS !== undefined) setTimeout(() => void stop(0), durationS * 1000);
