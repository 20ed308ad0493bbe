/**
 * sample-service against a bare node:http server, side by side in the same run (README.md,
 * "Performance"), with the issue's targets:
 *   - throughput with metrics on ≥ 0.80 × bare, at 10 and 100 connections (gated at 100);
 *   - p99 latency ≤ 1.3 × bare at 100 connections (autocannon has 1 ms resolution: a bare p99 of
 *     1 ms would make 2 ms a miss, so the gate is max(1.3 × bare, bare + 1 ms));
 *   - image ≤ base + 2 MB, built in this run next to a naive image that copies node_modules.
 * Also reported: /metrics scrape latency under a c=100 load, RSS after load, metrics-off throughput.
 *
 * Harness: the production bundle (dist/server.mjs, rebuilt here) with ENABLE_METRICS=true,
 * ACCESS_LOG=errors and default collectors on, stdout a pipe as in a container; the server pinned
 * to CPU 0 and autocannon to CPU 1 (`taskset`); keep-alive, no pipelining; rounds interleaved
 * (bare, ours, bare, ours…) so drift hits both alike; medians reported. Loopback only.
 * On a single-core machine the results are printed as informational and nothing is gated.
 *
 * The load average is printed: other work on the machine lowers both servers' req/s and widens p99;
 * the CPU-time-per-request ratio is the figure least disturbed by it.
 *
 * Run: npm run bench (in sample-service) or node sample-service/bench/http.bench.ts
 *      [--duration 3] [--rounds 2] [--no-image]
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from '../scripts/bundle.ts';
import { baseImages, docker, dockerAvailable } from '../test/support/docker.ts';
import { freePort } from '../test/support/service.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const autocannonCli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const { values: opts } = parseArgs({ options: {
  duration: { type: 'string', default: '3' }, rounds: { type: 'string', default: '2' }, 'no-image': { type: 'boolean', default: false },
} });
const DURATION_S = Number(opts.duration);
const ROUNDS = Number(opts.rounds);
const WARMUP_S = 1;

const multiCore = cpus().length >= 2 && hasTaskset();
function hasTaskset(): boolean {
  try { execFileSync('taskset', ['-c', '0', 'true']); return true; } catch { return false; }
}
const pinned = (cpu: number, argv: string[]): [string, string[]] => (multiCore ? ['taskset', ['-c', String(cpu), ...argv]] : [argv[0]!, argv.slice(1)]);

interface Server { name: string; port: number; child: ChildProcess; stop(): Promise<void> }

async function startServer(name: string, script: string, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const [file, args] = pinned(0, [process.execPath, script]);
  const child = spawn(file, args, { env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  // Drain stdout like a container runtime would (a pipe, read continuously).
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => { if (seen.length < 4096) { seen += c.toString('utf8'); if (seen.includes('"listening"')) resolve(); } });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening: ${seen}`)));
  });
  await waitReady(port);
  return {
    name, port, child,
    stop: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); }),
  };
}

function get(port: number, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try { if ((await get(port, '/')).status === 200) return; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`server on ${port} never answered`);
}

interface Load { rps: number; p99: number; p50: number; errors: number; non2xx: number; timeouts: number; total: number; cpuUsPerReq: number }

/** One autocannon run (CLI, pinned to CPU 1) against `GET /`. */
function autocannon(port: number, connections: number, seconds: number): Promise<Load> {
  const [file, args] = pinned(1, [process.execPath, autocannonCli, '--json', '-c', String(connections), '-d', String(seconds), '-p', '1', `http://127.0.0.1:${port}/`]);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out) as { requests: { average: number; total: number }; latency: { p99: number; p50: number }; errors: number; non2xx: number; timeouts: number };
      resolve({ rps: r.requests.average, p99: r.latency.p99, p50: r.latency.p50, errors: r.errors, non2xx: r.non2xx, timeouts: r.timeouts, total: r.requests.total, cpuUsPerReq: 0 });
    });
  });
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const percentile = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!; };
/** CPU time (user + system) a process has used, in µs (clock ticks of 10 ms). */
const cpuUs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * Interleaved rounds of bare vs ours at `connections`; medians of each. Besides req/s it records
 * the server's CPU time per request, which stays meaningful when other work shares the machine.
 */
