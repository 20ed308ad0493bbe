import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guessRepoConfig, serviceName } from '../../src/domain/init-detect.ts';
import { parseRepoConfig } from '../../src/domain/repo-config.ts';
import { runCli } from '../support/cli.ts';
import { writeFiles } from '../bump/git-repo.ts';
import { scratchDirs } from '../support/scratch.ts';

const tempDir = scratchDirs();

const HELMRELEASE = (name: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: ${name} }
spec:
  values:
    image: { repository: 127.0.0.1:5000/${name}, tag: "0.1.0" }
`;

const MONOREPO = {
  'services/api/Dockerfile': 'FROM scratch\nEXPOSE 8080\n',
  'services/api/package.json': '{"scripts":{"lint":"eslint ."}}',
  'services/static/Dockerfile': 'FROM scratch\nEXPOSE 9090/tcp\n',
  'services/web/Dockerfile': 'FROM scratch\n',
  'services/web/test/fixtures/Dockerfile': 'FROM scratch\n',
  'deploy/flux/apps/api/helmrelease.yaml': HELMRELEASE('api'),
  'deploy/flux/apps/static/helmrelease.yaml': HELMRELEASE('static'),
  'deploy/flux/apps/web/values.yaml': 'image:\n  repository: ghcr.io/acme/web\n  tag: "1"\n',
  'deploy/flux/README.md': '# not yaml',
};

function guessFor(files: Record<string, string>, repoName = 'repo') {
  return guessRepoConfig({ files: Object.keys(files).sort(), read: (p) => files[p as keyof typeof files], repoName });
}

describe('guessRepoConfig', () => {
  it('one service per Dockerfile, with its port, lint script and GitOps files; the seed is the Flux root above apps/', () => {
    const { text, guesses } = guessFor(MONOREPO);
    const cfg = parseRepoConfig(text, 'trunkline.yaml', '/repo');
    expect(cfg.gitops.seed).toBe('deploy/flux');
    expect(cfg.services.map((s) => [s.name, s.context, s.inputs['verify-metrics']['container-port'], s.inputs.bump.files, s.inputs.build['lint-command']])).toEqual([
      ['api', 'services/api', '8080', 'apps/api/helmrelease.yaml', 'npm run lint'],
      ['static', 'services/static', '9090', 'apps/static/helmrelease.yaml', undefined],
      ['web', 'services/web', undefined, 'apps/web/values.yaml', undefined],
    ]);
    expect(guesses).toContain('service "web": probe on port 8080 (the default; no EXPOSE found), readiness /readyz, metrics /metrics — set verify-metrics.metrics: false if it has none');
    expect(text).toContain('# guessed: service "api": bumps deploy/flux/apps/api/helmrelease.yaml (a Flux HelmRelease naming image 127.0.0.1:5000/api)');
  });

  it('a repository without Dockerfile gets one root service, and says so', () => {
    const { text, guesses } = guessFor({ 'README.md': '' }, 'My Repo');
    expect(parseRepoConfig(text, 'trunkline.yaml', '/r').services.map((s) => [s.name, s.context])).toEqual([['my-repo', '.']]);
    expect(guesses[0]).toMatch(/^found no Dockerfile/);
    expect(guesses).toContain('service "my-repo": found no HelmRelease or values file for it — add bump.files');
  });

  it.each([['Web_API', 'web_api'], ['..x', 'x'], ['$$$', 'app'], ['Über', 'ber']])('service name %s → %s', (input, name) => {
    expect(serviceName(input)).toBe(name);
  });
});

describe('trunkline init', () => {
  it('writes trunkline.yaml at the git root from a subdirectory, prints the guesses, and the file loads', async () => {
    const root = tempDir('tl-init-');
    mkdirSync(join(root, '.git'));
    writeFiles(root, MONOREPO);
    const run = await runCli(['init'], { cwd: join(root, 'services') });
    expect(run.code, run.out).toBe(0);
    expect(run.stdout).toContain('- service "static": probe on port 9090 (EXPOSE in its Dockerfile)');
    const text = readFileSync(join(root, 'trunkline.yaml'), 'utf8');
    expect(parseRepoConfig(text, 'trunkline.yaml', root).services).toHaveLength(3);
  });

  it('refuses to overwrite an existing trunkline.yaml and leaves it untouched', async () => {
    const root = tempDir('tl-init-');
    writeFileSync(join(root, 'trunkline.yaml'), '# mine\n');
    writeFiles(root, { 'Dockerfile': 'FROM scratch\n' });
    const run = await runCli(['init', '--dir', root]);
    expect(run.code).toBe(1);
    expect(run.out).toContain('already exists; trunkline init never overwrites it');
    expect(readFileSync(join(root, 'trunkline.yaml'), 'utf8')).toBe('# mine\n');
  });

  it('takes no arguments', async () => {
    const root = tempDir('tl-init-');
    const run = await runCli(['init', 'here'], { cwd: root });
    expect(run.code).toBe(2);
    expect(existsSync(join(root, 'trunkline.yaml'))).toBe(false);
  });
});
