import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitopsFixtures } from '../support/paths.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import type { BumpConfigInput } from '../../src/domain/bump-config.ts';
import { resolveBumpConfig } from '../../src/domain/bump-config.ts';
import { runBump } from '../../src/stages/bump.ts';
import type { TestRepo } from './git-repo.ts';
import { createTestRepo, refUpdates } from './git-repo.ts';

const podinfoValues = readFileSync(join(gitopsFixtures, 'podinfo_chart-values.yaml'));
const gatusRelease = readFileSync(join(gitopsFixtures, 'home-ops_gatus-helmrelease_v2beta2.yaml'));
const crlfKustomization = readFileSync(join(gitopsFixtures, 'arc-cicd-demo-gitops_azure-vote-kustomization_crlf.yaml'));
const D = `sha256:${'d'.repeat(64)}`;

let repo: TestRepo | undefined;
afterEach(() => {
  repo?.cleanup();
  repo = undefined;
});

function config(path: string, over: Partial<BumpConfigInput>): ReturnType<typeof resolveBumpConfig> {
  return resolveBumpConfig({ path, files: ['apps/podinfo/values.yaml'], image: 'ghcr.io/stefanprodan/podinfo', tag: '6.15.0', retryDelayMs: 20, ...over });
}

/** Lines that differ between two versions of a file (1-based), comparing bytes with CR kept. */
function changedLines(a: Buffer | string, b: Buffer | string): number[] {
  const x = a.toString().split('\n');
  const y = b.toString().split('\n');
  expect(y.length).toBe(x.length);
  return x.flatMap((line, i) => (line === y[i] ? [] : [i + 1]));
}

