import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBuild } from '../../src/stages/build.ts';
import type { BuildConfig } from '../../src/stages/build.ts';
import { detectBuilder, imageId, imageLabels } from '../../src/adapters/docker-build.ts';
import { readGitInfo } from '../../src/adapters/git-info.ts';
import { docker } from '../../src/adapters/docker.ts';
import { eventContextFromGithub } from '../../src/domain/event-context.ts';
import { run } from '../../src/adapters/process.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { prepareDocker, startRegistry } from '../support/infra.ts';
import type { LocalRegistry } from '../support/infra.ts';
import { makeServiceRepo } from './git-fixture.ts';
import { example } from './webhook-examples.ts';

// Real dockerd, real git, real registry. Every image this file makes is under this repository
// name and removed afterwards.
const REPO = `trunkline-test/build-stage-${process.pid}`;
let runtime: string;
let repo: Awaited<ReturnType<typeof makeServiceRepo>>;
let firstSha: string;

beforeAll(async () => {
  ({ runtime } = await prepareDocker());
  repo = await makeServiceRepo();
  firstSha = await repo.commit('hello.txt', 'hello\n', '2024-05-01T12:00:00Z');
});

afterAll(async () => {
  const listed = await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', REPO], { allowFailure: true });
  const refs = listed.stdout.split('\n').filter(Boolean);
  if (refs.length) await docker(['image', 'rm', '--force', ...refs], { allowFailure: true });
  if (repo) rmSync(repo.dir, { recursive: true, force: true });
});

function config(extra: Partial<BuildConfig> = {}): BuildConfig {
  return { context: repo.dir, image: REPO, buildArgs: { RUNTIME_IMAGE: runtime }, network: 'host', ...extra };
}

