// Acceptance cases 1 and 10 (docs/verify-metrics.md) with the real sample-service rather than the fixture server: its image
// built from sample-service/Dockerfile on the local Node 24 bases (container mode, host network),
// and its source run on the host (base-url mode, no Docker), both against the recommended
// expectation set (docs/verify-metrics.md) with promtool lint as a hard gate and the default lint-ignore.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDocker } from '../support/infra.ts';
import { repoRoot } from '../support/paths.ts';
import { scratchDirs } from '../support/scratch.ts';
import { livezAnswers } from './fixture-images.ts';
import { docker } from '../../src/adapters/docker.ts';
import { VERIFY_METRICS_LABEL, listLabelledContainers } from '../../src/adapters/docker-run.ts';
import { freePort } from '../../src/adapters/free-port.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { defaultVerifyMetricsConfig, runVerifyMetrics } from '../../src/stages/verify-metrics.ts';

const GIT_SHA = '0123456789abcdef0123456789abcdef01234567';
const runId = `vm-sample-${process.pid}-${Date.now()}`;
const outputDir = scratchDirs()('vm-sample-service-');

/** The recommended set for sample-service with probe-count 5. */
const RECOMMENDED = [
  'http_requests_total{handler="/",method="GET",status="200"} >= 5',
  'http_request_duration_seconds_count{handler="/",method="GET"} >= 5',
  'http_request_duration_seconds_bucket{handler="/",method="GET",le="+Inf"} >= 5',
  'promhttp_metric_handler_errors_total{cause="gathering"} == 0',
  'promhttp_metric_handler_errors_total{cause="encoding"} == 0',
  `sample_service_build_info{revision="${GIT_SHA}"} == 1`,
  '!http_requests_total{handler!~"/|/livez|/readyz|/metrics|/admin/flags|/admin/flags/reset|unmatched"}',
];
const SERVICE_ENV = { ENABLE_METRICS: 'true', HOST: '127.0.0.1', GIT_SHA, SHUTDOWN_DRAIN_DELAY_MS: '0' };

describe('verify-metrics against the real sample-service', () => {
  describe('10. base-url mode, service run on the host', () => {
    let service: ChildProcess;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      service = spawn(process.execPath, [join(repoRoot, 'sample-service', 'src', 'main.ts')], {
        env: { ...process.env, ...SERVICE_ENV, PORT: String(port) }, stdio: 'ignore',
      });
      if (!(await livezAnswers(port))) throw new Error('sample-service did not start on the host');
    });
    afterAll(() => { service?.kill('SIGTERM'); });

    it('passes the recommended expectations with lint as a gate', async () => {
      const r = await runVerifyMetrics(defaultVerifyMetricsConfig({
        baseUrl: `http://127.0.0.1:${port}`, expectations: RECOMMENDED, lint: 'error', outputDir,
      }), createMemoryLogger());
      expect(r.error).toBeUndefined();
      expect(r.outputs.results!.every((x) => x.pass)).toBe(true);
      expect(r.outputs['lint-problems']).toBe(0);
    });
  });

  describe('1. container mode with the image built from sample-service/Dockerfile', () => {
    const image = 'trunkline-test/sample-service:verify-metrics';
    beforeAll(async () => {
      const { builder, runtime } = await prepareDocker();
      await docker(['build', '--network', 'host', '-q', '--build-arg', `BUILDER_IMAGE=${builder}`, '--build-arg', `RUNTIME_IMAGE=${runtime}`,
        '--build-arg', `GIT_SHA=${GIT_SHA}`, '-t', image, join(repoRoot, 'sample-service')], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 600_000 });
    }, 660_000);
    afterAll(async () => {
      expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toEqual([]);
    });

    it('passes with every output set, a clean SIGTERM exit, and no container left', async () => {
      const r = await runVerifyMetrics(defaultVerifyMetricsConfig({
        image, network: 'host', env: { ENABLE_METRICS: 'true', HOST: '127.0.0.1', SHUTDOWN_DRAIN_DELAY_MS: '0' },
        expectations: RECOMMENDED, lint: 'error', runId, outputDir,
      }), createMemoryLogger());
      expect(r.error).toBeUndefined();
      expect(r.status).toBe('passed');
      for (const key of ['container-id', 'host-port', 'ready-ms', 'series-count', 'metrics-file', 'results', 'lint-problems', 'shutdown-ms', 'shutdown-exit-code'] as const) {
        expect(r.outputs[key], key).toBeDefined();
      }
      expect(r.outputs['shutdown-exit-code']).toBe(0);
      expect(r.notes).toContain('3 promtool problem(s) tolerated by lint-ignore');
      expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toEqual([]);
    });
  });
});
