import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitopsFixtures } from '../support/paths.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import type { BumpConfigInput } from '../../src/domain/bump-config.ts';
import { resolveBumpConfig } from '../../src/domain/bump-config.ts';
import { runBump } from '../../src/stages/bump.ts';
import type { TestRepo } from './git-repo.ts';
import { createTestRepo, gitIn, writeFiles } from './git-repo.ts';
import type { FakeGitHub } from './fake-github.ts';
import { startFakeGitHub } from './fake-github.ts';

/**
 * Issue 15 item 5: a person pushed a fix onto the bot's bump branch. The next bump must keep that
 * commit (build on it, never force) and say so: a note and a warning naming the commit and author.
 * Real bare repositories; the GitHub API is a loopback fake.
 */

const podinfoValues = readFileSync(join(gitopsFixtures, 'podinfo_chart-values.yaml'));
const TOKEN = 'ghs_faketoken0123456789';
const BRANCH = 'trunkline/bump/stefanprodan-podinfo';

let repo: TestRepo | undefined;
let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  repo?.cleanup();
  gh = undefined;
  repo = undefined;
});

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
    retryDelayMs: 10,
    githubTiming: { retryAfterUnitMs: 5, writeSpacingMs: 0 },
    ...over,
  });
}

/** A person checks out the bump branch, commits a fix under their own name and pushes it. */
function personPushesFix(r: TestRepo): string {
  const person = r.clone('person');
  gitIn(person, 'checkout', '--quiet', BRANCH);
  writeFiles(person, { 'apps/podinfo/NOTES.md': 'keep replicas at 3 during the rollout\n' });
  gitIn(person, 'add', '-A');
  gitIn(person, '-c', 'user.name=Ada Person', '-c', 'user.email=ada@example.com', 'commit', '--quiet', '-m', 'fix: hold replicas');
  gitIn(person, 'push', '--quiet', 'origin', BRANCH);
  return gitIn(person, 'rev-parse', 'HEAD');
}

describe.each(['pr', 'api'] as const)('bump in %s mode over a bump branch a person pushed to', (mode) => {
  it('keeps the person\'s commit, builds on it and warns naming the commit and its author', async () => {
    repo = createTestRepo({ 'apps/podinfo/values.yaml': podinfoValues });
    gh = await startFakeGitHub({ bare: repo.bare, token: TOKEN });
    const work = mode === 'api' ? '/nonexistent-clone' : repo.clone('work');

    const first = await runBump(config(work, gh, { mode }), createMemoryLogger());
    expect(first.status, first.error).toBe('passed');
    // The bot's own commits on the branch are no reason to warn.
    const again = await runBump(config(work, gh, { mode, tag: '6.15.1' }), createMemoryLogger());
    expect(again.status, again.error).toBe('passed');
    expect(repo.git(repo.bare, 'rev-parse', `${again.outputs['commit-sha']}^`)).toBe(first.outputs['commit-sha']);
    expect(again.notes.join('\n')).not.toMatch(/not by the bump/);
    const fix = personPushesFix(repo);

    const log = createMemoryLogger();
    const second = await runBump(config(work, gh, { mode, tag: '6.16.0' }), log);
    expect(second.status, second.error).toBe('passed');
    const head = repo.git(repo.bare, 'rev-parse', `refs/heads/${BRANCH}`);
    expect(head).toBe(second.outputs['commit-sha']);
    // Never lost: the person's commit is the new commit's parent, and their file is still there.
    expect(repo.git(repo.bare, 'rev-parse', `${head}^`)).toBe(fix);
    expect(repo.git(repo.bare, 'show', `${head}:apps/podinfo/NOTES.md`)).toBe('keep replicas at 3 during the rollout');
    expect(repo.git(repo.bare, 'show', `${head}:apps/podinfo/values.yaml`)).toContain('tag: 6.16.0');
    expect(gh.pulls).toHaveLength(1);
    const said = new RegExp(`${BRANCH} carries 1 commit not by the bump \\(.*\\): ${fix.slice(0, 12)} by Ada Person <ada@example\\.com> "fix: hold replicas"`);
    expect(second.notes.join('\n')).toMatch(said);
    expect(log.lines.join('\n')).toMatch(new RegExp(`warning: ${said.source}`));
  });
});
