/**
 * The timing side of the lifecycle contract, which the tests (test/lifecycle.test.ts) no longer
 * assert because wall-clock bounds fail on a loaded machine: each step of a real `node src/main.ts`
 * child measured on this side of the process boundary, against its contract bound and against
 * `node -e 0` (process start to exit) measured in the same run, interleaved round by round.
 *   - invalid configuration: exit 2 ≤ 1000 ms after spawn;
 *   - SIGTERM, D = 300 ms, idle: readiness 503 ≤ 100 ms, exit 0 ≤ D + 500 ms;
 *   - SIGTERM 100 ms into a 1 s request: exit 0 ≤ max(D, L) + 500 ms after the request started;
 *   - T = 1500 ms with a 5 s request: exit 1 at T ± 200 ms;
 *   - a TCP readiness dependency going away: /readyz 503 ≤ cache (200) + timeout (300) + 200 ms.
 * Prints median and p90 per step with the target and pass/miss; exits 1 on a miss.
 * Run: node sample-service/bench/lifecycle.bench.ts [--runs N]   (also part of `npm run bench`)
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { inFlightRequest, request, waitForStatus } from '../test/support/http.ts';
import { freePort, spawnService, startInProcess } from '../test/support/service.ts';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
const D = 300;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const drainEnv = { SHUTDOWN_DRAIN_DELAY_MS: String(D), SHUTDOWN_TIMEOUT_MS: '5000', ADMIN_FLAGS_ENABLED: 'true' };

async function started(env: Record<string, string>) {
  const svc = spawnService({ PORT: String(await freePort()), ...env });
  const port = await svc.port();
  await waitForStatus(port, '/readyz', 200, 10_000);
  return { svc, port };
}

/** ms from `since` until GET path answers `status` (polled back to back). */
async function until(port: number, path: string, status: number, since: number): Promise<number> {
  for (;;) {
    if ((await request(port, path)).status === status) return performance.now() - since;
    if (performance.now() - since > 10_000) throw new Error(`GET ${path} never answered ${status}`);
  }
}

interface Step { name: string; target: string; ok: (ms: number) => boolean; measure: () => Promise<number | Record<string, number>> }

const STEPS: Step[] = [
  {
    name: 'node -e 0 (baseline)', target: '', ok: () => true,
    measure: async () => { const t = performance.now(); spawnSync(process.execPath, ['-e', '0']); return performance.now() - t; },
  },
  {
    name: 'invalid config → exit 2', target: '≤ 1000', ok: (ms) => ms <= 1000,
    measure: async () => {
      const t = performance.now();
      const svc = spawnService({ PORT: 'abc' });
      const { code, at } = await svc.exit;
      if (code !== 2) throw new Error(`exit ${code}, expected 2`);
      return at - t;
    },
  },
  {
    name: 'SIGTERM → readiness 503', target: '≤ 100', ok: (ms) => ms <= 100,
    measure: async () => {
      const { svc, port } = await started(drainEnv);
      const t = performance.now();
      svc.child.kill('SIGTERM');
      const flip = await until(port, '/readyz', 503, t);
      const { code, at } = await svc.exit;
      if (code !== 0) throw new Error(`exit ${code}, expected 0`);
      return { 'SIGTERM → readiness 503': flip, 'SIGTERM idle → exit 0': at - t };
    },
  },
  { name: 'SIGTERM idle → exit 0', target: `≤ ${D + 500}`, ok: (ms) => ms <= D + 500, measure: async () => ({}) },
  {
    name: '1 s request → exit 0', target: '≤ 1500', ok: (ms) => ms <= 1500,
    measure: async () => {
      const { svc, port } = await started(drainEnv);
      const t = performance.now();
      const slow = inFlightRequest(port, '/admin/flags', 1000, '{"greeting":"bench"}');
      await delay(100);
      svc.child.kill('SIGTERM');
      await slow.done;
      const { code, at } = await svc.exit;
      if (code !== 0) throw new Error(`exit ${code}, expected 0`);
      return at - t;
    },
  },
  {
    name: 'T = 1500 → exit 1', target: '1300–1700', ok: (ms) => ms >= 1300 && ms <= 1700,
    measure: async () => {
      const { svc, port } = await started({ ...drainEnv, SHUTDOWN_TIMEOUT_MS: '1500' });
      const stuck = inFlightRequest(port, '/admin/flags', 5000, '{"greeting":"too slow"}');
      stuck.done.catch(() => undefined);
      await delay(50);
      const t = performance.now();
      svc.child.kill('SIGTERM');
      const { code, at } = await svc.exit;
      stuck.abort();
      if (code !== 1) throw new Error(`exit ${code}, expected 1`);
      return at - t;
    },
  },
  {
    name: 'dependency down → 503', target: '≤ 700', ok: (ms) => ms <= 700,
    measure: async () => {
      const dependency: Server = createServer((socket) => socket.destroy());
      await new Promise<void>((r) => dependency.listen(0, '127.0.0.1', r));
      const depPort = (dependency.address() as { port: number }).port;
      const svc = await startInProcess({ READINESS_TCP_CHECKS: `db=127.0.0.1:${depPort}`, READINESS_CACHE_MS: '200', READINESS_CHECK_TIMEOUT_MS: '300' });
      try {
        await waitForStatus(svc.port, '/readyz', 200, 5000);
        await new Promise((r) => dependency.close(r));
        return await until(svc.port, '/readyz', 503, performance.now());
      } finally {
        await svc.stop();
      }
    },
  },
];

const timings = new Map<string, number[]>(STEPS.map((s) => [s.name, []]));
for (let round = 0; round < RUNS; round++) {
  for (const step of STEPS) {
    const r = await step.measure();
    for (const [name, ms] of Object.entries(typeof r === 'number' ? { [step.name]: r } : r)) timings.get(name)!.push(ms);
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))]!;
const baseline = median(timings.get(STEPS[0]!.name)!);
let missed = 0;
console.log(`sample-service lifecycle, ${RUNS} runs each, Node ${process.versions.node}; bounds from the lifecycle contract (ms)`);
console.log(`${'step'.padEnd(28)}${'median'.padStart(9)}${'p90'.padStart(9)}${'× node -e 0'.padStart(13)}${'target'.padStart(12)}  result`);
for (const step of STEPS) {
  const xs = timings.get(step.name)!;
  const pass = step.ok(median(xs));
  if (!pass) missed++;
  console.log(`${step.name.padEnd(28)}${median(xs).toFixed(1).padStart(9)}${p90(xs).toFixed(1).padStart(9)}${(median(xs) / baseline).toFixed(2).padStart(13)}${step.target.padStart(12)}  ${step.target ? (pass ? 'pass' : 'MISS') : ''}`);
}
if (missed) {
  console.log(`${missed} step(s) missed their bound (medians; the load average is ${(await import('node:os')).loadavg()[0]!.toFixed(2)})`);
  process.exitCode = 1;
}
