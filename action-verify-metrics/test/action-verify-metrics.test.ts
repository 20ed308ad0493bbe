// Runner contract: the bundled dist/index.js (and dist/post/index.js) run with `node` exactly as
// the runner does — INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files —
// and the outputs are read back from the file.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBundledAction } from '../../core/test/support/runner.ts';
import { prepareDocker } from '../../core/test/support/infra.ts';
import { buildFixtureImages, startHostFixture } from '../../core/test/metrics/fixture-images.ts';
import { docker } from '../../core/src/adapters/docker.ts';
import { VERIFY_METRICS_LABEL, containerState, listLabelledContainers } from '../../core/src/adapters/docker-run.ts';

const runId = `${process.pid}${Date.now() % 100000}`;

describe('action-verify-metrics bundle, base-url mode against a loopback test server', () => {
  let service: Awaited<ReturnType<typeof startHostFixture>>;
  beforeAll(async () => { service = await startHostFixture('good'); });
  afterAll(async () => { await service?.stop(); });

  it('passes and publishes every scrape output through GITHUB_OUTPUT', async () => {
    const r = await runBundledAction('action-verify-metrics', {
      'base-url': service.url,
      'probe-count': '3',
      expect: [
        '# recorded on response finish, so the action re-scrapes until it shows',
        'http_requests_total{handler="/",method="GET",status="200"} >= 3',
        'http_request_duration_seconds_bucket{handler="/",method="GET",le="+Inf"} >= 3',
        '!http_requests_total{handler!~"/|/livez|/readyz|/metrics|unmatched"}',
      ].join('\n'),
      lint: 'error',
    }, { timeoutMs: 60_000 });
    expect(r.stdout).not.toContain('::error::');
    expect(r.code).toBe(0);
    const results = JSON.parse(r.outputs.results!) as { expectation: string; matched: number; value: number | null; pass: boolean }[];
    expect(results.map((x) => [x.expectation, x.matched, x.pass])).toEqual([
      ['http_requests_total{handler="/",method="GET",status="200"} >= 3', 1, true],
      ['http_request_duration_seconds_bucket{handler="/",method="GET",le="+Inf"} >= 3', 1, true],
      ['!http_requests_total{handler!~"/|/livez|/readyz|/metrics|unmatched"}', 0, true],
    ]);
    expect(results[0]!.value).toBeGreaterThanOrEqual(3);
    expect(Number(r.outputs['series-count'])).toBeGreaterThan(10);
    expect(r.outputs['lint-problems']).toBe('0');
    expect(Number(r.outputs['ready-ms'])).toBeGreaterThanOrEqual(0);
    expect(readFileSync(r.outputs['metrics-file']!, 'utf8')).toContain('# TYPE http_requests_total counter');
    expect(r.outputs['container-id']).toBeUndefined();
    expect(r.summary).toContain('| Expectation | Matched series | Observed value | Result |');
    expect(r.summary).toContain('| `http_requests_total{handler="/",method="GET",status="200"} >= 3` | 1 |');
    expect(r.state['container-name']).toBeUndefined();
  });

  it('fails with an ::error:: annotation and exit 1 on an expectation syntax error (E15)', async () => {
    const r = await runBundledAction('action-verify-metrics', { 'base-url': service.url, expect: 'up == 1\nhttp_requests_total{handler=}' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::error::verify-metrics: invalid input expect line 2: expected a double-quoted value for label handler');
  });

  it('fails with E10 and still reports results when a series is absent', async () => {
    const r = await runBundledAction('action-verify-metrics', {
      'base-url': service.url, expect: 'http_requests_total{handler="/nowhere"}', 'expect-timeout': '1',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::error::verify-metrics: expected series not found: http_requests_total{handler="/nowhere"}; present http_requests_total series: ');
    expect(JSON.parse(r.outputs.results!)).toEqual([{ expectation: 'http_requests_total{handler="/nowhere"}', matched: 0, value: null, pass: false }]);
    expect(r.summary).toContain('❌ fail');
  });
});

describe('action-verify-metrics bundle, container mode and post step', () => {
  let image: string;
  beforeAll(async () => {
    const { runtime } = await prepareDocker();
    image = (await buildFixtureImages(runtime)).good;
  });
  afterAll(async () => {
    expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toEqual([]);
  });

  it('runs the image on the host network, saves the container name for the post step, and removes it', async () => {
    const env = { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1' };
    const r = await runBundledAction('action-verify-metrics', {
      image, network: 'host', env: 'ENABLE_METRICS=true\nHOST=127.0.0.1', 'shutdown-timeout': '5', lint: 'error',
    }, { env, timeoutMs: 120_000 });
    expect(r.stdout).not.toContain('::error::');
    expect(r.code).toBe(0);
    expect(r.outputs['container-id']).toMatch(/^[0-9a-f]{64}$/);
    expect(r.outputs['shutdown-exit-code']).toBe('0');
    expect(r.state['container-name']).toMatch(new RegExp(`^vm-${runId}-1-[0-9a-f]{6}$`));
    expect(r.stdout).toContain('::group::container logs');
    expect(await containerState(r.outputs['container-id']!)).toBeUndefined();
    const post = await runBundledAction('action-verify-metrics', {}, { entry: 'post', state: r.state, env });
    expect(post.code).toBe(0);
    expect(post.stdout).toContain(`container ${r.state['container-name']} is gone`);
  });

  it('post step removes a container left behind by a cancelled main step', async () => {
    const name = `vm-${runId}-1-cancel`;
    await docker(['run', '-d', '--name', name, '--label', `${VERIFY_METRICS_LABEL}=${runId}`, '--network', 'host',
      '--env', 'PORT=0', '--env', 'HOST=127.0.0.1', image]);
    expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toHaveLength(1);
    const post = await runBundledAction('action-verify-metrics', {}, { entry: 'post', state: { 'container-name': name } });
    expect(post.code).toBe(0);
    expect(post.stdout).toContain(`container ${name} is gone`);
    expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toEqual([]);
  });
});
