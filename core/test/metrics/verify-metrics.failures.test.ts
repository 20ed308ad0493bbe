// The failure messages (docs/errors.md) not covered by the acceptance cases: E01 (no docker), E02 (docker run
// refused), E05 (probe status), E07 (Content-Type), E09 (duplicate series), plus the bounded-time
// HTTP adapter. Base-url cases run the fixture server on the host (loopback test server, no Docker).
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { scratchDirs } from '../support/scratch.ts';
import { startHostFixture } from './fixture-images.ts';
import type { HostFixtureMode } from './fixture-images.ts';
import { HttpProbeError, httpGet } from '../../src/adapters/http-probe.ts';
import { VERIFY_METRICS_LABEL, listLabelledContainers } from '../../src/adapters/docker-run.ts';
import { dockerDaemonReady } from '../../src/adapters/docker.ts';
import { freePort } from '../../src/adapters/free-port.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { defaultVerifyMetricsConfig, runVerifyMetrics } from '../../src/stages/verify-metrics.ts';
import type { VerifyMetricsConfig } from '../../src/stages/verify-metrics.ts';

const outputDir = scratchDirs()('vm-failures-');
const runId = `vm-failures-${process.pid}-${Date.now()}`;

/** Runs the stage against the host fixture in `mode`; `url` is the fixture's base URL (as the stage saw it). */
async function againstHost(mode: HostFixtureMode, overrides: Partial<VerifyMetricsConfig> = {}, log = createMemoryLogger()) {
  const service = await startHostFixture(mode);
  try {
    const baseUrl = overrides.baseUrl ?? service.url;
    const result = await runVerifyMetrics(defaultVerifyMetricsConfig({ outputDir, lint: 'off', ...overrides, baseUrl }), log);
    return { ...result, url: service.url };
  } finally {
    await service.stop();
  }
}

describe('verify-metrics failure messages (loopback test server)', () => {
  it('E05: a probe that returns the wrong status shows the URL, the status and the body', async () => {
    const r = await againstHost('probe-500', { probeCount: 3 });
    expect(r.error).toBe(`verify-metrics: probe 1/3 expected 2xx: GET ${r.url}/ returned 500\n{"error":"internal"}`);
  });

  it('E07: a metrics endpoint that is not an exposition shows the URL, the status and the body', async () => {
    const r = await againstHost('json-metrics');
    expect(r.error).toBe(`verify-metrics: unexpected Content-Type "application/json" for /metrics (expected text/plain; version=0.0.4): GET ${r.url}/metrics returned 200\n{"metrics":[]}`);
  });

  it('a password in base-url is masked in the log and removed from every message', async () => {
    const log = createMemoryLogger();
    const password = 's3cr3t-Pa55';
    const service = await startHostFixture('probe-500');
    try {
      const withCredentials = service.url.replace('http://', `http://probe:${password}@`);
      const r = await runVerifyMetrics(defaultVerifyMetricsConfig({ baseUrl: withCredentials, outputDir, lint: 'off', probeCount: 1 }), log);
      expect(r.error).toBe(`verify-metrics: probe 1/1 expected 2xx: GET ${service.url.replace('http://', 'http://***:***@')}/ returned 500\n{"error":"internal"}`);
      log.info(`echo of the config: ${withCredentials}`);
      expect(log.lines.join('\n')).not.toContain(password);
      expect(log.lines.join('\n')).toContain('echo of the config: http://probe:***@');
      expect(r.summaryMarkdown).not.toContain(password);
    } finally {
      await service.stop();
    }
  });

  it('E11 for a !metric: expected no series, found N, listing them', async () => {
    const r = await againstHost('good', { expectations: ['!http_requests_total{method="GET"}'], expectTimeoutMs: 500, probeCount: 2 });
    expect(r.error).toMatch(/^verify-metrics: expectation failed: !http_requests_total\{method="GET"\}: expected no series, found \d+: /);
    expect(r.error).toContain('http_requests_total{handler="/",method="GET",status="200"} 2');
  });

  it('E09: a duplicate series, named with its line', async () => {
    const r = await againstHost('duplicate', { expectations: ['dup_total'] });
    expect(r.error).toBe('verify-metrics: duplicate series at line 5: dup_total{a="1",b="2"}');
  });

  it('E04 in base-url mode: nothing listens (last: ECONNREFUSED)', async () => {
    const port = await freePort();
    const r = await runVerifyMetrics(defaultVerifyMetricsConfig({ baseUrl: `http://127.0.0.1:${port}`, readinessTimeoutMs: 1000, outputDir }), createMemoryLogger());
    expect(r.error).toBe('verify-metrics: readiness timeout: GET /readyz did not return 200 within 1s (last: ECONNREFUSED)');
  });
});

describe('verify-metrics failure messages with Docker', () => {
  afterAll(async () => {
    if (await dockerDaemonReady()) expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toEqual([]);
  });

  it('E01: docker is not available', async () => {
    vi.stubEnv('TRUNKLINE_DOCKER', '/nonexistent/docker');
    try {
      const r = await runVerifyMetrics(defaultVerifyMetricsConfig({ image: 'app:1', runId, outputDir }), createMemoryLogger());
      expect(r.error).toMatch(/^verify-metrics: docker is not available: .*could not start \(ENOENT\)/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('E02: docker run refuses the image, and nothing is left behind', async () => {
    const r = await runVerifyMetrics(defaultVerifyMetricsConfig({ image: 'Not/A:Valid:Reference', network: 'host', runId, outputDir }), createMemoryLogger());
    expect(r.error).toMatch(/^verify-metrics: failed to start container from Not\/A:Valid:Reference: .*invalid reference format/);
    expect(r.outputs['container-id']).toBeUndefined();
  });
});

describe('httpGet (bounded time)', () => {
  let silent: Server | undefined;
  afterAll(() => { silent?.close(); });

  it('rejects with ECONNREFUSED when nothing listens', async () => {
    const port = await freePort();
    await expect(httpGet(`http://127.0.0.1:${port}/`, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects with ETIMEDOUT when a server accepts but never answers', async () => {
    silent = createServer(() => { /* accept and say nothing */ });
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const error = await httpGet(`http://127.0.0.1:${port}/`, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpProbeError);
    expect((error as HttpProbeError).code).toBe('ETIMEDOUT');
  });
});
