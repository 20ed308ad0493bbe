/**
 * Process lifecycle with real signals and exit codes (README.md, "Configuration"
 * and "Logs, startup, shutdown"). The bounds asserted are the service's contract (when it
 * must have exited), not performance measurements.
 */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { inFlightRequest, request, waitForStatus } from './support/http.ts';
import { freePort, spawnService, startInProcess } from './support/service.ts';
import type { ChildService, InProcessService } from './support/service.ts';

const children: ChildService[] = [];
async function spawn(env: Record<string, string>): Promise<ChildService> {
  const child = spawnService({ PORT: String(await freePort()), ...env });
  children.push(child);
  return child;
}
afterEach(() => { for (const c of children.splice(0)) c.kill(); });

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

// How long each step takes (exit on bad config, readiness flip, drain, give-up at T) is measured
// against the contract's bounds in sample-service/bench/lifecycle.bench.ts: wall-clock bounds fail
// on a loaded machine, so the tests here assert what happens and in which order, not how fast.

function logLine(svc: ChildService, msg: string): Record<string, unknown> {
  const line = svc.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === msg);
  if (!line) throw new Error(`no ${msg} line in:\n${svc.lines.join('\n')}`);
  return line;
}

describe('invalid configuration', () => {
  it.each([['PORT', 'abc'], ['LOG_LEVEL', 'loud'], ['SHUTDOWN_TIMEOUT_MS', '100']])('%s=%s exits 2 with one invalid_config line naming it', async (variable, bad) => {
    const svc = await spawn({ [variable]: bad });
    const { code } = await svc.exit;
    expect(code).toBe(2);
    expect(svc.lines).toHaveLength(1);
    expect(JSON.parse(svc.lines[0]!)).toMatchObject({ level: 'error', msg: 'invalid_config', variable, service: 'sample-service' });
    expect(svc.stderr()).toBe('');
  });
});

describe('graceful shutdown, D = 300 ms', () => {
  const env = { SHUTDOWN_DRAIN_DELAY_MS: '300', SHUTDOWN_TIMEOUT_MS: '5000', ADMIN_FLAGS_ENABLED: 'true' };

  it('turns readiness 503 on SIGTERM, keeps serving during the drain, and exits 0 when idle', async () => {
    const svc = await spawn(env);
    const port = await svc.port();
    await waitForStatus(port, '/readyz', 200, 5000);
    svc.child.kill('SIGTERM');
    // The drain (D = 300 ms) outlasts the flip by far; the bench measures how soon it flips.
    await waitForStatus(port, '/readyz', 503, 5000);
    const ready = await request(port, '/readyz');
    expect(ready.json).toEqual({ status: 'not_ready', reason: 'shutting_down', checks: {} });
    const live = await request(port, '/livez');
    expect(live.status).toBe(200);
    const root = await request(port, '/');
    expect(root.status).toBe(200);
    expect(root.headers.connection).toBe('close');
    const { code } = await svc.exit;
    expect(code).toBe(0);
    expect(logLine(svc, 'shutdown_complete').elapsed_ms).toEqual(expect.any(Number));
  });

  it('lets a 1 s in-flight request complete with 200, then exits 0; a second SIGTERM changes nothing', async () => {
    const svc = await spawn(env);
    const port = await svc.port();
    await waitForStatus(port, '/readyz', 200, 5000);
    const slow = inFlightRequest(port, '/admin/flags', 1000, '{"greeting":"in flight"}');
    await delay(100);
    svc.child.kill('SIGTERM');
    await delay(50);
    svc.child.kill('SIGTERM');
    const reply = await slow.done;
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ flags: { greeting: 'in flight' } });
    const { code } = await svc.exit;
    expect(code).toBe(0);
    expect(logLine(svc, 'shutdown_complete').elapsed_ms).toEqual(expect.any(Number));
    const msgs = svc.lines.map((l) => JSON.parse(l) as { msg: string });
    expect(msgs.filter((m) => m.msg === 'shutdown_begin')).toHaveLength(1);
    expect(msgs.some((m) => m.msg === 'shutdown_signal_ignored')).toBe(true);
  });

  it('closes idle keep-alive connections at D instead of waiting for their timeout', async () => {
    const svc = await spawn(env);
    const port = await svc.port();
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    await request(port, '/', { agent });
    svc.child.kill('SIGTERM');
    // The open keep-alive socket would hold the server for its 5 s timeout, past T = 5 s: a clean
    // exit 0 with shutdown_complete (not shutdown_timeout) shows it was closed at D.
    const { code } = await svc.exit;
    agent.destroy();
    expect(code).toBe(0);
    expect(logLine(svc, 'shutdown_complete').elapsed_ms).toEqual(expect.any(Number));
  });

  it('with T = 1500 ms and a 5 s request, gives up at T: shutdown_timeout, exit 1, the request cut off', async () => {
    const svc = await spawn({ ...env, SHUTDOWN_TIMEOUT_MS: '1500' });
    const port = await svc.port();
    await waitForStatus(port, '/readyz', 200, 5000);
    const stuck = inFlightRequest(port, '/admin/flags', 5000, '{"greeting":"too slow"}');
    const outcome = stuck.done.then(() => 'answered', () => 'connection closed');
    await delay(50);
    svc.child.kill('SIGTERM');
    const { code } = await svc.exit;
    stuck.abort();
    expect(code).toBe(1);
    const timeout = logLine(svc, 'shutdown_timeout');
    expect(timeout.level).toBe('error');
    expect(timeout.elapsed_ms).toEqual(expect.any(Number));
    expect(await outcome).toBe('connection closed');
  });

  it('SIGINT starts the same sequence', async () => {
    const svc = await spawn({ ...env, SHUTDOWN_DRAIN_DELAY_MS: '0' });
    await svc.port();
    svc.child.kill('SIGINT');
    expect((await svc.exit).code).toBe(0);
    expect(await svc.waitForLog('shutdown_begin')).toMatchObject({ signal: 'SIGINT' });
  });
});

