import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from '../../src/adapters/docker.ts';

/** Behaviours of the fixture server (images/fixture-server.mjs), one image each. */
export const FIXTURE_MODES = ['good', 'crash', 'never-ready', 'malformed', 'ignore-sigterm', 'defaults'] as const;
export type FixtureMode = (typeof FIXTURE_MODES)[number];

export const fixtureServer = join(import.meta.dirname, 'images', 'fixture-server.mjs');

/**
 * Builds one image per fixture mode FROM the local runtime image (no shell, UID 65532), with the
 * legacy builder and `--network host` (local-infra.md). Layers are shared, so this takes seconds.
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
