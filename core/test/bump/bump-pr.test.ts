import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitopsFixtures } from '../support/paths.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import type { BumpConfigInput } from '../../src/domain/bump-config.ts';
import { resolveBumpConfig } from '../../src/domain/bump-config.ts';
import { runBump } from '../../src/stages/bump.ts';
import type { TestRepo } from './git-repo.ts';
import { createTestRepo, gitIn, refUpdates, writeFiles } from './git-repo.ts';
import type { FakeGitHub } from './fake-github.ts';
import { startFakeGitHub } from './fake-github.ts';

const podinfoValues = readFileSync(join(gitopsFixtures, 'podinfo_chart-values.yaml'));
const radarrRelease = readFileSync(join(gitopsFixtures, 'home-ops_radarr-helmrelease_v2-digest.yaml'));
const TOKEN = 'ghs_faketoken0123456789';
const BRANCH = 'trunkline/bump/stefanprodan-podinfo';
const D = `sha256:${'e'.repeat(64)}`;

let repo: TestRepo | undefined;
let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  repo?.cleanup();
  gh = undefined;
  repo = undefined;
});

async function setup(): Promise<{ repo: TestRepo; gh: FakeGitHub }> {
  repo = createTestRepo({ 'apps/podinfo/values.yaml': podinfoValues, 'apps/radarr/helmrelease.yaml': radarrRelease });
  gh = await startFakeGitHub({ bare: repo.bare, token: TOKEN });
  return { repo, gh };
}

function config(path: string, fake: FakeGitHub, over: Partial<BumpConfigInput>): ReturnType<typeof resolveBumpConfig> {
  return resolveBumpConfig({
    path,
    files: ['apps/podinfo/values.yaml'],
    image: 'ghcr.io/stefanprodan/podinfo',
    tag: '6.15.0',
    mode: 'pr',
    token: TOKEN,
    apiUrl: fake.apiUrl,
    owner: fake.owner,
    repo: fake.repo,
    labels: ['gitops', 'automated'],
    retryDelayMs: 10,
    githubTiming: { retryAfterUnitMs: 5, writeSpacingMs: 0 },
    ...over,
  });
}

const writes = (fake: FakeGitHub, from = 0) => fake.requests.slice(from).filter((r) => r.method !== 'GET');

