import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { bumpConfigFromInputs } from '../../src/domain/bump-config.ts';
import { classifyApiRefRejection, classifyGitPushRejection } from '../../src/domain/push-rejection.ts';
import { runBump } from '../../src/stages/bump.ts';
import type { TestRepo } from './git-repo.ts';
import { createTestRepo } from './git-repo.ts';

const VALUES = 'image:\n  repository: ghcr.io/acme/app\n  tag: 1.0.0\n';

let repo: TestRepo | undefined;
afterEach(() => {
  repo?.cleanup();
  repo = undefined;
});

/** A pre-receive hook that counts its runs in `<bare>/hook-runs` and declines with `lines` on stderr. */
function declineWith(bare: string, lines: string[]): string {
  const runs = join(bare, 'hook-runs');
  const hook = join(bare, 'hooks', 'pre-receive');
  writeFileSync(hook, `#!/bin/sh\ncat >/dev/null\necho run >> '${runs}'\n${lines.map((l) => `echo '${l}' >&2`).join('\n')}\nexit 1\n`);
  chmodSync(hook, 0o755);
  return runs;
}

describe('push rejections (real bare repository with a declining pre-receive hook)', () => {
  it('a protected-branch refusal (GH006) is not retried: one push, the server quoted, the setting named', async () => {
    repo = createTestRepo({ 'values.yaml': VALUES });
    const runs = declineWith(repo.bare, ['error: GH006: Protected branch update failed for refs/heads/main.', 'error: Changes must be made through a pull request.']);
    const work = repo.clone('work');
    const result = await runBump(bumpConfigFromInputs({ path: work, files: 'values.yaml', image: 'ghcr.io/acme/app', tag: '2.0.0', mode: 'push', 'max-retries': '5' }, { retryDelayMs: 10 }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toContain('GH006: Protected branch update failed for refs/heads/main.');
    expect(result.error).toContain('Changes must be made through a pull request.');
    expect(result.error).toMatch(/the branch is protected \(repository Settings → Branches \/ Rules\)/);
    expect(result.error).not.toMatch(/kept moving/);
    expect(readFileSync(runs, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(result.outputs['commit-sha']).toBe('');
  });

  it('any other pre-receive refusal is quoted and not retried', async () => {
    repo = createTestRepo({ 'values.yaml': VALUES });
    const runs = declineWith(repo.bare, ['commits must be signed off (DCO)']);
    const work = repo.clone('work');
    const result = await runBump(bumpConfigFromInputs({ path: work, files: 'values.yaml', image: 'ghcr.io/acme/app', tag: '2.0.0', mode: 'push' }, { retryDelayMs: 10 }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/refused the update of main: "commits must be signed off \(DCO\) \/ .*pre-receive hook declined.*" — a server-side pre-receive hook declined the push/);
    expect(readFileSync(runs, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

describe('classifying a rejection', () => {
  it.each([
    ['!\trefs/heads/x:refs/heads/main\t[rejected] (non-fast-forward)', true],
    ['!\trefs/heads/x:refs/heads/main\t[rejected] (fetch first)', true],
    ['!\trefs/heads/x:refs/heads/main\t[remote rejected] (cannot lock ref \'refs/heads/main\': is at 1a but expected 2b)', true],
    ['remote: error: GH006: Protected branch update failed for refs/heads/main.\n!\tx:refs/heads/main\t[remote rejected] (protected branch hook declined)', false],
    ['remote: error: GH013: Repository rule violations found for refs/heads/main.\n!\tx:refs/heads/main\t[remote rejected] (push declined due to repository rule violations)', false],
    ['!\tx:refs/heads/main\t[remote rejected] (pre-receive hook declined)', false],
  ])('git: %j → race %s', (output, race) => {
    expect(classifyGitPushRejection(output, 'main', 'origin')?.race).toBe(race);
  });

  it('git: no status line (network, auth) is not a rejection', () => {
    expect(classifyGitPushRejection('fatal: unable to access \'https://x/\': Could not resolve host: x', 'main', 'origin')).toBeUndefined();
  });

  it.each([
    [422, 'Update is not a fast forward', true],
    [422, 'Reference already exists', true],
    [409, 'Conflict', true],
    [422, 'Protected branch update failed for refs/heads/main.', false],
    [403, 'Resource not accessible by integration', false],
  ])('api: %s %s → race %s', (status, message, race) => {
    expect(classifyApiRefRejection(status, message, 'main', 'github.com/acme/gitops')?.race).toBe(race);
  });

  it('api: the refusal names the permission', () => {
    const r = classifyApiRefRejection(403, 'Resource not accessible by integration', 'main', 'github.com/acme/gitops');
    expect(r).toEqual({ race: false, message: 'github.com/acme/gitops refused the update of main (HTTP 403): "Resource not accessible by integration" — the token may not write to this repository: it needs contents: write (a GitHub App installation token or a PAT with access to it)' });
  });
});