describe('gitops bump against real git', () => {
  it('mode none edits files in place: only the tag lines change, CRLF kept', async () => {
    repo = createTestRepo({ 'apps/podinfo/values.yaml': podinfoValues, 'apps/vote/kustomization.yaml': crlfKustomization });
    const work = repo.clone('work');
    const log = createMemoryLogger();
    const result = await runBump(config(work, {
      files: ['apps/**/*.yaml'],
      image: 'shengrossdemoacr.azurecr.io/azvote/azure-vote-front',
      tag: '0a1b2c3',
    }), log);
    expect(result.status, result.error).toBe('passed');
    expect(result.outputs).toMatchObject({ changed: true, files: ['apps/vote/kustomization.yaml'], 'old-tag': '86dbbd0146dd4d6fc2fabd57d89ac5cd76feb79d', 'new-tag': '0a1b2c3', 'commit-sha': '' });
    const after = readFileSync(join(work, 'apps/vote/kustomization.yaml'));
    expect(changedLines(crlfKustomization, after)).toEqual([8]);
    expect(after.toString()).toContain('newTag: 0a1b2c3\r\n');
    expect(after.at(-1)).toBe(crlfKustomization.at(-1));
    expect(readFileSync(join(work, 'apps/podinfo/values.yaml')).equals(podinfoValues)).toBe(true);
    expect(result.summaryMarkdown).toContain('```diff');
    expect(result.summaryMarkdown).toContain('+    newTag: 0a1b2c3');
    expect(repo.git(work, 'status', '--porcelain')).toBe('M apps/vote/kustomization.yaml');
  });

  it('mode push commits only the tag line to a new branch; a re-run makes no commit', async () => {
    repo = createTestRepo({ 'apps/podinfo/values.yaml': podinfoValues, 'apps/gatus/helmrelease.yaml': gatusRelease });
    const work = repo.clone('work');
    const cfg = config(work, { mode: 'push', branch: 'trunkline/bump/podinfo', files: ['apps/podinfo/values.yaml'] });
    const first = await runBump(cfg, createMemoryLogger());
    expect(first.status, first.error).toBe('passed');
    const sha = first.outputs['commit-sha'];
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(first.outputs).toMatchObject({ changed: true, files: ['apps/podinfo/values.yaml'], 'old-tag': '6.14.1', 'new-tag': '6.15.0' });
    expect(repo.git(repo.bare, 'rev-parse', 'refs/heads/trunkline/bump/podinfo')).toBe(sha);
    expect(repo.git(repo.bare, 'rev-parse', `${sha}^`)).toBe(repo.git(repo.bare, 'rev-parse', 'main'));
    expect(repo.git(repo.bare, 'diff', '--numstat', 'main', sha)).toBe('1\t1\tapps/podinfo/values.yaml');
    const after = Buffer.from(repo.git(repo.bare, 'cat-file', 'blob', `${sha}:apps/podinfo/values.yaml`) + '\n');
    expect(changedLines(podinfoValues, after)).toEqual([11]);
    expect(repo.git(repo.bare, 'log', '-1', '--format=%an <%ae>%n%s', sha)).toBe('github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>\nchore(gitops): bump ghcr.io/stefanprodan/podinfo to 6.15.0');
    // The clone's own checkout (main) is untouched; the local branch now exists at the commit.
    expect(readFileSync(join(work, 'apps/podinfo/values.yaml')).equals(podinfoValues)).toBe(true);
    expect(repo.git(work, 'rev-parse', 'trunkline/bump/podinfo')).toBe(sha);

    const again = await runBump(cfg, createMemoryLogger());
    expect(again.status, again.error).toBe('passed');
    expect(again.outputs).toMatchObject({ changed: false, files: [], 'commit-sha': '', 'old-tag': '6.15.0', 'new-tag': '6.15.0' });
    expect(repo.git(repo.bare, 'rev-parse', 'refs/heads/trunkline/bump/podinfo')).toBe(sha);
    expect(refUpdates(repo.bare, 'trunkline/bump/podinfo')).toHaveLength(1);
  });

  it('mode push on the checked-out branch fast-forwards the working tree', async () => {
    repo = createTestRepo({ 'apps/podinfo/values.yaml': podinfoValues });
    const work = repo.clone('work');
    const result = await runBump(config(work, { mode: 'push', author: { name: 'Release Bot', email: 'bot@example.com' } }), createMemoryLogger());
    expect(result.status, result.error).toBe('passed');
    expect(repo.git(work, 'rev-parse', 'HEAD')).toBe(result.outputs['commit-sha']);
    expect(repo.git(repo.bare, 'rev-parse', 'main')).toBe(result.outputs['commit-sha']);
    expect(changedLines(podinfoValues, readFileSync(join(work, 'apps/podinfo/values.yaml')))).toEqual([11]);
    expect(repo.git(work, 'status', '--porcelain')).toBe('');
    expect(repo.git(repo.bare, 'log', '-1', '--format=%an <%ae>', 'main')).toBe('Release Bot <bot@example.com>');
  });

  it('two bumps of different images started at the same time both land, fast-forward only', async () => {
    repo = createTestRepo({ 'apps/podinfo/values.yaml': podinfoValues }, { preReceiveSleepSeconds: 0.5 });
    const a = repo.clone('a');
    const b = repo.clone('b');
    const seed = repo.git(repo.bare, 'rev-parse', 'main');
    const [ra, rb] = await Promise.all([
      runBump(config(a, { mode: 'push', branch: 'main' }), createMemoryLogger()),
      runBump(config(b, { mode: 'push', branch: 'main', image: 'docker.io/redis', tag: '8.10' }), createMemoryLogger()),
    ]);
    expect(ra.status, ra.error).toBe('passed');
    expect(rb.status, rb.error).toBe('passed');
    const head = repo.git(repo.bare, 'rev-parse', 'main');
    // Both commits are on main; exactly one of them had to re-read and re-apply.
    for (const r of [ra, rb]) repo.git(repo.bare, 'merge-base', '--is-ancestor', r.outputs['commit-sha'], head);
    expect([ra, rb].filter((r) => r.notes.some((n) => /after \d+ attempts/.test(n)))).toHaveLength(1);
    expect(repo.git(repo.bare, 'rev-list', '--count', `${seed}..main`)).toBe('2');
    const final = Buffer.from(repo.git(repo.bare, 'cat-file', 'blob', 'main:apps/podinfo/values.yaml') + '\n');
    expect(changedLines(podinfoValues, final)).toEqual([11, 174]);
    expect(final.toString()).toContain('  tag: 6.15.0\n');
    expect(final.toString()).toContain('  tag: "8.10"\n');
    // No force-push: every recorded update of main moved it forward.
    const updates = refUpdates(repo.bare, 'main');
    expect(updates).toHaveLength(3);
    for (const [oldSha, newSha] of updates.slice(1)) repo.git(repo.bare, 'merge-base', '--is-ancestor', oldSha, newSha);
  });

  it('several images and files in one run make one commit', async () => {
    repo = createTestRepo({ 'apps/podinfo/values.yaml': podinfoValues, 'apps/gatus/helmrelease.yaml': gatusRelease });
    const work = repo.clone('work');
    const result = await runBump(config(work, {
      mode: 'push',
      branch: 'bumps',
      files: ['apps/*/values.yaml', 'apps/gatus/helmrelease.yaml'],
      images: [{ repository: 'ghcr.io/twin/gatus', tag: 'v5.9.0', digest: D }],
    }), createMemoryLogger());
    expect(result.status, result.error).toBe('passed');
    expect(result.outputs.files).toEqual(['apps/gatus/helmrelease.yaml', 'apps/podinfo/values.yaml']);
    expect(repo.git(repo.bare, 'rev-list', '--count', 'main..bumps')).toBe('1');
    expect(repo.git(repo.bare, 'diff', '--numstat', 'main', 'bumps')).toBe('1\t1\tapps/gatus/helmrelease.yaml\n1\t1\tapps/podinfo/values.yaml');
    expect(repo.git(repo.bare, 'show', `bumps:apps/gatus/helmrelease.yaml`)).toContain(`tag: v5.9.0@${D}`);
  });

  it('a glob that could reach .github/ never edits or commits a file there', async () => {
    repo = createTestRepo({ 'apps/podinfo/values.yaml': podinfoValues, '.github/values.yaml': podinfoValues });
    const work = repo.clone('work');
    const files = ['.*/values.yaml', 'apps/*/values.yaml'];
    const inPlace = await runBump(config(work, { files }), createMemoryLogger());
    expect(inPlace.status, inPlace.error).toBe('passed');
    expect(inPlace.outputs.files).toEqual(['apps/podinfo/values.yaml']);
    expect(readFileSync(join(work, '.github/values.yaml')).equals(podinfoValues)).toBe(true);
    repo.git(work, 'checkout', '--', 'apps/podinfo/values.yaml');
    const pushed = await runBump(config(work, { files, mode: 'push', branch: 'bumps' }), createMemoryLogger());
    expect(pushed.status, pushed.error).toBe('passed');
    expect(repo.git(repo.bare, 'diff', '--name-only', 'main', 'bumps')).toBe('apps/podinfo/values.yaml');
  });

  it('refuses paths that leave the repository and explains a file without the image', async () => {
    repo = createTestRepo({ 'apps/podinfo/values.yaml': podinfoValues });
    const work = repo.clone('work');
    symlinkSync('/etc', join(work, 'etc-link'));
    const outside = await runBump(config(work, { files: ['etc-link/hostname'] }), createMemoryLogger());
    expect(outside.status).toBe('failed');
    expect(outside.error).toMatch(/Input "files" names etc-link\/hostname, which resolves outside "path"/);
    const noMatch = await runBump(config(work, { mode: 'push', image: 'ghcr.io/acme/app' }), createMemoryLogger());
    expect(noMatch.status).toBe('failed');
    expect(noMatch.error).toContain('apps/podinfo/values.yaml: no image ghcr.io/acme/app found; images in the file: ghcr.io/stefanprodan/podinfo:6.14.1 (image, line 11); docker.io/redis:8.8.0 (redis, line 174)');
    expect(noMatch.outputs.changed).toBe(false);
    expect(refUpdates(repo.bare, 'main')).toHaveLength(1);
  });
});
