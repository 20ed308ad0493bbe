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

async function againstHost(mode: HostFixtureMode, overrides: Partial<VerifyMetricsConfig> = {}) {
  const service = await startHostFixture(mode);
  try {
    return await runVerifyMetrics(defaultVerifyMetricsConfig({ baseUrl: service.url, outputDir, lint: 'off', ...overrides }), createMemoryLogger());
  } finally {
    await service.stop();
  }
}

describe('verify-metrics failure messages (loopback test server)', () => {
  it('E05: a probe that returns the wrong status', async () => {
    const r = await againstHost('probe-500', { probeCount: 3 });
    expect(r.error).toBe('verify-metrics: probe 1/3 GET / returned 500, expected 2xx');
  });

  it('E07: a metrics endpoint that is not an exposition', async () => {
    const r = await againstHost('json-metrics');
    expect(r.error).toBe('verify-metrics: unexpected Content-Type "application/json" for /metrics (expected text/plain; version=0.0.4)');
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