describe('fatal errors', () => {
  it.each([
    ['uncaught_exception', 'process.on("SIGUSR2", () => { throw new Error("boom") })'],
    ['unhandled_rejection', 'process.on("SIGUSR2", () => { Promise.reject(new Error("boom")) })'],
  ])('%s: logs fatal on one line, drains with D = 0 and exits 1', async (kind, inject) => {
    // A module preloaded into the service's process fails on SIGUSR2, sent once the service is ready.
    const svc = spawnService({ PORT: String(await freePort()), SHUTDOWN_DRAIN_DELAY_MS: '5000' }, undefined, ['--import', `data:text/javascript,${encodeURIComponent(inject)}`]);
    children.push(svc);
    await svc.waitForLog('ready');
    svc.child.kill('SIGUSR2');
    const { code } = await svc.exit;
    expect(code).toBe(1);
    expect(logLine(svc, kind)).toMatchObject({ level: 'fatal', err: { name: 'Error', message: 'boom', stack: expect.stringContaining('boom') } });
    expect(logLine(svc, 'shutdown_begin')).toMatchObject({ signal: kind, drain_ms: 0 });
    expect(logLine(svc, 'shutdown_complete')).toBeDefined();
  });
});

describe('startup and readiness', () => {
  it('listens at once and says starting until the flags provider is initialised (or times out); /livez answers meanwhile', async () => {
    // A flagd "server" that accepts TCP connections and never speaks: the provider cannot become
    // ready, so readiness waits exactly for FLAGS_INIT_TIMEOUT_MS, then serves the default flags.
    const blackHole = createServer(() => undefined);
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    try {
      const flagdPort = String((blackHole.address() as { port: number }).port);
      const svc = await spawn({ FLAGS_PROVIDER: 'flagd', FLAGD_HOST: '127.0.0.1', FLAGD_PORT: flagdPort, FLAGS_INIT_TIMEOUT_MS: '1500', SHUTDOWN_DRAIN_DELAY_MS: '0' });
      const port = await svc.port();
      const early = await request(port, '/readyz');
      expect(early.status).toBe(503);
      expect(early.json).toEqual({ status: 'not_ready', reason: 'starting', checks: {} });
      expect((await request(port, '/livez')).status).toBe(200);
      expect((await request(port, '/')).json).toEqual({ message: 'Hello, World!' });
      await waitForStatus(port, '/readyz', 200, 5000);
      expect(await svc.waitForLog('flags_provider_not_ready')).toMatchObject({ level: 'warn', provider: 'flagd' });
      svc.child.kill('SIGTERM');
      expect((await svc.exit).code).toBe(0);
    } finally {
      blackHole.close();
    }
  });
});

describe('readiness dependency checks (TCP connect)', () => {
  let dependency: Server | undefined;
  let svc: InProcessService | undefined;
  afterEach(async () => {
    await svc?.stop();
    await new Promise((r) => (dependency?.listening ? dependency.close(r) : r(undefined)));
  });

  /** A dependency on 127.0.0.1 that accepts and drops connections; `port` 0 picks a free one. */
  async function listen(port = 0, onConnection: () => void = () => undefined): Promise<number> {
    dependency = createServer((socket) => { onConnection(); socket.destroy(); });
    await new Promise<void>((r) => dependency!.listen(port, '127.0.0.1', r));
    return (dependency.address() as { port: number }).port;
  }

  it('reports dependency_failed during an outage, and ready again after recovery; /livez never cares', async () => {
    const port = await listen();
    svc = await startInProcess({ READINESS_TCP_CHECKS: `db=127.0.0.1:${port}`, READINESS_CACHE_MS: '200', READINESS_CHECK_TIMEOUT_MS: '300' });
    expect((await request(svc.port, '/readyz')).json).toEqual({ status: 'ready', checks: { db: 'ok' } });
    await new Promise((r) => dependency!.close(r));
    // How soon after the outage (≤ cache + timeout) is measured in sample-service/bench/lifecycle.bench.ts.
    await waitForStatus(svc.port, '/readyz', 503, 10_000);
    const failed = await request(svc.port, '/readyz');
    expect(failed.json).toEqual({ status: 'not_ready', reason: 'dependency_failed', checks: { db: 'ECONNREFUSED' } });
    expect((await request(svc.port, '/livez')).status).toBe(200);
    await listen(port);
    await waitForStatus(svc.port, '/readyz', 200, 200 + 300 + 200);
  });

  it('shares one round of checks between concurrent probes (no probe storm against the dependency)', async () => {
    let connections = 0;
    const port = await listen(0, () => { connections++; });
    svc = await startInProcess({ READINESS_TCP_CHECKS: `db=127.0.0.1:${port}`, READINESS_CACHE_MS: '60000' });
    await Promise.all(Array.from({ length: 20 }, () => request(svc!.port, '/readyz')));
    expect(connections).toBe(1);
  });
});
