/**
 * Every row of the endpoint table (README.md, "HTTP endpoints"),
 * against a real HTTP server on a loopback port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from './support/http.ts';
import type { Reply } from './support/http.ts';
import { startInProcess } from './support/service.ts';
import type { InProcessService } from './support/service.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

function expectCommonHeaders(reply: Reply): void {
  expect(reply.headers['x-powered-by']).toBeUndefined();
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.headers['x-request-id']).toMatch(/^[\w.:@+=/-]{1,128}$/);
}

function expectError(reply: Reply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe(JSON_TYPE);
  expect(reply.json).toEqual({ error: code, message: expect.any(String) });
  expectCommonHeaders(reply);
}

describe('endpoints with metrics on and the admin API enabled (in-memory provider)', () => {
  let svc: InProcessService;
  beforeAll(async () => { svc = await startInProcess({ ENABLE_METRICS: 'true', ADMIN_FLAGS_ENABLED: 'true' }); });
  afterAll(async () => { await svc.stop(); });

  it('GET / answers the greeting flag as JSON', async () => {
    const reply = await request(svc.port, '/');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(JSON_TYPE);
    expect(reply.json).toEqual({ message: 'Hello, World!' });
    expectCommonHeaders(reply);
  });

  it('HEAD is accepted wherever GET is, with the same status and no body', async () => {
    for (const [path, status] of [['/', 200], ['/livez', 200], ['/readyz', 200], ['/metrics', 200], ['/admin/flags', 200], ['/nope', 404]] as const) {
      const get = await request(svc.port, path);
      const head = await request(svc.port, path, { method: 'HEAD' });
      expect([path, head.status]).toEqual([path, status]);
      expect(get.status).toBe(status);
      expect(head.body).toBe('');
      expect(head.headers['content-type']).toBe(get.headers['content-type']);
    }
  });

  it('GET /livez answers ok as text/plain', async () => {
    const reply = await request(svc.port, '/livez');
    expect([reply.status, reply.body, reply.headers['content-type']]).toEqual([200, 'ok', 'text/plain; charset=utf-8']);
    expectCommonHeaders(reply);
  });

  it('GET /readyz answers ready with its (empty) checks, not cacheable', async () => {
    const reply = await request(svc.port, '/readyz');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ status: 'ready', checks: {} });
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it('GET /metrics serves the text format 0.0.4, not cacheable', async () => {
    const reply = await request(svc.port, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.body).toContain('# TYPE http_requests_total counter\n');
    expectCommonHeaders(reply);
  });

  it('an unknown path is 404 not_found, and query strings are ignored for routing', async () => {
    expectError(await request(svc.port, '/nope'), 404, 'not_found');
    expectError(await request(svc.port, '/livez/extra'), 404, 'not_found');
    const withQuery = await request(svc.port, '/livez?verbose=1&x=%20');
    expect([withQuery.status, withQuery.body]).toEqual([200, 'ok']);
  });

  it('a method that is not allowed is 405 with an Allow header', async () => {
    for (const [method, path, allow] of [['POST', '/', 'GET, HEAD'], ['DELETE', '/livez', 'GET, HEAD'], ['PUT', '/metrics', 'GET, HEAD'],
      ['DELETE', '/admin/flags', 'GET, HEAD, POST'], ['GET', '/admin/flags/reset', 'POST'], ['PROPFIND', '/readyz', 'GET, HEAD']] as const) {
      const reply = await request(svc.port, path, { method });
      expectError(reply, 405, 'method_not_allowed');
      expect(reply.headers.allow).toBe(allow);
    }
  });

  it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
    expect((await request(svc.port, '/', { headers: { 'x-request-id': 'abc-123' } })).headers['x-request-id']).toBe('abc-123');
    const replaced = await request(svc.port, '/', { headers: { 'x-request-id': 'a'.repeat(129) } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /admin/flags shows the provider and every flag, not cacheable', async () => {
    const reply = await request(svc.port, '/admin/flags');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ provider: 'memory', flags: { metrics_enabled: true, greeting: 'Hello, World!' } });
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it('POST /admin/flags applies a partial update that the very next request sees', async () => {
    const reply = await request(svc.port, '/admin/flags', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"greeting":"Hi"}' });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ provider: 'memory', flags: { metrics_enabled: true, greeting: 'Hi' } });
    expect((await request(svc.port, '/')).json).toEqual({ message: 'Hi' });
    expect(svc.logs.find((l) => l.msg === 'flags_changed')).toMatchObject({ changed: ['greeting'], values: { greeting: 'Hi' } });
  });

  it('POST /admin/flags/reset restores the defaults', async () => {
    await request(svc.port, '/admin/flags', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"greeting":"Changed"}' });
    const reply = await request(svc.port, '/admin/flags/reset', { method: 'POST' });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ provider: 'memory', flags: { metrics_enabled: true, greeting: 'Hello, World!' } });
    expect((await request(svc.port, '/')).json).toEqual({ message: 'Hello, World!' });
  });

  it.each([
    ['not JSON', 'application/json', '{greeting', 400, 'invalid_json'],
    ['an array', 'application/json', '["greeting"]', 400, 'invalid_json'],
    ['null', 'application/json', 'null', 400, 'invalid_json'],
    ['an unknown flag', 'application/json', '{"tracing_enabled":true}', 400, 'unknown_flag'],
    ['a wrong type', 'application/json', '{"metrics_enabled":"yes"}', 400, 'invalid_flag_type'],
    ['another content type', 'text/plain', '{"greeting":"Hi"}', 415, 'unsupported_media_type'],
    ['no content type', '', '{"greeting":"Hi"}', 415, 'unsupported_media_type'],
    ['a body over 16 KiB', 'application/json', JSON.stringify({ greeting: 'x'.repeat(16 * 1024) }), 413, 'payload_too_large'],
  ])('POST /admin/flags with %s is %i %s', async (_what, type, body, status, code) => {
    const headers: Record<string, string> = type ? { 'content-type': type } : {};
    const reply = await request(svc.port, '/admin/flags', { method: 'POST', headers, body });
    expectError(reply, status, code);
    expect((await request(svc.port, '/admin/flags')).json).toMatchObject({ flags: { greeting: 'Hello, World!' } });
  });

  it('names the offending key in unknown_flag and invalid_flag_type', async () => {
    const unknown = await request(svc.port, '/admin/flags', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"colour":"red"}' });
    expect((unknown.json as { message: string }).message).toContain('"colour"');
    const wrongType = await request(svc.port, '/admin/flags', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"greeting":42}' });
    expect((wrongType.json as { message: string }).message).toContain('"greeting"');
  });

  it('413 is also enforced while reading a body sent without its size up front', async () => {
    const big = JSON.stringify({ greeting: 'y'.repeat(20 * 1024) });
    const reply = await request(svc.port, '/admin/flags', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(big.length - 10 * 1024) }, body: big })
      .catch((error: unknown) => error);
    // Either the 413 arrives, or the server closed the connection after it: never a 200.
    if (reply instanceof Error) expect(reply.message).toMatch(/socket|ECONNRESET|parse/i);
    else expect((reply as Reply).status).toBe(413);
  });
});

describe('endpoints with metrics off and no admin API (defaults)', () => {
  let svc: InProcessService;
  beforeAll(async () => { svc = await startInProcess({}); });
  afterAll(async () => { await svc.stop(); });

  it('GET /metrics is 404 not_found while metrics are disabled', async () => {
    expectError(await request(svc.port, '/metrics'), 404, 'not_found');
  });

  it('every /admin/* path is 404: the routes are not registered', async () => {
    expectError(await request(svc.port, '/admin/flags'), 404, 'not_found');
    expectError(await request(svc.port, '/admin/flags', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 404, 'not_found');
    expectError(await request(svc.port, '/admin/flags/reset', { method: 'POST' }), 404, 'not_found');
  });
});

describe('admin API with ADMIN_TOKEN', () => {
  const token = 'test-token-0123456789';
  let svc: InProcessService;
  beforeAll(async () => { svc = await startInProcess({ ADMIN_FLAGS_ENABLED: 'true', ADMIN_TOKEN: token }); });
  afterAll(async () => { await svc.stop(); });

  it('is 401 unauthorized without the bearer token, or with a wrong one', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: token }, { authorization: `Basic ${token}` }]) {
      const reply = await request(svc.port, '/admin/flags', { headers });
      expectError(reply, 401, 'unauthorized');
      expect(reply.headers['www-authenticate']).toBe('Bearer');
    }
    expectError(await request(svc.port, '/admin/flags/reset', { method: 'POST' }), 401, 'unauthorized');
  });

  it('answers with the right token', async () => {
    const reply = await request(svc.port, '/admin/flags', { headers: { authorization: `Bearer ${token}` } });
    expect(reply.status).toBe(200);
  });
});

describe('admin API when flagd owns the flags', () => {
  let svc: InProcessService;
  beforeAll(async () => {
    // flagd in offline file mode with a missing file: the provider never becomes ready, which must not block readiness.
    svc = await startInProcess({
      ADMIN_FLAGS_ENABLED: 'true', FLAGS_PROVIDER: 'flagd', FLAGS_INIT_TIMEOUT_MS: '300',
      FLAGD_RESOLVER: 'in-process', FLAGD_OFFLINE_FLAG_SOURCE_PATH: '/nonexistent/flags.json',
    });
  });
  afterAll(async () => { await svc.stop(); });

  it('POST /admin/flags and /admin/flags/reset are 409 flags_managed_by_flagd', async () => {
    expectError(await request(svc.port, '/admin/flags', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"greeting":"Hi"}' }), 409, 'flags_managed_by_flagd');
    expectError(await request(svc.port, '/admin/flags/reset', { method: 'POST' }), 409, 'flags_managed_by_flagd');
  });

  it('GET /admin/flags reports the flagd provider, and the service is ready on defaults', async () => {
    expect((await request(svc.port, '/admin/flags')).json).toEqual({ provider: 'flagd', flags: { metrics_enabled: false, greeting: 'Hello, World!' } });
    expect((await request(svc.port, '/readyz')).status).toBe(200);
    expect(svc.logs.some((l) => l.msg === 'flags_provider_not_ready' && l.level === 'warn')).toBe(true);
  });
});
