// The acceptance cases of docs/verify-metrics.md, against fixture images
// built locally FROM the distroless-like Node 24 runtime image (no registry, nothing pulled).
// Containers run with `--network host` and HOST=127.0.0.1, so all traffic stays on loopback.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { prepareDocker } from '../support/infra.ts';
import { repoRoot } from '../support/paths.ts';
import { scratchDirs } from '../support/scratch.ts';
import { buildFixtureImages, startHostFixture } from './fixture-images.ts';
import type { FixtureMode } from './fixture-images.ts';
import { VERIFY_METRICS_LABEL, listLabelledContainers } from '../../src/adapters/docker-run.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { defaultVerifyMetricsConfig, runVerifyMetrics } from '../../src/stages/verify-metrics.ts';
import type { VerifyMetricsConfig } from '../../src/stages/verify-metrics.ts';

const runId = `vm-test-${process.pid}-${Date.now()}`;
const outputDir = scratchDirs()('vm-acceptance-');
let images: Record<FixtureMode, string>;

/** A container-mode config for a fixture image with test-friendly timeouts; `overrides` win. */
function cfg(mode: FixtureMode, overrides: Partial<VerifyMetricsConfig> = {}): VerifyMetricsConfig {
  return defaultVerifyMetricsConfig({
    image: images[mode],
    network: 'host',
    env: { ENABLE_METRICS: 'true', HOST: '127.0.0.1' },
    expectations: [
      'http_requests_total{handler="/",method="GET",status="200"} >= 5',
      'http_request_duration_seconds_count{handler="/",method="GET"} >= 5',
      'http_request_duration_seconds_bucket{handler="/",method="GET",le="+Inf"} >= 5',
      'promhttp_metric_handler_errors_total{cause="gathering"} == 0',
      '!http_requests_total{handler!~"/|/livez|/readyz|/metrics|unmatched"}',
    ],
    readinessTimeoutMs: 20_000,
    shutdownTimeoutSeconds: 5,
    runId,
    outputDir,
    ...overrides,
  });
}

beforeAll(async () => {
  const { runtime } = await prepareDocker();
  images = await buildFixtureImages(runtime);
});

afterAll(async () => {
  // Lifecycle (docs/verify-metrics.md): zero containers with the run's label may remain.
  if (images) expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toEqual([]);
});

