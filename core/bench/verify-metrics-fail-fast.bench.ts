// The timing side of the verify-metrics failure cases, which the acceptance tests no longer assert
// (a wall-clock bound fails on a loaded machine): a container that crashes must fail without waiting
// out readiness-timeout (60 s here), a malformed exposition without waiting out expect-timeout (30 s),
// and a never-ready container must wait the full readiness-timeout (3 s) before failing. Each is
// measured against a passing run of the good fixture image in the same run, interleaved round by round.
// Run: node core/bench/verify-metrics-fail-fast.bench.ts [--runs N]   (needs Docker; builds the fixture images)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDocker } from '../test/support/infra.ts';
import { buildFixtureImages } from '../test/metrics/fixture-images.ts';
import type { FixtureMode } from '../test/metrics/fixture-images.ts';
import { createMemoryLogger } from '../src/report/logger.ts';
import { defaultVerifyMetricsConfig, runVerifyMetrics } from '../src/stages/verify-metrics.ts';
import type { VerifyMetricsConfig } from '../src/stages/verify-metrics.ts';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 3;
const outputDir = mkdtempSync(join(tmpdir(), 'trunkline-vm-bench-'));
const { runtime } = await prepareDocker();
const images = await buildFixtureImages(runtime);

function cfg(mode: FixtureMode, overrides: Partial<VerifyMetricsConfig>): VerifyMetricsConfig {
  return defaultVerifyMetricsConfig({
    image: images[mode], network: 'host', env: { ENABLE_METRICS: 'true', HOST: '127.0.0.1' },
    expectations: ['http_requests_total{handler="/",method="GET",status="200"} >= 1'],
    shutdownTimeoutSeconds: 5, runId: `vm-bench-${process.pid}`, outputDir, ...overrides,
  });
}

interface Case { name: string; mode: FixtureMode; overrides: Partial<VerifyMetricsConfig>; status: 'passed' | 'failed'; target: string; ok: (ms: number, good: number) => boolean }
const CASES: Case[] = [
  { name: 'good image passes (baseline)', mode: 'good', overrides: { readinessTimeoutMs: 20_000 }, status: 'passed', target: '', ok: () => true },
  { name: 'crash, readiness-timeout 60 s', mode: 'crash', overrides: { readinessTimeoutMs: 60_000 }, status: 'failed', target: '≤ good + 5000', ok: (ms, good) => ms <= good + 5000 },
  { name: 'malformed, expect-timeout 30 s', mode: 'malformed', overrides: { expectTimeoutMs: 30_000 }, status: 'failed', target: '≤ good + 5000', ok: (ms, good) => ms <= good + 5000 },
  { name: 'never-ready, readiness 3 s', mode: 'never-ready', overrides: { readinessTimeoutMs: 3000 }, status: 'failed', target: '≥ 3000', ok: (ms) => ms >= 3000 },
];

const timings = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
for (let round = 0; round < RUNS; round++) {
  for (const c of CASES) {
    const r = await runVerifyMetrics(cfg(c.mode, c.overrides), createMemoryLogger());
    if (r.status !== c.status) throw new Error(`${c.name}: ${r.status}, expected ${c.status}: ${r.error ?? ''}`);
    timings.get(c.name)!.push(r.durationMs);
  }
}
rmSync(outputDir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const good = median(timings.get(CASES[0]!.name)!);
let missed = 0;
console.log(`verify-metrics failure paths: the stage's durationMs, ${RUNS} runs each, median (ms)`);
console.log(`${'case'.padEnd(34)}${'median'.padStart(9)}${'× good'.padStart(9)}${'target'.padStart(16)}  result`);
for (const c of CASES) {
  const ms = median(timings.get(c.name)!);
  const pass = c.ok(ms, good);
  if (!pass) missed++;
  console.log(`${c.name.padEnd(34)}${ms.toFixed(0).padStart(9)}${(ms / good).toFixed(2).padStart(9)}${c.target.padStart(16)}  ${c.target ? (pass ? 'pass' : 'MISS') : ''}`);
}
if (missed) process.exitCode = 1;
