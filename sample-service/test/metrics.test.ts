/**
 * The metrics contract (README.md, "Metrics"): exact counts,
 * closed label sets, series at zero, 499 for aborted requests, promtool lint, runtime toggle.
 */
import { Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Gauge } from '../src/metrics/client.ts';
import { DURATION_BUCKETS, PROMTOOL_ALLOWLIST } from '../src/metrics/http-metrics.ts';
import { labelValues, parseExposition, value } from './support/exposition.ts';
import type { Scrape } from './support/exposition.ts';
import { inFlightRequest, request } from './support/http.ts';
import { promtoolAvailable, promtoolCheckMetrics } from './support/promtool.ts';
import { startInProcess } from './support/service.ts';
import type { InProcessService } from './support/service.ts';

const running: InProcessService[] = [];
async function start(env: Record<string, string> = {}): Promise<InProcessService> {
  const svc = await startInProcess({ ENABLE_METRICS: 'true', ...env });
  running.push(svc);
  return svc;
}
afterEach(async () => { await Promise.all(running.splice(0).map((s) => s.stop())); });

async function scrape(port: number): Promise<Scrape> {
  const reply = await request(port, '/metrics');
  expect(reply.status).toBe(200);
  return parseExposition(reply.body);
}

const ROOT_GET = { handler: '/', method: 'GET', status: '200' };

describe('metrics contract', () => {
  it('exports the known series at zero before any traffic, and build info', async () => {
    const svc = await start({ APP_VERSION: 'v9.9.9', GIT_SHA: 'abc1234' });
    const s = await scrape(svc.port);
    expect(value(s, 'http_requests_total', ROOT_GET)).toBe(0);
    expect(value(s, 'http_request_duration_seconds_count', { handler: '/', method: 'GET' })).toBe(0);
    expect(value(s, 'http_request_duration_seconds_bucket', { handler: '/', method: 'GET', le: '0.5' })).toBe(0);
    expect(value(s, 'promhttp_metric_handler_errors_total', { cause: 'gathering' })).toBe(0);
    expect(value(s, 'promhttp_metric_handler_errors_total', { cause: 'encoding' })).toBe(0);
    expect(value(s, 'sample_service_build_info', { version: 'v9.9.9', revision: 'abc1234', node_version: process.version })).toBe(1);
    expect(s.types.get('http_requests_total')).toBe('counter');
    expect(s.types.get('http_request_duration_seconds')).toBe('histogram');
    expect(s.types.get('sample_service_build_info')).toBe('gauge');
    for (const family of s.types.keys()) expect(s.helped.has(family), `${family} has HELP`).toBe(true);
    const buckets = [...labelValues(s, 'http_request_duration_seconds_bucket', 'le')];
    expect(buckets).toEqual([...DURATION_BUCKETS.map(String), '+Inf']);
  });

  it('counts 50 GET / exactly, with histogram count and +Inf bucket equal; HEAD and unknown paths apart', async () => {
    const svc = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 5 });
    await Promise.all(Array.from({ length: 50 }, () => request(svc.port, '/', { agent })));
    await request(svc.port, '/', { method: 'HEAD', agent });
    await request(svc.port, '/nope?id=42', { agent });
    agent.destroy();
    const s = await scrape(svc.port);
    expect(value(s, 'http_requests_total', ROOT_GET)).toBe(50);
    expect(value(s, 'http_request_duration_seconds_count', { handler: '/', method: 'GET' })).toBe(50);
    expect(value(s, 'http_request_duration_seconds_bucket', { handler: '/', method: 'GET', le: '+Inf' })).toBe(50);
    expect(value(s, 'http_requests_total', { handler: '/', method: 'HEAD', status: '200' })).toBe(1);
    expect(value(s, 'http_requests_total', { handler: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(value(s, 'http_request_duration_seconds_sum', { handler: '/', method: 'GET' })).toBeGreaterThan(0);
  });

  it('keeps cardinality bounded: 1,000 random paths and query strings add at most 5 series and no handler values', async () => {
    const svc = await start();
    const before = await scrape(svc.port);
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    const random = (): string => Math.random().toString(36).slice(2);
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 100 }, () => request(svc.port, `/${random()}/${random()}?q=${random()}&user=${random()}`, { agent })));
    }
    agent.destroy();
    const after = await scrape(svc.port);
    const handlers = labelValues(after, 'http_requests_total', 'handler');
    expect(handlers.size).toBeLessThanOrEqual(7);
    for (const h of handlers) expect(['/', '/livez', '/readyz', '/metrics', '/admin/flags', '/admin/flags/reset', 'unmatched']).toContain(h);
    const httpSeries = (s: Scrape): number => [...s.samples.keys()].filter((k) => k.startsWith('http_')).length;
    expect(httpSeries(after) - httpSeries(before)).toBeLessThanOrEqual(5);
    expect(value(after, 'http_requests_total', { handler: 'unmatched', method: 'GET', status: '404' })).toBe(1000);
  });

  it('counts a request whose client went away mid-flight once, as status 499', async () => {
    const svc = await start({ ADMIN_FLAGS_ENABLED: 'true' });
    const slow = inFlightRequest(svc.port, '/admin/flags', 10_000, '{"greeting":"never arrives"}');
    slow.done.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    slow.abort();
    let aborted: number | undefined;
    for (let i = 0; i < 50 && aborted === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      aborted = value(await scrape(svc.port), 'http_requests_total', { handler: '/admin/flags', method: 'POST', status: '499' });
    }
    expect(aborted).toBe(1);
    const s = await scrape(svc.port);
    expect(value(s, 'http_requests_total', { handler: '/admin/flags', method: 'POST', status: '200' })).toBe(0);
    expect(value(s, 'http_request_duration_seconds_count', { handler: '/admin/flags', method: 'POST' })).toBe(1);
  });

  it('labels unknown methods OTHER', async () => {
    const svc = await start();
    await request(svc.port, '/', { method: 'PROPFIND' });
    expect(value(await scrape(svc.port), 'http_requests_total', { handler: '/', method: 'OTHER', status: '405' })).toBe(1);
  });

  it('answers 500 metrics_gathering_failed and counts cause="gathering" when a collector throws', async () => {
    const svc = await start();
    new Gauge({ name: 'broken_collector', help: 'throws on collect', registers: [svc.service.metrics.registry], collect() { throw new Error('collector down'); } });
    const reply = await request(svc.port, '/metrics');
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ error: 'metrics_gathering_failed', message: expect.any(String) });
    expect(svc.logs.some((l) => l.msg === 'metrics_gathering_failed' && l.level === 'error')).toBe(true);
    svc.service.metrics.registry.removeSingleMetric('broken_collector');
    const s = await scrape(svc.port);
    expect(value(s, 'promhttp_metric_handler_errors_total', { cause: 'gathering' })).toBe(1);
    expect(value(s, 'http_requests_total', { handler: '/metrics', method: 'GET', status: '500' })).toBe(1);
  });
});