async function compare(bare: Server, ours: Server, connections: number, rounds: number, seconds = DURATION_S): Promise<{ bare: Load; ours: Load }> {
  const runs: { bare: Load[]; ours: Load[] } = { bare: [], ours: [] };
  for (let round = 0; round < rounds; round++) {
    for (const server of [bare, ours]) {
      await autocannon(server.port, connections, WARMUP_S);
      const before = cpuUs(server.child.pid!);
      const load = await autocannon(server.port, connections, seconds);
      load.cpuUsPerReq = (cpuUs(server.child.pid!) - before) / Math.max(1, load.total);
      runs[server === bare ? 'bare' : 'ours'].push(load);
    }
  }
  const med = (loads: Load[]): Load => ({
    rps: median(loads.map((l) => l.rps)), p99: median(loads.map((l) => l.p99)), p50: median(loads.map((l) => l.p50)),
    errors: Math.max(...loads.map((l) => l.errors)), non2xx: Math.max(...loads.map((l) => l.non2xx)), timeouts: Math.max(...loads.map((l) => l.timeouts)),
    total: loads.reduce((sum, l) => sum + l.total, 0), cpuUsPerReq: median(loads.map((l) => l.cpuUsPerReq)),
  });
  return { bare: med(runs.bare), ours: med(runs.ours) };
}

/** Scrapes /metrics every 200 ms during a c=100 load on `ours`. */
async function scrapeUnderLoad(ours: Server): Promise<{ p50: number; p95: number; bytes: number; samples: number }> {
  const latencies: number[] = [];
  let bytes = 0;
  const load = autocannon(ours.port, 100, DURATION_S);
  const end = Date.now() + DURATION_S * 1000 - 300;
  while (Date.now() < end) {
    const start = performance.now();
    const reply = await get(ours.port, '/metrics');
    latencies.push(performance.now() - start);
    bytes = reply.bytes;
    await new Promise((r) => setTimeout(r, 200));
  }
  await load;
  return { p50: median(latencies), p95: percentile(latencies, 95), bytes, samples: latencies.length };
}

async function imageSizes(): Promise<{ base: number; ours: number; naive: number } | string> {
  if (opts['no-image']) return 'skipped (--no-image)';
  // Inside Trunkline, baseImages() also starts dockerd when it is down: ask for the daemon after it.
  const bases = await baseImages().catch((error: unknown) => error as Error);
  if (!(await dockerAvailable())) return 'skipped (no Docker daemon)';
  if (bases instanceof Error) throw bases;
  const buildArgs = [
    ...(bases.builder ? ['--build-arg', `BUILDER_IMAGE=${bases.builder}`] : []),
    ...(bases.runtime ? ['--build-arg', `RUNTIME_IMAGE=${bases.runtime}`] : []),
  ];
  const tag = `sample-service-bench:${process.pid}`;
  const naiveTag = `sample-service-bench-naive:${process.pid}`;
  try {
    await docker(['build', '--network', 'host', '-q', '-t', tag, ...buildArgs, packageDir], { timeoutMs: 600_000 });
    await docker(['build', '--network', 'host', '-q', '-t', naiveTag, '-f', join(packageDir, 'bench', 'naive.Dockerfile'), ...buildArgs, packageDir], { timeoutMs: 600_000 });
    const size = async (ref: string) => Number((await docker(['image', 'inspect', '--format', '{{.Size}}', ref])).stdout.trim());
    const runtime = bases.runtime ?? 'gcr.io/distroless/nodejs24-debian12:nonroot';
    return { base: await size(runtime), ours: await size(tag), naive: await size(naiveTag) };
  } finally {
    await docker(['rmi', '-f', tag, naiveTag], { allowFailure: true });
  }
}

