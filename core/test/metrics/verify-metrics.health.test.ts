// Docker's HEALTHCHECK verdict during readiness (issue 15 item 8): an image whose health check
// fails is reported as unhealthy with the check's output, instead of waiting out the readiness
// timeout. The image is built locally FROM the never-ready fixture (nothing is pulled).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDocker } from '../support/infra.ts';
import { scratchDirs } from '../support/scratch.ts';
import { buildFixtureImages } from './fixture-images.ts';
import { docker } from '../../src/adapters/docker.ts';
import { VERIFY_METRICS_LABEL, listLabelledContainers } from '../../src/adapters/docker-run.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { defaultVerifyMetricsConfig, runVerifyMetrics } from '../../src/stages/verify-metrics.ts';

const runId = `vm-health-${process.pid}-${Date.now()}`;
const outputDir = scratchDirs()('vm-health-');
const image = 'trunkline-test/vm-fixture:unhealthy';

describe('verify-metrics and docker HEALTHCHECK (real docker)', () => {
  beforeAll(async () => {
    const { runtime } = await prepareDocker();
    const base = (await buildFixtureImages(runtime))['never-ready'];
    // Exec form: the runtime image has no shell. One failed check (every second) makes it unhealthy.
    const dockerfile = [
      `FROM ${base}`,
      'HEALTHCHECK --interval=1s --timeout=5s --retries=1 CMD ["/nodejs/bin/node", "-e", "console.log(\'database connection refused\'); process.exit(1)"]',
    ].join('\n');
    await docker(['build', '--network', 'host', '-q', '-t', image, '-'], { input: dockerfile, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 180_000 });
  });
  afterAll(async () => {
    expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toEqual([]);
  });

  it('fails as container-unhealthy with the last health-check output, not at the readiness timeout', async () => {
    const r = await runVerifyMetrics(defaultVerifyMetricsConfig({
      image, network: 'host', env: { ENABLE_METRICS: 'true', HOST: '127.0.0.1' }, readinessTimeoutMs: 90_000, runId, outputDir,
    }), createMemoryLogger());
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^verify-metrics: container became unhealthy before becoming ready \(after \d+ ms\); last health check exited 1: database connection refused$/);
    expect(r.findings[0]).toMatchObject({ id: 'container-unhealthy' });
    expect(r.outputs['ready-ms']).toBeUndefined();
  });
});
