import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from '../../src/adapters/docker.ts';
import { httpGet } from '../../src/adapters/http-probe.ts';
import { freePort } from '../../src/adapters/free-port.ts';

/** Behaviours of the fixture server (images/fixture-server.mjs), one image each. */
export const FIXTURE_MODES = ['good', 'crash', 'never-ready', 'malformed', 'ignore-sigterm', 'defaults'] as const;
export type FixtureMode = (typeof FIXTURE_MODES)[number];

export const fixtureServer = join(import.meta.dirname, 'images', 'fixture-server.mjs');

/**
 * Builds one image per fixture mode FROM the local runtime image (no shell, UID 65532), with the
 * legacy builder and `--network host` (the build needs no network of its own). Layers are shared, so this takes seconds.
 * Returns mode → image name.
 */
export async function buildFixtureImages(runtimeImage: string): Promise<Record<FixtureMode, string>> {
  const context = mkdtempSync(join(tmpdir(), 'vm-fixture-'));
  try {
    copyFileSync(join(import.meta.dirname, 'images', 'Dockerfile'), join(context, 'Dockerfile'));
    copyFileSync(fixtureServer, join(context, 'fixture-server.mjs'));
    // Real prom-client 15.1.3 default metrics, recorded in the parser corpus.
    copyFileSync(join(import.meta.dirname, 'fixtures', 'accept-prom-client-defaults.prom'), join(context, 'prom-client-defaults.prom'));
    const images = {} as Record<FixtureMode, string>;
    for (const mode of FIXTURE_MODES) {
      const tag = `trunkline-test/vm-fixture:${mode}`;
      await docker(['build', '--network', 'host', '-q', '--build-arg', `RUNTIME_IMAGE=${runtimeImage}`, '--build-arg', `MODE=${mode}`, '-t', tag, context], {
        env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 180_000,
      });
      images[mode] = tag;
    }
    return images;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Modes that only make sense for a host-run server in base-url mode. */
export type HostFixtureMode = FixtureMode | 'probe-500' | 'json-metrics' | 'duplicate';

/** True once `GET http://127.0.0.1:<port>/livez` answers (any status); false after 100 tries 100 ms apart. */
export async function livezAnswers(port: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      await httpGet(`http://127.0.0.1:${port}/livez`, { timeoutMs: 500 });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}

/**
 * Runs the fixture server on the host (this Node 24) on a free loopback port, for base-url mode.
 * Resolves once `/livez` answers; `stop()` sends SIGTERM and waits for the exit.
 */
export async function startHostFixture(mode: HostFixtureMode, env: Record<string, string> = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [fixtureServer], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ENABLE_METRICS: 'true', FIXTURE_MODE: mode, ...env },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => { child.kill('SIGTERM'); await exited; };
  if (await livezAnswers(port)) return { url: `http://127.0.0.1:${port}`, stop };
  await stop();
  throw new Error(`the host-run fixture server (${mode}) did not start`);
}