describe('gitops bump pull requests', () => {
  it('pr mode (loopback fake): first run creates, second updates the same PR, a no-op run touches nothing', async () => {
    const { repo: r, gh: fake } = await setup();
    const work = r.clone('work');
    const log = createMemoryLogger();

    const first = await runBump(config(work, fake, { autoMerge: true }), log);
    expect(first.status, first.error).toBe('passed');
    expect(first.outputs).toMatchObject({ changed: true, 'pr-number': '1', 'pr-url': 'https://github.example/acme/gitops/pull/1', 'old-tag': '6.14.1', 'new-tag': '6.15.0' });
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]).toMatchObject({ head: BRANCH, base: 'main', title: 'chore(gitops): bump ghcr.io/stefanprodan/podinfo to 6.15.0', labels: ['gitops', 'automated'] });
    expect(fake.pulls[0]!.body).toContain('+  tag: 6.15.0');
    expect(r.git(r.bare, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(first.outputs['commit-sha']);
    expect(r.git(r.bare, 'diff', '--numstat', 'main', BRANCH)).toBe('1\t1\tapps/podinfo/values.yaml');
    // Auto-merge is refused by the repository: a warning, not a failure.
    expect(log.lines.join('\n')).toMatch(/warning: auto-merge could not be enabled on #1: .*Auto merge is not allowed/);

    fake.autoMergeAllowed = true;
    const second = await runBump(config(work, fake, { tag: '6.16.0', autoMerge: true, mergeMethod: 'rebase' }), createMemoryLogger());
    expect(second.status, second.error).toBe('passed');
    expect(fake.autoMergeEnabled).toEqual([[1, 'REBASE']]);
    expect(second.notes).toContain('auto-merge (rebase) enabled');
    expect(second.outputs).toMatchObject({ changed: true, 'pr-number': '1', 'old-tag': '6.15.0', 'new-tag': '6.16.0' });
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]!.title).toBe('chore(gitops): bump ghcr.io/stefanprodan/podinfo to 6.16.0');
    expect(r.git(r.bare, 'rev-parse', `${second.outputs['commit-sha']}^`)).toBe(first.outputs['commit-sha']);
    expect(second.notes).toContain('updated pull request #1');

    const before = fake.requests.length;
    const third = await runBump(config(work, fake, { tag: '6.16.0' }), createMemoryLogger());
    expect(third.status, third.error).toBe('passed');
    expect(third.outputs).toMatchObject({ changed: false, 'commit-sha': '', 'pr-number': '1' });
    expect(writes(fake, before)).toEqual([]);
    expect(r.git(r.bare, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(second.outputs['commit-sha']);
    expect(refUpdates(r.bare, BRANCH)).toHaveLength(2);
  });

  it('pr mode (loopback fake): nothing to change on the base means no branch and no PR', async () => {
    const { repo: r, gh: fake } = await setup();
    const work = r.clone('work');
    const result = await runBump(config(work, fake, { tag: '6.14.1' }), createMemoryLogger());
    expect(result.status, result.error).toBe('passed');
    expect(result.outputs).toMatchObject({ changed: false, 'commit-sha': '', 'pr-number': '' });
    expect(fake.pulls).toEqual([]);
    expect(writes(fake)).toEqual([]);
    expect(r.git(r.bare, 'branch', '--list', 'trunkline/*')).toBe('');
  });

  it('api mode (loopback fake): commits through the Git Data API without a clone; create, update, no-op', async () => {
    const { repo: r, gh: fake } = await setup();
    const cfg = (over: Partial<BumpConfigInput>) => config('/nonexistent-clone', fake, {
      mode: 'api',
      files: ['apps/*/helmrelease.yaml'],
      image: 'ghcr.io/home-operations/radarr',
      tag: '6.5.0.10600',
      digest: D,
      branch: 'bump/radarr',
      ...over,
    });
    const first = await runBump(cfg({}), createMemoryLogger());
    expect(first.status, first.error).toBe('passed');
    expect(first.outputs).toMatchObject({ changed: true, files: ['apps/radarr/helmrelease.yaml'], 'pr-number': '1', 'old-tag': '6.4.1.10545' });
    const sha = first.outputs['commit-sha'];
    expect(r.git(r.bare, 'rev-parse', 'refs/heads/bump/radarr')).toBe(sha);
    expect(r.git(r.bare, 'rev-parse', `${sha}^`)).toBe(r.git(r.bare, 'rev-parse', 'main'));
    expect(r.git(r.bare, 'log', '-1', '--format=%cn', sha)).toBe('GitHub');
    const after = Buffer.from(`${r.git(r.bare, 'cat-file', 'blob', `${sha}:apps/radarr/helmrelease.yaml`)}\n`);
    const a = radarrRelease.toString().split('\n');
    const b = after.toString().split('\n');
    expect(a.flatMap((line, i) => (line === b[i] ? [] : [i + 1]))).toEqual([21]);
    expect(b[20]).toBe(`              tag: 6.5.0.10600@${D}`);

    const second = await runBump(cfg({ tag: '6.5.1.10700' }), createMemoryLogger());
    expect(second.status, second.error).toBe('passed');
    expect(second.outputs['pr-number']).toBe('1');
    expect(fake.pulls).toHaveLength(1);
    expect(r.git(r.bare, 'rev-parse', `${second.outputs['commit-sha']}^`)).toBe(sha);

    const before = fake.requests.length;
    const third = await runBump(cfg({ tag: '6.5.1.10700' }), createMemoryLogger());
    expect(third.outputs).toMatchObject({ changed: false, 'commit-sha': '', 'pr-number': '1' });
    expect(writes(fake, before)).toEqual([]);
  });

  it('api mode (loopback fake): a branch that moved meanwhile is re-read and the edit re-applied, never forced', async () => {
    const { repo: r, gh: fake } = await setup();
    // Another bump lands on the PR branch between our read and our ref update.
    const seedWork = r.clone('other');
    const firstRun = await runBump(config('/nonexistent-clone', fake, { mode: 'api' }), createMemoryLogger());
    expect(firstRun.status, firstRun.error).toBe('passed');
    fake.beforeNextRefUpdate(() => {
      gitIn(seedWork, 'fetch', '--quiet', 'origin', BRANCH);
      gitIn(seedWork, 'checkout', '--quiet', '-B', BRANCH, `origin/${BRANCH}`);
      writeFiles(seedWork, { 'apps/radarr/helmrelease.yaml': radarrRelease.toString().replace('interval: 1h', 'interval: 2h') });
      gitIn(seedWork, 'commit', '--quiet', '-am', 'concurrent change');
      gitIn(seedWork, 'push', '--quiet', 'origin', BRANCH);
    });
    const log = createMemoryLogger();
    const result = await runBump(config('/nonexistent-clone', fake, { mode: 'api', tag: '6.16.0' }), log);
    expect(result.status, result.error).toBe('passed');
    expect(result.notes.join('\n')).toMatch(/after 2 attempts/);
    expect(log.lines.join('\n')).toMatch(/update of trunkline\/bump\/stefanprodan-podinfo failed \(attempt 1\/6\)/);
    const head = r.git(r.bare, 'rev-parse', `refs/heads/${BRANCH}`);
    expect(head).toBe(result.outputs['commit-sha']);
    expect(r.git(r.bare, 'log', '--format=%s', `main..${BRANCH}`).split('\n')).toEqual([
      'chore(gitops): bump ghcr.io/stefanprodan/podinfo to 6.16.0',
      'concurrent change',
      'chore(gitops): bump ghcr.io/stefanprodan/podinfo to 6.15.0',
    ]);
    for (const [oldSha, newSha] of refUpdates(r.bare, BRANCH).slice(1)) r.git(r.bare, 'merge-base', '--is-ancestor', oldSha, newSha);
    expect(fake.pulls).toHaveLength(1);
  });

  it('a 403 secondary rate limit is retried after retry-after (loopback fake)', async () => {
    const { repo: r, gh: fake } = await setup();
    const work = r.clone('work');
    fake.failNext('POST', /\/pulls$/, {
      status: 403,
      headers: { 'retry-after': '3' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' },
    });
    const log = createMemoryLogger();
    const result = await runBump(config(work, fake, {}), log);
    expect(result.status, result.error).toBe('passed');
    expect(result.outputs['pr-number']).toBe('1');
    const posts = fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/pulls'));
    expect(posts).toHaveLength(2);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(3 * 5);
    expect(log.lines.join('\n')).toMatch(/warning: GitHub secondary rate limit on POST .*\/pulls: retrying after 3 s/);
    expect(fake.pulls).toHaveLength(1);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('a PR that already exists when creating is reused, not duplicated (loopback fake)', async () => {
    const { repo: r, gh: fake } = await setup();
    const work = r.clone('work');
    // Simulates a concurrent run that opened the PR between our lookup and our create.
    fake.failNext('GET', /\/pulls$/, { status: 200, body: [] });
    fake.pulls.push({ number: 1, title: 'other run', body: '', head: BRANCH, base: 'main', state: 'open', labels: [] });
    const result = await runBump(config(work, fake, {}), createMemoryLogger());
    expect(result.status, result.error).toBe('passed');
    expect(result.outputs['pr-number']).toBe('1');
    expect(fake.pulls).toHaveLength(1);
    expect(result.notes).toContain('pull request #1 already existed; reused it');
  });
});
