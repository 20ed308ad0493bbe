import { copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { outputToString } from '../../src/report/render.ts';
import { repoRoot } from '../support/paths.ts';
import { gitopsFixtures } from '../support/paths.ts';
import { scratchDirs } from '../support/scratch.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { git, gitTokenEnv } from '../../src/adapters/git.ts';
import { bumpConfigFromArgv, command } from '../../src/cli/commands/bump.ts';

const tempDir = scratchDirs();

describe('trunkline bump', () => {
  it('runs the same stage from argv and edits in place', async () => {
    const dir = tempDir('bump-cli-');
    copyFileSync(join(gitopsFixtures, 'home-ops_runner-helmrelease_v2-image-string.yaml'), join(dir, 'runner.yaml'));
    const digest = `sha256:${'1'.repeat(64)}`;
    const result = await command.run(['--path', dir, '--files', 'runner.yaml', '--image', 'ghcr.io/home-operations/actions-runner', '--tag', '2.340.0', '--digest', digest], createMemoryLogger());
    expect(result.status, result.error).toBe('passed');
    expect(result.outputs).toMatchObject({ changed: true, 'old-tag': '2.336.0', 'new-tag': '2.340.0' });
    expect(readFileSync(join(dir, 'runner.yaml'), 'utf8')).toContain(`image: ghcr.io/home-operations/actions-runner:2.340.0@${digest}\n`);
  });

  it('--json prints every output the action writes to GITHUB_OUTPUT, with the same values', async () => {
    const dir = tempDir('bump-cli-json-');
    copyFileSync(join(gitopsFixtures, 'home-ops_runner-helmrelease_v2-image-string.yaml'), join(dir, 'runner.yaml'));
    const digest = `sha256:${'2'.repeat(64)}`;
    const printed: string[] = [];
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { printed.push(String(chunk)); return true; });
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let code: number;
    try {
      code = await main(['bump', '--path', dir, '--files', 'runner.yaml', '--image', 'ghcr.io/home-operations/actions-runner', '--tag', '2.341.0', '--digest', digest, '--json']);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(code).toBe(0);
    const record = JSON.parse(printed.join('')) as Record<string, unknown>;
    const declared = Object.keys((parse(readFileSync(join(repoRoot, 'action-gitops-bump', 'action.yml'), 'utf8')) as { outputs: object }).outputs);
    expect(Object.keys(record).sort()).toEqual(declared.sort());
    expect(Object.fromEntries(Object.entries(record).map(([k, v]) => [k, outputToString(v as string)]))).toEqual({
      changed: 'true', files: 'runner.yaml', 'old-tag': '2.336.0', 'new-tag': '2.341.0', 'commit-sha': '', 'pr-number': '', 'pr-url': '',
    });
  });

  it('takes the token from GITHUB_TOKEN only, never from a flag', () => {
    const argv = ['--files', 'values.yaml', '--image', 'ghcr.io/acme/app', '--tag', '1', '--mode', 'pr', '--repository', 'acme/gitops', '--labels', 'a', '--labels', 'b'];
    const cfg = bumpConfigFromArgv(argv, { GITHUB_TOKEN: 'ghs_x' });
    expect(cfg).toMatchObject({ token: 'ghs_x', owner: 'acme', repo: 'gitops', labels: ['a', 'b'], mode: 'pr' });
    expect(() => bumpConfigFromArgv([...argv, '--token', 'ghs_x'], {})).toThrow(/"--token" is not understood/);
    expect(() => bumpConfigFromArgv(argv, {})).toThrow(/Input "token" is required for mode pr/);
  });
});

describe('git credentials', () => {
  it('reach git as an http.extraheader through the environment, not argv', async () => {
    const { env, secrets } = gitTokenEnv('https://github.com/acme/gitops.git', 'ghs_secret123', {});
    expect(Object.values(env).join(' ')).not.toContain('ghs_secret123');
    const seen = await git(['config', '--get', 'http.https://github.com/.extraheader'], { cwd: tmpdir(), env });
    expect(seen.stdout.trim()).toBe(`AUTHORIZATION: basic ${Buffer.from('x-access-token:ghs_secret123').toString('base64')}`);
    expect(secrets).toEqual(['ghs_secret123', Buffer.from('x-access-token:ghs_secret123').toString('base64')]);
    // Appended after configuration the runner may already pass the same way.
    expect(gitTokenEnv('https://github.com/a/b', 't', { GIT_CONFIG_COUNT: '2' }).env).toHaveProperty('GIT_CONFIG_KEY_2', 'http.https://github.com/.extraheader');
  });
});