const MB = 1024 * 1024;
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const started = performance.now();
  const bundleBytes = await bundle();
  const serverScript = join(packageDir, 'dist', 'server.mjs');
  const bare = await startServer('bare node:http', join(packageDir, 'bench', 'bare-server.mjs'), {});
  const ours = await startServer('sample-service', serverScript, { ENABLE_METRICS: 'true', ACCESS_LOG: 'errors', SHUTDOWN_DRAIN_DELAY_MS: '0' });
  const oursOff = await startServer('sample-service (metrics off)', serverScript, { ENABLE_METRICS: 'false', ACCESS_LOG: 'errors', SHUTDOWN_DRAIN_DELAY_MS: '0' });
  const oursAll = await startServer('sample-service (ACCESS_LOG=all)', serverScript, { ENABLE_METRICS: 'true', ACCESS_LOG: 'all', SHUTDOWN_DRAIN_DELAY_MS: '0' });
  try {
    const idleRss = { bare: rssMiB(bare.child.pid!), ours: rssMiB(ours.child.pid!) };
    const c10 = await compare(bare, ours, 10, ROUNDS);
    const c100 = await compare(bare, ours, 100, ROUNDS);
    const loadedRss = { bare: rssMiB(bare.child.pid!), ours: rssMiB(ours.child.pid!) };
    const off = await compare(bare, oursOff, 100, 1, 2);
    const accessAll = await compare(bare, oursAll, 100, 1, 2);
    const scrape = await scrapeUnderLoad(ours);
    await Promise.all([oursOff.stop(), oursAll.stop()]);
    const image = await imageSizes();

    const ratio10 = c10.ours.rps / c10.bare.rps;
    const ratio100 = c100.ours.rps / c100.bare.rps;
    const p99Limit = Math.max(1.3 * c100.bare.p99, c100.bare.p99 + 1);
    const appLayer = typeof image === 'string' ? undefined : image.ours - image.base;
    const gates = [
      { name: 'throughput c=100 ≥ 0.80 × bare', ok: ratio100 >= 0.8 },
      { name: 'throughput c=10 ≥ 0.80 × bare', ok: ratio10 >= 0.8 },
      { name: `p99 c=100 ≤ max(1.3 × bare, bare + 1 ms) = ${fmt(p99Limit, 1)} ms`, ok: c100.ours.p99 <= p99Limit },
      { name: 'no errors, timeouts or non-2xx under load', ok: [c10.ours, c100.ours].every((l) => l.errors + l.timeouts + l.non2xx === 0) },
      ...(appLayer === undefined ? [] : [{ name: 'image ≤ base + 2 MB', ok: appLayer <= 2 * MB }]),
    ];

    const row = (label: string, b: Load, o: Load) =>
      `  ${label.padEnd(22)} ${fmt(b.rps).padStart(8)} ${fmt(o.rps).padStart(8)}  ${fmt(o.rps / b.rps, 2).padStart(5)}×   p99 ${String(b.p99).padStart(3)} / ${String(o.p99).padStart(3)} ms   CPU/req ${fmt(b.cpuUsPerReq, 1)} / ${fmt(o.cpuUsPerReq, 1)} µs (${fmt(b.cpuUsPerReq / o.cpuUsPerReq, 2)}×)`;
    console.log(`\nsample-service vs bare node:http — ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, Node ${process.version}, ${multiCore ? 'server on CPU 0, autocannon on CPU 1' : 'UNPINNED (informational)'}`);
    console.log(`  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${DURATION_S} s per run after ${WARMUP_S} s warm-up, ${ROUNDS} interleaved rounds, medians; keep-alive, no pipelining`);
    console.log(`  ${''.padEnd(22)} ${'bare'.padStart(8)} ${'ours'.padStart(8)}  ratio   (metrics off, ACCESS_LOG=all: 1 round of 2 s)`);
    console.log(row('GET / c=10 req/s', c10.bare, c10.ours));
    console.log(row('GET / c=100 req/s', c100.bare, c100.ours));
    console.log(row('c=100, metrics off', off.bare, off.ours));
    console.log(row('c=100, ACCESS_LOG=all', accessAll.bare, accessAll.ours) + '   (informational: a JSON line per request)');
    console.log(`  /metrics under c=100 load: p50 ${fmt(scrape.p50, 1)} ms, p95 ${fmt(scrape.p95, 1)} ms, ${fmt(scrape.bytes / 1024, 1)} KiB, ${scrape.samples} scrapes`);
    console.log(`  RSS MiB: bare ${fmt(idleRss.bare, 1)} idle → ${fmt(loadedRss.bare, 1)} after load; ours ${fmt(idleRss.ours, 1)} → ${fmt(loadedRss.ours, 1)}`);
    console.log(`  bundle dist/server.mjs: ${fmt(bundleBytes / 1024)} KiB`);
    if (typeof image === 'string') console.log(`  image: ${image}`);
    else console.log(`  image MB: base ${fmt(image.base / MB, 1)}, ours ${fmt(image.ours / MB, 1)} (+${fmt((image.ours - image.base) / MB, 2)}), naive with node_modules ${fmt(image.naive / MB, 1)} (+${fmt((image.naive - image.base) / MB, 2)})`);
    for (const g of gates) console.log(`  ${g.ok ? 'PASS' : multiCore ? 'MISS' : 'INFO'}  ${g.name}`);
    console.log(`  total ${fmt((performance.now() - started) / 1000, 1)} s`);
    console.log(JSON.stringify({
      bench: 'sample-service-http', node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, pinned: multiCore,
      c10, c100, metricsOff: off, accessLogAll: accessAll, ratio10, ratio100, scrape, rss: { idle: idleRss, loaded: loadedRss }, bundleBytes, image, gates,
    }));
    if (multiCore && gates.some((g) => !g.ok)) process.exitCode = 1;
  } finally {
    await Promise.all([bare, ours, oursOff, oursAll].map((s) => (s.child.exitCode === null && s.child.signalCode === null ? s.stop() : undefined)));
  }
}

await main();