describe('metrics toggled at run time (metrics_enabled flag)', () => {
  it('ENABLE_METRICS=false: /metrics is 404 and nothing is recorded; enabling it via the admin API makes it 200 at once, without resetting counters', async () => {
    const svc = await start({ ENABLE_METRICS: 'false', ADMIN_FLAGS_ENABLED: 'true' });
    const post = (body: string) => request(svc.port, '/admin/flags', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await request(svc.port, '/metrics')).status).toBe(404);
    await request(svc.port, '/');
    expect((await post('{"metrics_enabled":true}')).status).toBe(200);
    await request(svc.port, '/');
    await request(svc.port, '/');
    let s = await scrape(svc.port);
    expect(value(s, 'http_requests_total', ROOT_GET)).toBe(2);
    expect(value(s, 'http_requests_total', { handler: 'unmatched', method: 'GET', status: '404' })).toBe(0);

    await post('{"metrics_enabled":false}');
    await request(svc.port, '/');
    expect((await request(svc.port, '/metrics')).status).toBe(404);
    await post('{"metrics_enabled":true}');
    s = await scrape(svc.port);
    expect(value(s, 'http_requests_total', ROOT_GET)).toBe(2);
  });
});

describe.runIf(promtoolAvailable())('promtool check metrics', () => {
  async function exercised(env: Record<string, string>): Promise<string> {
    const svc = await start({ ADMIN_FLAGS_ENABLED: 'true', ...env });
    for (const path of ['/', '/livez', '/readyz', '/nope', '/admin/flags']) await request(svc.port, path);
    await request(svc.port, '/', { method: 'POST' });
    await scrape(svc.port);
    const reply = await request(svc.port, '/metrics');
    parseExposition(reply.body); // no duplicate series, histograms consistent
    return reply.body;
  }

  it('passes cleanly (exit 0) with the default collectors off', async () => {
    const result = promtoolCheckMetrics(await exercised({ METRICS_DEFAULT_COLLECTORS: 'false' }));
    expect(result).toEqual({ code: 0, problems: [] });
  });

  it('with the default collectors on, reports exactly the allowlisted problems (exit 3), and exit 0 without them', async () => {
    const body = await exercised({});
    expect(body).toContain('process_cpu_seconds_total');
    const result = promtoolCheckMetrics(body);
    expect(result.code).toBe(3);
    expect(result.problems.map((p) => p.split(' ')[0]).sort()).toEqual([...PROMTOOL_ALLOWLIST].sort());
    for (const problem of result.problems) expect(problem).toMatch(/non-counter metrics should not have "_total" suffix/);
    const filtered = body.split('\n').filter((line) => !PROMTOOL_ALLOWLIST.some((name) => line.includes(name))).join('\n');
    expect(promtoolCheckMetrics(filtered)).toEqual({ code: 0, problems: [] });
  });
});