describe('runBuild on this machine (real docker)', () => {
  it('builds with the detected builder, tags from the checkout, labels from the commit; a rebuild gives the same image ID', async () => {
    const log = createMemoryLogger();
    const first = await runBuild(config(), log);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('passed');
    const builder = await detectBuilder();
    expect(first.notes[0]).toMatch(new RegExp(`^Built with the ${builder.kind} builder`));
    expect(first.outputs.tags).toEqual([`sha-${firstSha.slice(0, 7)}`, 'latest']);
    expect(first.outputs['image-ref']).toBe(`${REPO}:sha-${firstSha.slice(0, 7)}`);
    const id = first.outputs['image-id']!;
    expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
    // What docker holds under each tag is the image the stage reported.
    for (const tag of first.outputs.tags) expect(await imageId(`${REPO}:${tag}`)).toBe(id);
    const labels = await imageLabels(first.outputs['image-ref']);
    expect(labels).toMatchObject({
      'org.opencontainers.image.created': '2024-05-01T12:00:00Z',
      'org.opencontainers.image.revision': firstSha,
      'org.opencontainers.image.version': `sha-${firstSha.slice(0, 7)}`,
    });
    expect(first.outputs.json['source-date-epoch']).toBe(Date.parse('2024-05-01T12:00:00Z') / 1000);
    expect(first.summaryMarkdown).toMatch(new RegExp(`\\| \`latest\` \\| push to the default branch main \\|`));

    const again = await runBuild(config(), createMemoryLogger());
    expect(again.status).toBe('passed');
    expect(again.outputs['image-id']).toBe(id);

    // A new commit is a new image (the test would pass vacuously if every build gave one ID).
    const second = await repo.commit('hello.txt', 'hello again\n', '2024-05-02T08:30:00Z');
    const changed = await runBuild(config(), createMemoryLogger());
    expect(changed.outputs.tag).toBe(`sha-${second.slice(0, 7)}`);
    expect(changed.outputs['image-id']).not.toBe(id);
    expect((await imageLabels(changed.outputs['image-ref']))['org.opencontainers.image.created']).toBe('2024-05-02T08:30:00Z');
  });

  it('tags a pull_request build from the real payload; both SHAs land in the image labels', async () => {
    const head = (await readGitInfo(repo.dir))!.sha;
    const payload = example('pull_request', 'synchronize');
    (payload.pull_request as { head: { sha: string } }).head.sha = head;
    const event = eventContextFromGithub('pull_request', payload, 'refs/pull/2/merge', head);
    const r = await runBuild(config({ event }), createMemoryLogger());
    expect(r.status).toBe('passed');
    expect(r.outputs.tags).toEqual(['pr-2', `sha-${head.slice(0, 7)}`]);
    const labels = await imageLabels(`${REPO}:pr-2`);
    expect(labels['dev.trunkline.pr.head-sha']).toBe(head);
    expect(labels['dev.trunkline.pr.merge-sha']).toBe(head);
    expect(labels['org.opencontainers.image.source']).toBe('https://github.com/Codertocat/Hello-World');
  });

  it('passes APP_VERSION/GIT_SHA only to a Dockerfile that declares them, no unconsumed SOURCE_DATE_EPOCH; source label from the git remote', async () => {
    writeFileSync(join(repo.dir, 'Dockerfile.version'), [
      'ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot',
      'FROM ${RUNTIME_IMAGE}',
      'ARG APP_VERSION=unknown',
      'ARG GIT_SHA=unknown',
      'ENV APP_VERSION=${APP_VERSION} GIT_SHA=${GIT_SHA}',
      'COPY hello.txt /srv/hello.txt',
      '',
    ].join('\n'));
    await run('git', ['-C', repo.dir, 'remote', 'add', 'origin', 'https://token@github.com/acme/app.git']);
    try {
      const log = createMemoryLogger();
      const r = await runBuild(config({ dockerfile: join(repo.dir, 'Dockerfile.version'), tagPolicy: { tag: 'v-app-version' } }), log);
      expect(r.error).toBeUndefined();
      const inspected = await docker(['image', 'inspect', '--format', '{{json .Config.Env}}', r.outputs['image-ref']]);
      const env = JSON.parse(inspected.stdout) as string[];
      expect(env).toContain('APP_VERSION=v-app-version');
      expect(env).toContain(`GIT_SHA=${r.outputs.json.event.sha}`);
      // The classic builder warns "[Warning] One or more build-args [...] were not consumed" for undeclared args.
      expect(log.lines.join('\n')).not.toMatch(/not consumed/);
      expect(await imageLabels(r.outputs['image-ref'])).toMatchObject({ 'org.opencontainers.image.source': 'https://github.com/acme/app', 'org.opencontainers.image.version': 'v-app-version' });
    } finally {
      await run('git', ['-C', repo.dir, 'remote', 'remove', 'origin']);
    }
  });

  it('a failing lint command stops the stage before the build, keeping the tag outputs', async () => {
    const tag = 'lint-must-not-build';
    const r = await runBuild(config({ tagPolicy: { tag }, lintCommand: [process.execPath, '-e', 'console.log("src/a.ts(1,1): error TS1000: bad"); process.exit(3)'] }), createMemoryLogger());
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/exited with code 3/);
    expect(r.outputs.tag).toBe(tag);
    expect(r.outputs['image-id']).toBeUndefined();
    expect(await imageId(`${REPO}:${tag}`)).toBeUndefined();
  });

  it('a failing Dockerfile fails the stage with the builder\'s message, outputs kept', async () => {
    const broken = join(repo.dir, 'Broken.Dockerfile');
    writeFileSync(broken, `FROM ${runtime}\nCOPY does-not-exist /x\n`);
    const r = await runBuild(config({ dockerfile: broken }), createMemoryLogger());
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^docker build failed: .*does-not-exist/s);
    expect(r.outputs.image).toBe(REPO);
    rmSync(broken);
  });

  it('buildx asked for but absent is refused with the install hint; auto falls back (this machine has no buildx)', async (ctx) => {
    const detected = await detectBuilder();
    if (detected.kind === 'buildx') ctx.skip(); // a machine with buildx: covered by the first test
    const result = await runBuild(config({ builder: 'buildx' }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/builder "buildx" was asked for but `docker buildx version` fails: install the buildx plugin/);
  });

  // Debian's docker.io client (20.10) runs BuildKit built in: the second real builder here.
  const debianClient = '/usr/bin/docker';
  it.skipIf(!existsSync(debianClient))('with a pre-23 client, auto picks BuildKit; a rebuild gives the same image ID', async (ctx) => {
    const saved = process.env.TRUNKLINE_DOCKER;
    process.env.TRUNKLINE_DOCKER = debianClient;
    try {
      const builder = await detectBuilder();
      if (builder.kind !== 'buildkit') ctx.skip(); // that client is 23+ on this machine: nothing to show
      const first = await runBuild(config({ tagPolicy: { tag: 'buildkit' } }), createMemoryLogger());
      expect(first.error).toBeUndefined();
      expect(first.notes[0]).toMatch(/^Built with the buildkit builder \(Docker client 2\d\./);
      const again = await runBuild(config({ tagPolicy: { tag: 'buildkit' } }), createMemoryLogger());
      expect(again.outputs['image-id']).toBe(first.outputs['image-id']);
      expect((await imageLabels(`${REPO}:buildkit`))['org.opencontainers.image.revision']).toBe((await readGitInfo(repo.dir))!.sha);
    } finally {
      if (saved === undefined) delete process.env.TRUNKLINE_DOCKER; else process.env.TRUNKLINE_DOCKER = saved;
    }
  });

  describe('with a registry', () => {
    let registry: LocalRegistry;
    beforeAll(async () => { registry = await startRegistry(); });
    afterAll(async () => { await registry?.stop(); });

    it('push: true pushes every tag and outputs the digest the registry serves', async () => {
      const image = `${registry.host}/build-stage`;
      const r = await runBuild(config({ image, push: true }), createMemoryLogger());
      expect(r.error).toBeUndefined();
      const digest = r.outputs.digest!;
      expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      for (const tag of r.outputs.tags) {
        const head = await fetch(`http://${registry.host}/v2/build-stage/manifests/${tag}`, {
          method: 'HEAD',
          headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
        });
        expect(head.status).toBe(200);
        expect(head.headers.get('docker-content-digest')).toBe(digest);
      }
      await docker(['image', 'rm', '--force', ...r.outputs.tags.map((t) => `${image}:${t}`)], { allowFailure: true });
    });
  });
});

