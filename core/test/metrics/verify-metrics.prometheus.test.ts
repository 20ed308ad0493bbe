// base-url mode works against any exporter, not just ours: a real Prometheus 2.42 server (Debian
// package `prometheus`) on loopback with a free port and a temporary storage dir, checked against
// its own /metrics (Go client_golang / promhttp output) with promtool lint as a hard gate.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/free-port.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { defaultVerifyMetricsConfig, runVerifyMetrics } from '../../src/stages/verify-metrics.ts';

let prometheus: ChildProcess;
let port: number;
const dir = mkdtempSync(join(tmpdir(), 'vm-prometheus-'));

beforeAll(async () => {
  port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`);
  prometheus = spawn('prometheus', [
    `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    prometheus.once('spawn', resolve);
    prometheus.once('error', (e) => reject(new Error(`prometheus could not start (install the Debian package "prometheus"): ${e.message}`)));
  });
});

afterAll(() => {
  prometheus?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('verify-metrics base-url mode against a real Prometheus server', () => {
  it('waits for /-/ready, probes /-/healthy, and checks expectations on its own metrics', async () => {
    const log = createMemoryLogger();
    const r = await runVerifyMetrics(defaultVerifyMetricsConfig({
      baseUrl: `http://127.0.0.1:${port}`,
      readinessPath: '/-/ready',
      probePath: '/-/healthy',
      probeCount: 3,
      probeExpectStatus: '200',
      expectations: [
        '# the server scrapes itself every second',
        'prometheus_build_info{version=~"2\\\\..*"} == 1',
        'prometheus_http_requests_total{handler="/-/healthy",code="200"} >= 3',
        'prometheus_http_requests_total{handler="/-/ready"} >= 1',
        'go_goroutines > 0',
        'prometheus_tsdb_head_series >= 0',
        // /-/ready answers 503 while the server starts, so only other 5xx codes mean trouble.
        '!prometheus_http_requests_total{code=~"5..",code!="503"}',
      ],
      lint: 'error',
      lintIgnore: [],
      maxSeries: 5000,
      outputDir: dir,
    }), log);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('passed');
    expect(r.outputs.results!.map((x) => x.pass)).toEqual([true, true, true, true, true, true]);
    expect(r.outputs['series-count']).toBeGreaterThan(100);
    expect(r.outputs['lint-problems']).toBe(0);
    expect(r.outputs['container-id']).toBeUndefined();
  });

  it('fails with E11 when a value does not hold, saying what it observed', async () => {
    const r = await runVerifyMetrics(defaultVerifyMetricsConfig({
      baseUrl: `http://127.0.0.1:${port}`, readinessPath: '/-/ready', probePath: '/-/healthy', probeCount: 1,
      expectations: ['prometheus_build_info > 1'], expectTimeoutMs: 1000, lint: 'off', maxSeries: 5000, outputDir: dir,
    }), createMemoryLogger());
    expect(r.error).toBe('verify-metrics: expectation failed: prometheus_build_info > 1 (observed 1 over 1 series)');
  });

  it('fails with E12 when the exposition exceeds max-series', async () => {
    const r = await runVerifyMetrics(defaultVerifyMetricsConfig({
      baseUrl: `http://127.0.0.1:${port}`, readinessPath: '/-/ready', probePath: '/-/healthy', probeCount: 1,
      expectations: ['go_goroutines'], lint: 'off', maxSeries: 10, outputDir: dir,
    }), createMemoryLogger());
    expect(r.error).toMatch(/^verify-metrics: \d+ series exceed max-series 10$/);
  });
});