describe('action-verify-metrics acceptance (docs/verify-metrics.md)', () => {
  it('1. a good image passes with every output set and leaves no container', async () => {
    const log = createMemoryLogger();
    const r = await runVerifyMetrics(cfg('good', { lint: 'error' }), log);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('passed');
    const o = r.outputs;
    expect(o['container-id']).toMatch(/^[0-9a-f]{64}$/);
    expect(o['host-port']).toBeGreaterThan(0);
    expect(o['ready-ms']).toBeGreaterThanOrEqual(0);
    expect(o['series-count']).toBeGreaterThan(10);
    expect(o['lint-problems']).toBe(0);
    expect(o['shutdown-exit-code']).toBe(0);
    expect(o['shutdown-ms']).toBeGreaterThanOrEqual(0);
    expect(o.results).toHaveLength(5);
    expect(o.results!.every((x) => x.pass)).toBe(true);
    expect(o.results![0]).toMatchObject({ matched: 1, pass: true });
    expect(o.results![0]!.value as number).toBeGreaterThanOrEqual(5);
    expect(readFileSync(o['metrics-file']!, 'utf8')).toContain('http_requests_total{handler="/",method="GET",status="200"}');
    expect(r.summaryMarkdown).toContain('| `http_requests_total{handler="/",method="GET",status="200"} >= 5` | 1 |');
    expect(log.lines.join('\n')).toContain('container logs');
    expect(log.lines.join('\n')).toContain('"msg":"shutdown_complete"');
    expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toEqual([]);
  });

  it('2. an image that exits 1 after 100 ms fails with E03 and its logs, without waiting out readiness', async () => {
    const r = await runVerifyMetrics(cfg('crash', { readinessTimeoutMs: 60_000 }), createMemoryLogger());
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^verify-metrics: container exited with code 1 before becoming ready \(after \d+ ms\)/);
    expect(r.error).toContain('fixture: crashing on purpose');
    // How soon it fails (not waiting out readiness-timeout) is measured in core/bench/verify-metrics-fail-fast.bench.ts.
    expect(r.outputs['ready-ms']).toBeUndefined();
  });

  it('3. an image whose /readyz stays 503 fails with E04 at readiness-timeout', async () => {
    const r = await runVerifyMetrics(cfg('never-ready', { readinessTimeoutMs: 3000 }), createMemoryLogger());
    expect(r.error).toMatch(/^verify-metrics: readiness timeout: GET \/readyz did not return 200 within 3s \(last: 503\)/);
    expect(r.error).toContain('"msg":"listening"');
  });

  it('4. ENABLE_METRICS=false fails with E06 404 and the hint', async () => {
    const r = await runVerifyMetrics(cfg('good', { env: { ENABLE_METRICS: 'false', HOST: '127.0.0.1' } }), createMemoryLogger());
    expect(r.error).toMatch(/^verify-metrics: GET http:\/\/127\.0\.0\.1:\d+\/metrics returned 404 \(is ENABLE_METRICS=true set\?\)\n/);
    expect(r.summaryMarkdown).toContain('| `http_requests_total{handler="/",method="GET",status="200"} >= 5` | — | — | not evaluated |');
  });

  it('5. an absent series fails with E10 listing the present http_requests_total series', async () => {
    const r = await runVerifyMetrics(cfg('good', {
      expectations: ['http_requests_total{handler="/missing",method="GET"} >= 1'], expectTimeoutMs: 1500, checkShutdown: false,
    }), createMemoryLogger());
    expect(r.error).toMatch(/^verify-metrics: expected series not found: http_requests_total\{handler="\/missing",method="GET"\} >= 1; present http_requests_total series: /);
    expect(r.error).toContain('http_requests_total{handler="/",method="GET",status="200"} 5');
    expect(r.error).toContain('http_requests_total{handler="/readyz",method="GET",status="200"}');
    expect(r.outputs.results).toEqual([{ expectation: 'http_requests_total{handler="/missing",method="GET"} >= 1', matched: 0, value: null, pass: false }]);
    expect(r.summaryMarkdown).toContain('❌ fail');
  });

  it('6. a malformed exposition fails with E08 naming line 7', async () => {
    const r = await runVerifyMetrics(cfg('malformed', { expectTimeoutMs: 30_000 }), createMemoryLogger());
    expect(r.error).toMatch(/^verify-metrics: exposition parse error at line 7 of GET http:\/\/127\.0\.0\.1:\d+\/metrics: unexpected end of label value "2": broken\{a="2" 2$/);
    // Parse errors are not retried; that it fails without waiting out expect-timeout is measured in
    // core/bench/verify-metrics-fail-fast.bench.ts.
  });

  it('7. an image that ignores SIGTERM fails E14 with 137, and passes when check-shutdown is false', async () => {
    const strict = await runVerifyMetrics(cfg('ignore-sigterm', { shutdownTimeoutSeconds: 2 }), createMemoryLogger());
    expect(strict.error).toMatch(/^verify-metrics: container did not stop cleanly after SIGTERM: exit code 137 after \d+ ms$/);
    expect(strict.outputs['shutdown-exit-code']).toBe(137);
    expect(strict.outputs['shutdown-ms']).toBeGreaterThanOrEqual(2000);
    const lenient = await runVerifyMetrics(cfg('ignore-sigterm', { checkShutdown: false }), createMemoryLogger());
    expect(lenient.status).toBe('passed');
    expect(lenient.outputs['shutdown-exit-code']).toBeUndefined();
    expect(lenient.notes).toContain('shutdown check skipped (check-shutdown: false)');
  });

  it('8. lint=error on prom-client default metrics passes with the default lint-ignore and fails E13 without it', async () => {
    const tolerant = await runVerifyMetrics(cfg('defaults', { lint: 'error' }), createMemoryLogger());
    expect(tolerant.error).toBeUndefined();
    expect(tolerant.outputs['lint-problems']).toBe(0);
    expect(tolerant.notes).toContain('3 promtool problem(s) tolerated by lint-ignore');
    const strict = await runVerifyMetrics(cfg('defaults', { lint: 'error', lintIgnore: [] }), createMemoryLogger());
    expect(strict.error).toBe('verify-metrics: promtool lint: 3 problem(s) outside lint-ignore: '
      + 'nodejs_active_handles_total non-counter metrics should not have "_total" suffix; '
      + 'nodejs_active_requests_total non-counter metrics should not have "_total" suffix; '
      + 'nodejs_active_resources_total non-counter metrics should not have "_total" suffix');
  });

  it('9. two runs in parallel both pass (no fixed ports or names)', async () => {
    const [a, b] = await Promise.all([runVerifyMetrics(cfg('good'), createMemoryLogger()), runVerifyMetrics(cfg('good'), createMemoryLogger())]);
    expect([a.status, b.status, a.error, b.error]).toEqual(['passed', 'passed', undefined, undefined]);
    expect(a.outputs['container-id']).not.toBe(b.outputs['container-id']);
    expect(a.outputs['host-port']).not.toBe(b.outputs['host-port']);
  });

  describe('10. base-url mode against a host-run service, without Docker', () => {
    let service: Awaited<ReturnType<typeof startHostFixture>>;
    beforeAll(async () => { service = await startHostFixture('good'); });
    afterAll(async () => { await service?.stop(); });

    it('passes, sets the scrape outputs and never touches Docker', async () => {
      const { image: _image, ...base } = cfg('good');
      // An unusable docker binary proves that base-url mode never calls it.
      vi.stubEnv('TRUNKLINE_DOCKER', '/nonexistent/docker');
      try {
        const r = await runVerifyMetrics({ ...base, baseUrl: `${service.url}/`, lint: 'error' }, createMemoryLogger());
        expect(r.error).toBeUndefined();
        expect(r.status).toBe('passed');
        expect(r.outputs['container-id']).toBeUndefined();
        expect(r.outputs['series-count']).toBeGreaterThan(10);
        expect(existsSync(r.outputs['metrics-file']!)).toBe(true);
      } finally {
        vi.unstubAllEnvs();
      }
    });
  });
});

describe('trunkline verify-metrics (CLI)', () => {
  it('removes its container when interrupted with SIGINT mid-run', async () => {
    const cliRunId = `${runId}-cli`;
    const child = spawn(process.execPath, [join(repoRoot, 'core', 'src', 'cli', 'main.ts'), 'verify-metrics', '--image', images['never-ready'],
      '--network', 'host', '--env', 'ENABLE_METRICS=true', '--env', 'HOST=127.0.0.1', '--readiness-timeout', '120'], {
      env: { ...process.env, GITHUB_RUN_ID: cliRunId }, stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let started: string[] = [];
    for (let i = 0; i < 200 && started.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      started = await listLabelledContainers(VERIFY_METRICS_LABEL, cliRunId);
    }
    expect(started).toHaveLength(1);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await listLabelledContainers(VERIFY_METRICS_LABEL, cliRunId)).toEqual([]);
  });
});
