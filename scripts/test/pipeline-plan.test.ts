// The reusable pipeline's `plan` job is the one place that decides, per event, whether images are
// published and a GitOps PR is opened, and that turns the `services` input into the matrix. These
// tests run that job's real bash script (cut out of trunk-pipeline.yml) with bash and jq, as the
// runner would, and read its GITHUB_OUTPUT back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/test/support/paths.ts';

interface Step { id?: string; run?: string; env?: Record<string, string> }
const workflow = parse(readFileSync(join(repoRoot, '.github', 'workflows', 'trunk-pipeline.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
const planStep = workflow.jobs.plan!.steps.find((s) => s.id === 'plan')!;
const dir = mkdtempSync(join(tmpdir(), 'trunkline-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Defaults a caller gets (mirrors the workflow_call defaults) for a push to main of acme/app. */
const base: Record<string, string> = {
  EVENT_NAME: 'push', GIT_REF: 'refs/heads/main', DEFAULT_BRANCH: 'main', REPOSITORY: 'acme/app', HEAD_REPOSITORY: '',
  SERVICE_DIRECTORY: '.', SERVICES: '', IMAGE_REPOSITORY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app',
  REGISTRY_TYPE: 'ecr', AWS_ROLE: 'arn:aws:iam::123456789012:role/publish', AWS_REGION_INPUT: 'eu-west-1',
  PR_PREVIEWS: 'true', FLUX_REPOSITORY: '', FLUX_FILES: '', GITOPS_APP_ID: '', HAS_GITOPS_TOKEN: 'false', HAS_GITOPS_APP_KEY: 'false',
};

let runCount = 0;
function plan(env: Record<string, string>): { status: number | null; outputs: Record<string, string>; stdout: string } {
  // Every env key the script reads comes from the workflow's env: block; a test may not invent one.
  for (const key of Object.keys(env)) expect(Object.keys(planStep.env ?? {}), `env ${key}`).toContain(key);
  const output = join(dir, `output-${runCount++}`);
  writeFileSync(output, '');
  const r = spawnSync('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', planStep.run!], {
    env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, ...base, ...env }, encoding: 'utf8',
  });
  const outputs = Object.fromEntries(readFileSync(output, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { status: r.status, outputs, stdout: r.stdout };
}

describe('trunk-pipeline plan job', () => {
  it('declares exactly the environment the tests feed it', () => {
    expect(Object.keys(planStep.env ?? {}).sort()).toEqual(Object.keys(base).sort());
  });

  it('push to the default branch: publish, and deliver only when a Flux repository is set', () => {
    const plain = plan({});
    expect(plain.status).toBe(0);
    expect(plain.outputs).toMatchObject({ publish: 'true', deliver: 'false' });
    expect(JSON.parse(plain.outputs.matrix!)).toEqual({ include: [{ service: 'service', directory: '.', image: base.IMAGE_REPOSITORY }] });
    const flux = plan({ FLUX_REPOSITORY: 'acme/fleet', FLUX_FILES: 'apps/*/release.yaml', HAS_GITOPS_TOKEN: 'true' });
    expect(flux.outputs).toMatchObject({ publish: 'true', deliver: 'true' });
  });

  it('pull requests publish previews only from the same repository; forks and opted-out callers verify only', () => {
    const pr = { EVENT_NAME: 'pull_request', GIT_REF: 'refs/pull/7/merge', HEAD_REPOSITORY: 'acme/app', FLUX_REPOSITORY: 'acme/fleet', FLUX_FILES: 'x.yaml', HAS_GITOPS_TOKEN: 'true' };
    expect(plan(pr).outputs).toMatchObject({ publish: 'true', deliver: 'false' });
    expect(plan({ ...pr, HEAD_REPOSITORY: 'mallory/app' }).outputs).toMatchObject({ publish: 'false', deliver: 'false' });
    expect(plan({ ...pr, PR_PREVIEWS: 'false' }).outputs).toMatchObject({ publish: 'false', deliver: 'false' });
  });

  it('v* tags publish versions without a GitOps PR; other branches only verify', () => {
    expect(plan({ GIT_REF: 'refs/tags/v1.4.0', FLUX_REPOSITORY: 'acme/fleet', FLUX_FILES: 'x.yaml', HAS_GITOPS_TOKEN: 'true' }).outputs).toMatchObject({ publish: 'true', deliver: 'false' });
    expect(plan({ GIT_REF: 'refs/heads/feature/x' }).outputs).toMatchObject({ publish: 'false', deliver: 'false' });
  });

  it('fans a monorepo out into one matrix leg per service, each with its own repository', () => {
    const r = plan({ SERVICES: '["services/api", {"directory": "services/worker/", "name": "jobs"}, {"directory": "web", "image": "ghcr.io/acme/site"}]' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.outputs.matrix!).include).toEqual([
      { service: 'api', directory: 'services/api', image: `${base.IMAGE_REPOSITORY}/api` },
      { service: 'jobs', directory: 'services/worker', image: `${base.IMAGE_REPOSITORY}/jobs` },
      { service: 'web', directory: 'web', image: 'ghcr.io/acme/site' },
    ]);
  });

  it.each([
    [{ REGISTRY_TYPE: 'gcr' }, 'input "registry-type" must be ecr or other'],
    [{ AWS_ROLE: '' }, 'set "aws-role-to-assume" and "aws-region"'],
    [{ IMAGE_REPOSITORY: 'Acme/App' }, 'input "image-repository" must be a lowercase repository'],
    [{ SERVICES: '{"directory": "api"}' }, 'input "services" must be a JSON array'],
    [{ SERVICES: '["../etc"]' }, 'must be a relative path without ..'],
    [{ SERVICES: '["a/api", "b/api"]' }, 'service names must be unique'],
    [{ FLUX_REPOSITORY: 'fleet' }, 'input "flux-repository" must be owner/name'],
    [{ FLUX_REPOSITORY: 'acme/fleet' }, 'input "flux-files" is required'],
    [{ FLUX_REPOSITORY: 'acme/fleet', FLUX_FILES: 'x.yaml' }, 'needs a token'],
    [{ FLUX_REPOSITORY: 'acme/fleet', FLUX_FILES: 'x.yaml', GITOPS_APP_ID: '42' }, 'secret "gitops-app-private-key" is empty'],
  ])('rejects %o before any job runs, naming the input', (env, message) => {
    const r = plan(env);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(message);
    expect(r.outputs.publish).toBeUndefined();
  });
});
