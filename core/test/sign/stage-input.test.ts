import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { runSignAndPush, trustGuard } from '../../src/stages/sign.ts';
import type { SignConfig } from '../../src/stages/sign.ts';
import { runVerify } from '../../src/stages/verify.ts';
import { isLoopbackHost } from '../../src/stages/registry-connection.ts';

// Everything here is decided before any side effect: no docker, no registry is touched
// (TRUNKLINE_DOCKER points at a program that does not exist, so any docker call would fail loudly).

const base: SignConfig = { image: 'sha256:abc', repository: '127.0.0.1:5999/app', tags: ['v1'], signatureFile: '/tmp/never-written.signature' };

describe('sign stage guards', () => {
  it.each(['pull_request_target', 'workflow_run', 'issue_comment'])('refuses %s without the opt-in, before touching docker', async (eventName) => {
    process.env.TRUNKLINE_DOCKER = '/nonexistent/docker';
    try {
      const result = await runSignAndPush({ ...base, eventName }, createMemoryLogger());
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(new RegExp(`refusing to sign and push on a ${eventName} event.*allow-privileged-event: true`));
      expect(result.outputs.digest).toBe('');
    } finally {
      delete process.env.TRUNKLINE_DOCKER;
    }
  });

  it('lets pull_request, push and local runs through, and the opt-in through', () => {
    for (const e of ['pull_request', 'push', 'local', undefined]) expect(() => trustGuard(e, false, 'x')).not.toThrow();
    expect(() => trustGuard('workflow_run', true, 'x')).not.toThrow();
  });

  it.each([
    [{ repository: 'app' }, /Input "repository" must include the registry host/],
    [{ repository: '127.0.0.1:5000/App' }, /Input "repository" .*must be lowercase/],
    [{ repository: '127.0.0.1:5000/app:v1' }, /Input "repository" must be a repository without tag or digest/],
    [{ tags: ['ok', '-bad'] }, /Input "tags" has tag "-bad"/],
    [{ image: '' }, /Input "image" is required/],
    [{ privateKey: 'garbage' }, /Input "private-key" must be a PEM private key/],
    [{ repository: 'public.ecr.aws/acme/app' }, /ECR Public/],
  ] as [Partial<SignConfig>, RegExp][])('rejects %j with a failed result naming the input (never a throw)', async (over, message) => {
    process.env.TRUNKLINE_DOCKER = '/nonexistent/docker';
    try {
      const result = await runSignAndPush({ ...base, ...over }, createMemoryLogger());
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(message);
      expect(result.outputs.digest).toBe('');
      expect(result.summaryMarkdown).toMatch(/### ❌ sign: failed/);
    } finally {
      delete process.env.TRUNKLINE_DOCKER;
    }
  });

  it('verify mode requires a digest for a signature file and a public key, failing (never throwing)', async () => {
    const error = async (cfg: Parameters<typeof runVerify>[0]) => {
      const r = await runVerify(cfg, createMemoryLogger());
      expect(r.status).toBe('failed');
      return r.error;
    };
    expect(await error({ publicKey: '', signatureFile: 'x' })).toMatch(/Input "public-key"/);
    const { generateKeyPair } = await import('../../src/domain/signature.ts');
    expect(await error({ publicKey: generateKeyPair().publicKeyPem, signatureFile: 'x' })).toMatch(/Input "digest" is required/);
    expect(await error({ publicKey: generateKeyPair().publicKeyPem })).toMatch(/"signature-file" or "image-ref" is required/);
  });

  it('treats only loopback hosts as plain-HTTP by default', () => {
    expect(isLoopbackHost('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackHost('localhost:5000')).toBe(true);
    expect(isLoopbackHost('[::1]:5000')).toBe(true);
    expect(isLoopbackHost('127.0.0.1.evil.example')).toBe(false);
    expect(isLoopbackHost('ghcr.io')).toBe(false);
  });
});
