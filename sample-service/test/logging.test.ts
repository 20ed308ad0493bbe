/**
 * JSON logs (README.md, "Logs, startup, shutdown"): stdout holds only JSON
 * lines with the base fields; access lines follow ACCESS_LOG; the writer coalesces lines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../src/log.ts';
import { request, waitForStatus } from './support/http.ts';
import { freePort, spawnService } from './support/service.ts';
import type { ChildService } from './support/service.ts';

const children: ChildService[] = [];
async function spawn(env: Record<string, string>): Promise<{ svc: ChildService; port: number }> {
  const svc = spawnService({ PORT: String(await freePort()), SHUTDOWN_DRAIN_DELAY_MS: '0', APP_VERSION: 'v1.0.0', ...env });
  children.push(svc);
  const port = await svc.port();
  await waitForStatus(port, '/readyz', 200, 5000);
  return { svc, port };
}
afterEach(() => { for (const c of children.splice(0)) c.kill(); });

/** Stops the service and returns every stdout line parsed (throws if any line is not JSON). */
async function stopAndRead(svc: ChildService): Promise<Array<Record<string, unknown>>> {
  svc.child.kill('SIGTERM');
  expect((await svc.exit).code).toBe(0);
  return svc.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

const RFC3339_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('JSON logs on stdout', () => {
  it('writes only JSON lines with time, level, msg, service and version, and the lifecycle events', async () => {
    const { svc, port } = await spawn({});
    await request(port, '/');
    const lines = await stopAndRead(svc);
    for (const line of lines) {
      expect(line).toMatchObject({ time: expect.stringMatching(RFC3339_MS_UTC), level: expect.stringMatching(/^(debug|info|warn|error|fatal)$/), msg: expect.any(String), service: 'sample-service', version: 'v1.0.0' });
    }
    expect(lines.map((l) => l.msg)).toEqual(['listening', 'ready', 'shutdown_begin', 'shutdown_complete']);
    expect(lines[0]).toMatchObject({ port, pid: svc.child.pid, uid: process.getuid?.() });
    expect(lines[3]).toMatchObject({ elapsed_ms: expect.any(Number) });
    expect(svc.stderr()).toBe('');
  });

  it('ACCESS_LOG=errors (default): 10 concurrent failing requests give 10 access lines, 2xx give none', async () => {
    const { svc, port } = await spawn({});
    await Promise.all(Array.from({ length: 10 }, (_, i) => request(port, `/missing/${i}?token=secret`)));
    await Promise.all(Array.from({ length: 10 }, () => request(port, '/')));
    const access = (await stopAndRead(svc)).filter((l) => l.msg === 'http_request');
    expect(access).toHaveLength(10);
    for (const line of access) {
      expect(line).toMatchObject({ method: 'GET', handler: 'unmatched', status: 404, duration_ms: expect.any(Number), bytes: expect.any(Number), request_id: expect.any(String) });
      expect(line.path).toMatch(/^\/missing\/\d$/);
      expect(String(line.duration_ms)).toMatch(/^\d+(\.\d{1,3})?$/);
    }
  });

  it('ACCESS_LOG=all logs every request with its request and trace ids; off logs none', async () => {
    const all = await spawn({ ACCESS_LOG: 'all' });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await request(all.port, '/?q=1', { headers: { 'x-request-id': 'req-42', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const lines = (await stopAndRead(all.svc)).filter((l) => l.msg === 'http_request');
    expect(lines.find((l) => l.handler === '/')).toMatchObject({ path: '/', status: 200, request_id: 'req-42', trace_id: traceId, bytes: 27 });

    const off = await spawn({ ACCESS_LOG: 'off' });
    await request(off.port, '/nope');
    expect((await stopAndRead(off.svc)).filter((l) => l.msg === 'http_request')).toHaveLength(0);
  });

  it('ACCESS_LOG=errors also logs slow requests (SLOW_REQUEST_MS)', async () => {
    const { svc, port } = await spawn({ SLOW_REQUEST_MS: '0' });
    await request(port, '/');
    expect((await stopAndRead(svc)).filter((l) => l.msg === 'http_request' && l.status === 200).length).toBeGreaterThan(0);
  });
});

describe('Logger', () => {
  it('coalesces lines into few writes and flushes synchronously on demand', () => {
    const writes: string[] = [];
    const log = new Logger({ level: 'info', version: 'v', sink: (chunk) => writes.push(chunk) });
    for (let i = 0; i < 1000; i++) log.info('http_request', { i });
    // 1000 lines of ~130 bytes: flushed by size (16 KiB) a handful of times, not once per line.
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.length).toBeLessThan(20);
    log.flushSync();
    const lines = writes.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    expect(JSON.parse(lines[999]!)).toMatchObject({ msg: 'http_request', i: 999 });
  });

  it('flushes buffered lines within 50 ms without further logging', async () => {
    const writes: string[] = [];
    const log = new Logger({ level: 'info', version: 'v', sink: (chunk) => writes.push(chunk) });
    log.info('one');
    expect(writes).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(writes).toHaveLength(1);
  });

  it('drops lines below the level, and writes errors on one line with name, message and stack', () => {
    const writes: string[] = [];
    const log = new Logger({ level: 'warn', version: 'v', sink: (chunk) => writes.push(chunk) });
    log.info('hidden');
    log.error('failed', { err: new TypeError('bad\nthing') });
    log.flushSync();
    const lines = writes.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', msg: 'failed', err: { name: 'TypeError', message: 'bad\nthing', stack: expect.stringContaining('TypeError') } });
  });
});
