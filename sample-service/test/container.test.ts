/**
 * The image (README.md, "Image"): built from this
 * directory's Dockerfile with real Docker, then run hardened — read-only root filesystem, no
 * capabilities, no new privileges, UID 65532, no tmpfs — on the host network (loopback only).
 * Runs only when a Docker daemon is available (inside Trunkline, the local infra starts one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMTOOL_ALLOWLIST } from '../src/metrics/http-metrics.ts';
import { parseExposition, value } from './support/exposition.ts';
import { CONTAINER_LABEL, baseImages, docker, dockerAvailable, exportedPaths } from './support/docker.ts';
import { inFlightRequest, request, waitForStatus } from './support/http.ts';
import { promtoolAvailable, promtoolCheckMetrics } from './support/promtool.ts';
import { freePort, packageDir } from './support/service.ts';

let bases: { builder?: string; runtime?: string } = {};
const ready = await (async () => {
  try {
    bases = await baseImages();
  } catch (error) {
    console.warn(`container tests: no base images (${(error as Error).message})`);
  }
  return dockerAvailable();
})();

const image = `sample-service:test-${process.pid}`;
const HARDENED = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--user', '65532:65532'];
const started: string[] = [];

async function runContainer(env: Record<string, string>, extra: string[] = HARDENED): Promise<{ id: string; port: number }> {
  const port = await freePort();
  const envArgs = Object.entries({ PORT: String(port), ...env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const { stdout } = await docker(['run', '-d', '--network', 'host', '--label', CONTAINER_LABEL, ...extra, ...envArgs, image]);
  const id = stdout.trim();
  started.push(id);
  return { id, port };
}

async function inspect(id: string, format: string): Promise<string> {
  return (await docker(['inspect', '--format', format, id])).stdout.trim();
}

describe.runIf(ready)('container image', () => {
  beforeAll(async () => {
    const args = ['build', '--network', 'host', '-q', '-t', image, '--build-arg', 'APP_VERSION=v0.0.0-test', '--build-arg', 'GIT_SHA=0123abc'];
    if (bases.builder) args.push('--build-arg', `BUILDER_IMAGE=${bases.builder}`);
    if (bases.runtime) args.push('--build-arg', `RUNTIME_IMAGE=${bases.runtime}`);
    await docker([...args, packageDir], { timeoutMs: 600_000 });
  });
  afterAll(async () => {
    if (started.length) await docker(['rm', '-f', ...started], { allowFailure: true });
    await docker(['rmi', '-f', image], { allowFailure: true });
  });

  it('runs as 65532:65532, exec-form node entrypoint, port 8080, OCI labels and build info baked in', async () => {
    const config = JSON.parse(await inspect(image, '{{json .Config}}')) as {
      User: string; Entrypoint: string[]; Cmd: string[]; ExposedPorts: Record<string, unknown>; Labels: Record<string, string>; Env: string[];
    };
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['/nodejs/bin/node']);
    expect(config.Cmd).toEqual(['/app/server.mjs']);
    expect(Object.keys(config.ExposedPorts)).toEqual(['8080/tcp']);
    expect(config.Labels).toMatchObject({ 'org.opencontainers.image.version': 'v0.0.0-test', 'org.opencontainers.image.revision': '0123abc' });
    expect(config.Env).toEqual(expect.arrayContaining(['APP_VERSION=v0.0.0-test', 'GIT_SHA=0123abc']));
  });

  it('adds exactly one file to the runtime base: the bundle (no node_modules), well under 15 MB', async () => {
    const list = async (ref: string): Promise<Set<string>> => {
      const id = (await docker(['create', '--label', CONTAINER_LABEL, ref])).stdout.trim();
      try {
        return new Set((await exportedPaths(id)).map((f) => f.replace(/\/$/, '')));
      } finally {
        await docker(['rm', '-f', id], { allowFailure: true });
      }
    };
    const runtime = bases.runtime ?? 'gcr.io/distroless/nodejs24-debian12:nonroot';
    const [ours, base] = await Promise.all([list(image), list(runtime)]);
    const added = [...ours].filter((f) => !base.has(f)).sort();
    expect(added).toEqual(['/app', '/app/server.mjs']);
    const size = async (ref: string) => Number(await inspect(ref, '{{.Size}}'));
    const delta = (await size(image)) - (await size(runtime));
    expect(delta).toBeLessThan(15 * 1024 * 1024);
  });

  it('has no shell: docker run --entrypoint sh fails', async () => {
    for (const shell of ['sh', '/bin/sh', 'bash']) {
      const result = await docker(['run', '--rm', '--label', CONTAINER_LABEL, '--network', 'none', '--entrypoint', shell, image, '-c', 'true'], { allowFailure: true });
      expect([shell, result.code]).not.toEqual([shell, 0]);
    }
  });

  it('starts hardened (read-only root, no capabilities, no tmpfs, UID 65532) and serves the contract', async () => {
    const { id, port } = await runContainer({ ENABLE_METRICS: 'true' });
    await waitForStatus(port, '/readyz', 200, 10_000);
    expect((await request(port, '/')).json).toEqual({ message: 'Hello, World!' });
    // Log lines are coalesced for up to 50 ms: wait for the first one.
    let stdout = '';
    for (let i = 0; i < 50 && !stdout.includes('\n'); i++) {
      stdout = (await docker(['logs', id])).stdout;
      if (!stdout.includes('\n')) await new Promise((r) => setTimeout(r, 50));
    }
    const logs = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs[0]).toMatchObject({ msg: 'listening', uid: 65532, version: 'v0.0.0-test' });
    expect(await inspect(id, '{{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.CapDrop}} {{json .HostConfig.Tmpfs}}')).toBe('true ["ALL"] null');

    const metrics = await request(port, '/metrics');
    const scrape = parseExposition(metrics.body);
    expect(value(scrape, 'http_requests_total', { handler: '/', method: 'GET', status: '200' })).toBe(1);
    expect([...scrape.samples.keys()].some((k) => k.startsWith('sample_service_build_info{') && k.includes('version="v0.0.0-test"') && k.includes('revision="0123abc"'))).toBe(true);
    if (promtoolAvailable()) {
      const lint = promtoolCheckMetrics(metrics.body);
      expect(lint.problems.map((p) => p.split(' ')[0]).sort()).toEqual([...PROMTOOL_ALLOWLIST].sort());
    }
  });

  it('docker stop: readiness 503, the in-flight request completes, exit 0 after the drain', async () => {
    const { id, port } = await runContainer({ SHUTDOWN_DRAIN_DELAY_MS: '2000', ADMIN_FLAGS_ENABLED: 'true' });
    await waitForStatus(port, '/readyz', 200, 10_000);
    const slow = inFlightRequest(port, '/admin/flags', 1000, '{"greeting":"finished during drain"}');
    await new Promise((r) => setTimeout(r, 100));
    const stop = docker(['stop', '-t', '15', id]);
    // docker stop → daemon → SIGTERM → readiness 503 during the 2 s drain (how soon: lifecycle.bench.ts).
    await waitForStatus(port, '/readyz', 503, 10_000);
    const reply = await slow.done;
    expect(reply.status).toBe(200);
    await stop;
    expect(await inspect(id, '{{.State.ExitCode}}')).toBe('0');
    const lines = (await docker(['logs', id])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; elapsed_ms?: number });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutdown_begin', 'shutdown_complete']));
  });

  it('exits 2 naming the variable on invalid configuration', async () => {
    const { id } = await runContainer({ PORT: 'abc' });
    const code = (await docker(['wait', id])).stdout.trim();
    expect(code).toBe('2');
    const line = JSON.parse((await docker(['logs', id])).stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', msg: 'invalid_config', variable: 'PORT' });
  });
});
