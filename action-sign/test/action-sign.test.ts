import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBundledAction } from '../../core/test/support/runner.ts';
import { startRegistry } from '../../core/test/support/infra.ts';
import type { LocalRegistry } from '../../core/test/support/infra.ts';
import { ensureDockerd } from '../../core/src/local/dockerd.ts';
import { createMemoryLogger } from '../../core/src/report/logger.ts';
import { createRegistryClient } from '../../core/src/adapters/registry.ts';
import { buildPayload, generateKeyPair, signatureRecord, signPayload } from '../../core/src/domain/signature.ts';
import { signatureTag } from '../../core/src/domain/oci-manifest.ts';
import { makeImage, removeTestImages } from '../../core/test/sign/helpers.ts';
import { createFakeDocker } from '../../core/test/sign/fake-docker.ts';
import { startFakeEcr } from '../../core/test/sign/fake-ecr.ts';
import { scratchDirs } from '../../core/test/support/scratch.ts';

// Runner-contract tests: the bundled dist/index.js (and dist/post/index.js) run with `node` exactly
// as the runner runs them — INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files.

const DIGEST = `sha256:${'5e'.repeat(32)}`;
const key = generateKeyPair();
const privatePem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const tempDir = scratchDirs();
let work: string;

/** Lines a user would see: the runner consumes `::add-mask::` commands and never prints them. */
function visible(text: string): string {
  return text.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
}

beforeAll(() => { work = tempDir('action-sign-'); });

describe('action-sign verify mode (bundled dist)', () => {
  function writeRecord(name: string, digest = DIGEST): string {
    const payload = buildPayload('ghcr.io/acme/app', digest, { 'git-sha': 'c'.repeat(40) });
    const file = join(work, name);
    writeFileSync(file, JSON.stringify(signatureRecord(payload, signPayload(payload, key.privateKey), key.privateKey)));
    return file;
  }

  it('passes for a signature over the digest, with outputs read back from GITHUB_OUTPUT', async () => {
    const file = writeRecord('good.signature');
    const r = await runBundledAction('action-sign', { mode: 'verify', 'public-key': key.publicKeyPem, 'signature-file': file, digest: DIGEST });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs.digest).toBe(DIGEST);
    expect(r.outputs['public-key']).toBe(key.publicKeyPem);
    expect(r.summary).toMatch(/verify: passed/);
  });

  it('fails for another digest, a wrong key and a tampered payload', async () => {
    const file = writeRecord('other.signature', `sha256:${'00'.repeat(32)}`);
    const wrongDigest = await runBundledAction('action-sign', { mode: 'verify', 'public-key': key.publicKeyPem, 'signature-file': file, digest: DIGEST });
    expect(wrongDigest.code).toBe(1);
    expect(wrongDigest.stdout).toMatch(/::error::.*signature is for digest sha256:0000.*not sha256:5e5e/);

    const good = writeRecord('good2.signature');
    const wrongKey = await runBundledAction('action-sign', { mode: 'verify', 'public-key': generateKeyPair().publicKeyPem, 'signature-file': good, digest: DIGEST });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/does not verify with public key/);

    const record = JSON.parse(readFileSync(good, 'utf8'));
    record.payload = Buffer.from(Buffer.from(record.payload, 'base64').toString().replace('acme', 'acne')).toString('base64');
    writeFileSync(good, JSON.stringify(record));
    const tampered = await runBundledAction('action-sign', { mode: 'verify', 'public-key': key.publicKeyPem, 'signature-file': good, digest: DIGEST });
    expect(tampered.code).toBe(1);
  });

  it('bad input names the input', async () => {
    const r = await runBundledAction('action-sign', { mode: 'verify', 'public-key': 'not a key', 'signature-file': 'x', digest: DIGEST });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::Input "public-key" must be an SPKI PEM public key/);
    const m = await runBundledAction('action-sign', { mode: 'nope' });
    expect(m.stdout).toMatch(/Input "mode" must be one of sign, verify/);
  });
});