describe('bad input fails the stage (never throws) before any build, naming the input', () => {
  // With docker pointed at a program that does not exist, any docker call would fail with
  // "could not start": an InputError proves validation ran first.
  let saved: string | undefined;
  beforeAll(() => { saved = process.env.TRUNKLINE_DOCKER; process.env.TRUNKLINE_DOCKER = '/nonexistent/docker'; });
  afterAll(() => { if (saved === undefined) delete process.env.TRUNKLINE_DOCKER; else process.env.TRUNKLINE_DOCKER = saved; });

  it.each<[string, Partial<BuildConfig>, string, RegExp]>([
    ['uppercase repository', { image: '127.0.0.1:5000/Sample-Service' }, 'image', /must be lowercase/],
    ['a tag in the image', { image: '127.0.0.1:5000/app:1.0' }, 'image', /without tag or digest/],
    ['129-character tag', { tagPolicy: { tag: 'a'.repeat(129) } }, 'tag', /129 characters long \(at most 128\)/],
    ['tag with ;', { tagPolicy: { tag: 'v1;rm -rf /' } }, 'tag', /contains ";"/],
    ['tag with a newline', { tagPolicy: { tag: 'v1\nNODE_OPTIONS=--require=/tmp/p' } }, 'tag', /single tag on one line/],
    ['missing Dockerfile', { dockerfile: 'nope/Dockerfile' }, 'dockerfile', /"nope\/Dockerfile" does not exist/],
    ['missing context', { context: '/nonexistent/context' }, 'context', /does not exist/],
    ['unknown platform', { platforms: ['linux/banana'] }, 'platforms', /unknown platform "linux\/banana"/],
    ['two platforms without push', { platforms: ['linux/amd64', 'linux/arm64'] }, 'platforms', /needs push: true/],
    ['bad cache spec', { cacheTo: ['type=gha;curl'] }, 'cache-to', /type=</],
    ['bad build arg', { buildArgs: { 'BAD-NAME': 'x' } }, 'build-args', /must match/],
  ])('%s', async (_name, extra, input, message) => {
    const result = await runBuild(config(extra), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(new RegExp(`^Input "${input}" `));
    expect(result.error).toMatch(message);
    expect(result.error).not.toMatch(/could not start/);
    expect(result.summaryMarkdown).toMatch(/^### ❌ build: failed/);
  });
});
