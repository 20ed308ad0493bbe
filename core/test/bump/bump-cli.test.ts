import { copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