describe('action-sign sign mode against a local registry (bundled dist)', () => {
  let registry: LocalRegistry;
  let image: string;
  beforeAll(async () => {
    await ensureDockerd(createMemoryLogger());
    registry = await startRegistry({ auth: true });
    image = makeImage(`action ${Date.now()}`);
  });
  afterAll(async () => {
    await registry?.stop();
    removeTestImages();
  });

  it('signs, pushes, logs docker in via stdin, and the post step logs out; no password anywhere a user can read', async () => {
    const docker = createFakeDocker();
    const signatureFile = join(work, 'action.signature');
    const env = { TRUNKLINE_DOCKER: docker.path, GITHUB_EVENT_NAME: 'push', GITHUB_SHA: 'd'.repeat(40), GITHUB_REPOSITORY: 'acme/app', GITHUB_RUN_ID: '42', GITHUB_SERVER_URL: 'https://github.com' };
    const r = await runBundledAction('action-sign', {
      image, repository: `${registry.host}/acme/app`, tags: 'sha-ddddddd, latest', 'private-key': privatePem,
      username: registry.username!, password: registry.password!, 'signature-file': signatureFile, 'docker-login': 'true',
    }, { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.outputs['image-ref']).toBe(`${registry.host}/acme/app@${r.outputs.digest}`);
    expect(r.outputs['pushed-tags']!.split('\n')).toEqual(['sha-ddddddd', 'latest']);
    expect(r.outputs['signature-ref']).toBe(`${registry.host}/acme/app:${signatureTag(r.outputs.digest!)}`);
    expect(r.state['logout-registry']).toBe(registry.host);
    const payload = JSON.parse(Buffer.from(JSON.parse(readFileSync(signatureFile, 'utf8')).payload, 'base64').toString());
    expect(payload.optional).toEqual({ 'git-sha': 'd'.repeat(40), 'run-url': 'https://github.com/acme/app/actions/runs/42', tags: 'sha-ddddddd,latest' });

    const client = createRegistryClient({ host: registry.host, repository: 'acme/app', insecure: true, credentials: async () => ({ username: registry.username!, password: registry.password! }) });
    expect(await client.resolve('latest')).toBe(r.outputs.digest);

    const post = await runBundledAction('action-sign', {}, { entry: 'post', state: r.state, env: { TRUNKLINE_DOCKER: docker.path } });
    expect(post.code).toBe(0);
    const calls = docker.calls();
    expect(calls.find((c) => c.argv[0] === 'login')).toEqual({ argv: ['login', '--username', registry.username!, '--password-stdin', registry.host], stdin: registry.password });
    expect(calls.at(-1)!.argv).toEqual(['logout', registry.host]);
    for (const c of calls) expect(c.argv.join(' ')).not.toContain(registry.password!);
    // The password only ever appears in the runner's own ::add-mask:: command.
    for (const text of [visible(r.stdout), r.stderr, JSON.stringify(r.outputs), r.summary, visible(post.stdout)]) expect(text).not.toContain(registry.password!);
    expect(r.stdout).toContain(`::add-mask::${registry.password}`);
  });

  it('refuses on pull_request_target without the opt-in and pushes nothing', async () => {
    const r = await runBundledAction('action-sign', {
      image, repository: `${registry.host}/acme/prt`, tags: 'x', username: registry.username!, password: registry.password!, 'signature-file': join(work, 'prt.signature'),
    }, { env: { GITHUB_EVENT_NAME: 'pull_request_target' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::refusing to sign and push on a pull_request_target event.*allow-privileged-event: true/);
    const client = createRegistryClient({ host: registry.host, repository: 'acme/prt', insecure: true, credentials: async () => ({ username: registry.username!, password: registry.password! }) });
    expect(await client.listTags()).toEqual([]);
    expect(r.state['logout-registry']).toBeUndefined();
  });

  it('ECR login through AWS_ENDPOINT_URL_ECR (loopback fake): token and password never visible', async () => {
    const fake = await startFakeEcr({ username: registry.username, passwords: [registry.password!], proxyHost: registry.host });
    try {
      const r = await runBundledAction('action-sign', {
        image, repository: `${registry.host}/ecr/app`, tags: 'v1', 'private-key': privatePem, 'registry-type': 'ecr', 'aws-region': 'eu-west-1',
        'create-repository': 'true', 'docker-login': 'false', 'signature-file': join(work, 'ecr.signature'),
      }, { env: { AWS_ENDPOINT_URL_ECR: fake.endpoint, AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret', AWS_EC2_METADATA_DISABLED: 'true', GITHUB_EVENT_NAME: 'push' } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(fake.calls.map((c) => c.operation)).toEqual(['GetAuthorizationToken', 'DescribeRepositories', 'CreateRepository']);
      const token = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
      for (const text of [visible(r.stdout), r.stderr, JSON.stringify(r.outputs), r.summary]) {
        expect(text).not.toContain(registry.password!);
        expect(text).not.toContain(token);
      }
      expect(r.stdout).toContain(`::add-mask::${token}`);
    } finally {
      await fake.stop();
    }
  });
});
