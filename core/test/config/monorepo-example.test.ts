// examples/monorepo: its trunkline.yaml loads, init guesses the same layout, and with real docker
// each service builds on the local base images and passes its own probe from the config.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../../src/adapters/docker.ts';
import { freePort } from '../../src/adapters/free-port.ts';
import { listRepoFiles, readRepoConfig, readSmallText } from '../../src/adapters/repo-files.ts';
import { guessRepoConfig } from '../../src/domain/init-detect.ts';
import { parseRepoConfig } from '../../src/domain/repo-config.ts';
import type { RepoConfig } from '../../src/domain/repo-config.ts';
import { verifyMetricsConfigFromInputs } from '../../src/domain/verify-metrics-config.ts';
import { ensureBusyboxImage } from '../../src/local/base-images.ts';
import { createConsoleLogger, createMemoryLogger } from '../../src/report/logger.ts';
import { runVerifyMetrics } from '../../src/stages/verify-metrics.ts';
import { prepareDocker } from '../support/infra.ts';
import { repoRoot } from '../support/paths.ts';
import { scratchDirs } from '../support/scratch.ts';

const example = join(repoRoot, 'examples', 'monorepo');
const tempDir = scratchDirs();

describe('examples/monorepo/trunkline.yaml', () => {
  const cfg: RepoConfig = readRepoConfig(join(example, 'trunkline.yaml'));

  it('loads: three services with their own ports, one without metrics, each with a Dockerfile and its Flux file', () => {
    expect(cfg.services.map((s) => [s.name, s.inputs['verify-metrics']['container-port'], s.metrics, s.paths])).toEqual([
      ['api', '8080', true, ['services/api/**']],
      ['static', '9090', true, ['services/static/**']],
      ['web', '3000', false, ['services/web/**']],
    ]);
    for (const s of cfg.services) {
      expect(existsSync(join(example, s.dockerfile)), s.dockerfile).toBe(true);
      expect(existsSync(join(example, cfg.gitops.seed!, s.inputs.bump.files!)), s.inputs.bump.files).toBe(true);
    }
  });

  it('trunkline init on the same tree guesses the same contexts, ports and Flux files', () => {
    const copy = tempDir('tl-monorepo-');
    cpSync(example, copy, { recursive: true });
    rmSync(join(copy, 'trunkline.yaml'));
    const guess = guessRepoConfig({ files: listRepoFiles(copy), read: (p) => readSmallText(copy, p), repoName: 'monorepo' });
    const guessed = parseRepoConfig(guess.text, 'trunkline.yaml', copy);
    expect(guessed.gitops.seed).toBe(cfg.gitops.seed);
    expect(guessed.services.map((s) => [s.name, s.context, s.inputs['verify-metrics']['container-port'], s.inputs.bump.files])).toEqual(
      cfg.services.map((s) => [s.name, s.context, s.inputs['verify-metrics']['container-port'], s.inputs.bump.files]),
    );
  });
});

describe('examples/monorepo services on real docker', () => {
  const cfg = readRepoConfig(join(example, 'trunkline.yaml'));
  const image = (name: string): string => `trunkline-test/monorepo-${name}:probe`;
  beforeAll(async () => {
    const { runtime } = await prepareDocker();
    const busybox = await ensureBusyboxImage(createConsoleLogger({ prefix: 'test-infra' }));
    for (const s of cfg.services) {
      await docker(['build', '--network', 'host', '-q', '--build-arg', `RUNTIME_IMAGE=${runtime}`, '--build-arg', `BUSYBOX_IMAGE=${busybox}`,
        '-f', join(example, s.dockerfile), '-t', image(s.name), join(example, s.context)], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 300_000 });
    }
  }, 600_000);

  it.each(['api', 'static'])('%s passes its own probe (port, paths, expectations from trunkline.yaml) and stops cleanly', async (name) => {
    const service = cfg.services.find((s) => s.name === name)!;
    const probe = verifyMetricsConfigFromInputs(
      { ...service.inputs['verify-metrics'], image: image(name), network: 'host', env: 'HOST=127.0.0.1' },
      { runId: `monorepo-${process.pid}`, outputDir: tempDir('tl-monorepo-probe-') },
    );
    const result = await runVerifyMetrics(probe, createMemoryLogger());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('passed');
    expect(service.cleanExitCodes).toContain(result.outputs['shutdown-exit-code']);
  });

  it('web (no metrics) answers its readiness path', async () => {
    const web = cfg.services.find((s) => s.name === 'web')!;
    const port = await freePort();
    const id = (await docker(['run', '-d', '--rm', '--network', 'host', '-e', `PORT=${port}`, '-e', 'HOST=127.0.0.1', image('web')])).stdout.trim();
    try {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}${web.inputs['verify-metrics']['readiness-path']}`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    } finally {
      await docker(['stop', '-t', '5', id], { allowFailure: true });
    }
  });
});
