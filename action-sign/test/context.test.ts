import { afterEach, describe, expect, it, vi } from 'vitest';
import { readContext, runAnnotations } from '../src/context.ts';
import { generateKeyPair } from '../../core/src/domain/signature.ts';

// action-sign's door on its own: INPUT_* variables as the runner sets them → the one resolver.
// `::add-mask::` commands are what the runner uses to hide values from every later log line.

function captureStdout(): { lines: () => string[] } {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { chunks.push(String(chunk)); return true; });
  return { lines: () => chunks.join('').split('\n') };
}

afterEach(() => { vi.restoreAllMocks(); });

describe('action-sign context', () => {
  it('masks every secret input, each line of a PEM key included, before resolving', () => {
    const pem = generateKeyPair().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const out = captureStdout();
    const ctx = readContext({
      INPUT_IMAGE: 'sha256:abc', INPUT_REPOSITORY: 'ghcr.io/acme/app', 'INPUT_PRIVATE-KEY': pem,
      INPUT_USERNAME: 'octocat', INPUT_PASSWORD: 'ghp_secretValue123', 'INPUT_SIGNATURE-FILE': 'image.signature',
      GITHUB_EVENT_NAME: 'push', RUNNER_TEMP: '/runner/tmp', GITHUB_SHA: 'f'.repeat(40), GITHUB_REPOSITORY: 'acme/app', GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '2',
    });
    const masks = out.lines().filter((l) => l.startsWith('::add-mask::')).map((l) => l.slice('::add-mask::'.length));
    expect(masks).toContain('ghp_secretValue123');
    for (const line of pem.split('\n').filter((l) => l && !l.startsWith('-----'))) expect(masks).toContain(line);
    expect(ctx.mode).toBe('sign');
    if (ctx.mode !== 'sign') return;
    expect(ctx.sign).toMatchObject({ eventName: 'push', workDir: '/runner/tmp', registryAuth: { username: 'octocat', password: 'ghp_secretValue123' }, dockerLogin: true });
    // The run, not the attempt: a re-run attempt signs the same payload.
    expect(ctx.sign.annotations).toEqual({ 'git-sha': 'f'.repeat(40), 'run-url': 'https://github.com/acme/app/actions/runs/7' });
  });

  it('run claims need the commit and the run', () => {
    expect(runAnnotations({})).toEqual({});
    expect(runAnnotations({ GITHUB_SERVER_URL: 'https://ghe.example', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '1' })).toEqual({ 'run-url': 'https://ghe.example/o/r/actions/runs/1' });
  });

  it('bad input throws an InputError naming it (the action door turns it into a failed step)', () => {
    captureStdout();
    expect(() => readContext({ INPUT_IMAGE: 'sha256:abc', INPUT_REPOSITORY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app', 'INPUT_AWS-REGION': 'eu_west_1' }))
      .toThrow(/Input "aws-region" must be an AWS region such as eu-west-1 \(got "eu_west_1"\)/);
  });
});
