// The action door from source: INPUT_* through the stage's one resolver, the runner's run id,
// attempt and RUNNER_TEMP passed in, and a base-url password masked before anything can print it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readContext } from '../src/context.ts';
import { inputEnvName } from '../../core/test/support/runner.ts';

describe('action-verify-metrics context', () => {
  afterEach(() => { vi.restoreAllMocks(); });

  it('masks the password of base-url (::add-mask::) and keeps the URL for the stage', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { written.push(String(chunk)); return true; });
    const cfg = readContext({ [inputEnvName('base-url')]: 'http://probe:p%40ss@127.0.0.1:9090' });
    // Workflow commands escape % as %25; the runner masks the decoded value p%40ss.
    expect(written.join('')).toContain('::add-mask::p%2540ss');
    expect(written.join('')).toContain('::add-mask::p@ss');
    expect(written.join('')).not.toContain('::add-mask::probe');
    expect(cfg.baseUrl).toBe('http://probe:p%40ss@127.0.0.1:9090');
  });

  it('names the container from the run id and attempt, and saves the scrape under RUNNER_TEMP', () => {
    const cfg = readContext({
      [inputEnvName('image')]: 'app:1', [inputEnvName('env')]: '', GITHUB_RUN_ID: '4711', GITHUB_RUN_ATTEMPT: '2', RUNNER_TEMP: '/runner/tmp',
    });
    expect(cfg).toMatchObject({ image: 'app:1', runId: '4711', outputDir: '/runner/tmp', env: {} });
    expect(cfg.containerName).toMatch(/^vm-4711-2-[0-9a-f]{6}$/);
  });

  it('an empty input takes the default, as the runner passes unset inputs', () => {
    const cfg = readContext({ [inputEnvName('image')]: 'app:1', [inputEnvName('container-port')]: '', [inputEnvName('lint')]: '' });
    expect([cfg.port, cfg.lint, cfg.runId]).toEqual([8080, 'warn', 'local']);
  });
});
