import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerLogin, dockerLogout } from '../../src/adapters/docker-auth.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { createFakeDocker } from './fake-docker.ts';

afterEach(() => { delete process.env.TRUNKLINE_DOCKER; });

describe('docker login / logout', () => {
  it('passes the password on stdin only, never in argv, and masks it', async () => {
    const fake = createFakeDocker();
    process.env.TRUNKLINE_DOCKER = fake.path;
    const log = createMemoryLogger();
    await dockerLogin('123456789012.dkr.ecr.eu-west-1.amazonaws.com', { username: 'AWS', password: 'eyJwYXlsb2FkIjoi-secret' }, log);
    await dockerLogout('123456789012.dkr.ecr.eu-west-1.amazonaws.com', log);
    expect(fake.calls()).toEqual([
      { argv: ['login', '--username', 'AWS', '--password-stdin', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'], stdin: 'eyJwYXlsb2FkIjoi-secret' },
      { argv: ['logout', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'] },
    ]);
    log.info('leak? eyJwYXlsb2FkIjoi-secret');
    expect(log.lines.join('\n')).not.toContain('eyJwYXlsb2FkIjoi-secret');
  });

  it('a failed login reports docker\'s stderr with the password masked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docker-fail-'));
    const script = join(dir, 'docker');
    // A docker that echoes what it read, as a misbehaving client might, then fails.
    writeFileSync(script, '#!/bin/sh\nread pw\necho "Error response from daemon: login denied for $pw" >&2\nexit 1\n');
    chmodSync(script, 0o755);
    process.env.TRUNKLINE_DOCKER = script;
    const error = await dockerLogin('ghcr.io', { username: 'u', password: 'hunter2-long-secret' }, createMemoryLogger()).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/login denied for \*\*\*/);
    expect(error?.message).not.toContain('hunter2-long-secret');
  });

  it('a failed logout is a warning, not an error', async () => {
    process.env.TRUNKLINE_DOCKER = '/nonexistent/docker';
    const log = createMemoryLogger();
    await expect(dockerLogout('ghcr.io', log)).resolves.toBeUndefined();
    expect(log.lines.join('\n')).toMatch(/warning: docker logout ghcr.io failed: .*could not start/);
  });
});
