import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDockerd } from '../../src/local/dockerd.ts';
import { startRegistry } from '../support/infra.ts';
import type { LocalRegistry } from '../support/infra.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { runSignAndPush } from '../../src/stages/sign.ts';
import { runVerify } from '../../src/stages/verify.ts';
import type { SignConfig } from '../../src/stages/sign.ts';
import { createRegistryClient } from '../../src/adapters/registry.ts';
import { generateKeyPair } from '../../src/domain/signature.ts';
import { parseSignatureManifest, signatureTag } from '../../src/domain/oci-manifest.ts';
import { makeImage, removeTestImages } from './helpers.ts';
import { scratchDirs } from '../support/scratch.ts';

// The push path end to end: real dockerd 20.10 (`docker save`), the real CNCF distribution registry
// with htpasswd basic auth (standing in for ECR's AWS:<token> login), real crypto.

let registry: LocalRegistry;
const tempDir = scratchDirs();
let work: string;
let imageA: string;
let imageB: string;
const key = generateKeyPair();
const privatePem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const fast = { attempts: 2, baseDelayMs: 1 };

beforeAll(async () => {
  await ensureDockerd(createMemoryLogger());
  registry = await startRegistry({ auth: true });
  work = tempDir('sign-e2e-');
  imageA = makeImage(`A ${Date.now()}`);
  imageB = makeImage(`B ${Date.now()}`);
});

afterAll(async () => {
  await registry?.stop();
  removeTestImages();
});

function config(over: Partial<SignConfig>): SignConfig {
  return {
    image: imageA,
    repository: `${registry.host}/team/sample-service`,
    tags: ['1.0.0', 'sha-1234567'],
    privateKey: privatePem,
    registryAuth: { username: registry.username!, password: registry.password! },
    signatureFile: join(work, `image-${Math.random().toString(36).slice(2)}.signature`),
    annotations: { 'git-sha': 'a'.repeat(40), 'run-url': 'https://github.com/o/r/actions/runs/1' },
    retry: fast,
    ...over,
  };
}

function client(repository: string) {
  return createRegistryClient({ host: registry.host, repository, insecure: true, credentials: async () => ({ username: registry.username!, password: registry.password! }), retry: fast });
}

describe('sign and push against a local registry with htpasswd auth', () => {
  let firstDigest = '';

  it('pushes by digest, tags only after verification, stores the cosign signature and re-verifies it', async () => {
    const log = createMemoryLogger();
    const cfg = config({});
    const result = await runSignAndPush(cfg, log);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('passed');
    const o = result.outputs;
    firstDigest = o.digest;
    expect(o.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(o['image-ref']).toBe(`${registry.host}/team/sample-service@${o.digest}`);
    expect(o['signature-ref']).toBe(`${registry.host}/team/sample-service:${signatureTag(o.digest)}`);
    expect(o['pushed-tags']).toEqual(['1.0.0', 'sha-1234567']);
    expect(o['public-key']).toBe(key.publicKeyPem);

    const c = client('team/sample-service');
    expect((await c.listTags()).sort()).toEqual(['1.0.0', signatureTag(o.digest), 'sha-1234567'].sort());
    expect(await c.resolve('1.0.0')).toBe(o.digest);
    expect(await c.resolve('sha-1234567')).toBe(o.digest);
    const sig = await c.getManifest(signatureTag(o.digest));
    expect(parseSignatureManifest(sig!.bytes)).toHaveLength(1);

    // The record verifies with openssl over the exact payload bytes (independent checker).
    const record = JSON.parse(readFileSync(cfg.signatureFile, 'utf8'));
    expect(record.digest).toBe(o.digest);
    writeFileSync(join(work, 'payload'), Buffer.from(record.payload, 'base64'));
    writeFileSync(join(work, 'sig.der'), Buffer.from(record.signature, 'base64'));
    writeFileSync(join(work, 'pub.pem'), key.publicKeyPem);
    expect(execFileSync('openssl', ['dgst', '-sha256', '-verify', join(work, 'pub.pem'), '-signature', join(work, 'sig.der'), join(work, 'payload')]).toString().trim()).toBe('Verified OK');
    // ...and the layer stored in the registry is the same payload.
    expect(parseSignatureManifest(sig!.bytes)[0]!.signature).toBe(record.signature);

    // Verify mode from the registry alone (tag → digest → .sig).
    const verified = await runVerify({ publicKey: key.publicKeyPem, imageRef: `${registry.host}/team/sample-service:1.0.0`, registryAuth: { username: registry.username!, password: registry.password! }, retry: fast }, createMemoryLogger());
    expect(verified.status).toBe('passed');
    expect(verified.outputs.digest).toBe(o.digest);
    // The password was masked: no line a user reads contains it.
    expect(log.lines.join('\n')).not.toContain(registry.password!);
  });

  it('serves content docker can pull: same image id as the local image', async () => {
    const dockerConfig = mkdtempSync(join(tmpdir(), 'sign-dockercfg-'));
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    try {
      execFileSync('docker', ['login', '--username', registry.username!, '--password-stdin', registry.host], { input: registry.password!, env, stdio: ['pipe', 'ignore', 'ignore'] });
      execFileSync('docker', ['pull', `${registry.host}/team/sample-service@${firstDigest}`], { env, stdio: 'ignore' });
      const id = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', `${registry.host}/team/sample-service@${firstDigest}`], { env }).toString().trim();
      expect(id).toBe(imageA);
    } finally {
      rmSync(dockerConfig, { recursive: true, force: true });
    }
  });

  it('a re-run of the same digest on immutable tags succeeds as a no-op', async () => {
    const c = client('team/sample-service');
    const before = (await c.listTags()).sort();
    const result = await runSignAndPush(config({ tagMutability: { mode: 'IMMUTABLE', filters: [] } }), createMemoryLogger());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('passed');
    expect(result.outputs.digest).toBe(firstDigest);
    expect(result.outputs['pushed-tags']).toEqual(['1.0.0', 'sha-1234567']);
    expect(result.notes.join('\n')).toMatch(/no-op\): 1\.0\.0, sha-1234567/);
    // The same payload signed again with the same key: the existing signature is kept, nothing appended.
    expect(result.notes.join('\n')).toMatch(/already holds a signature over the same payload/);
    expect((await c.listTags()).sort()).toEqual(before);
    expect(parseSignatureManifest((await c.getManifest(signatureTag(firstDigest)))!.bytes)).toHaveLength(1);
  });

  it('a re-run over the unchanged digest with the same key keeps the signature set (the .sig layers do not grow)', async () => {
    const c = client('team/sample-service');
    const before = await c.getManifest(signatureTag(firstDigest));
    for (let run = 0; run < 2; run++) {
      const result = await runSignAndPush(config({ tagMutability: { mode: 'IMMUTABLE_WITH_EXCLUSION', filters: ['sha256-*.sig'] } }), createMemoryLogger());
      expect(result.status).toBe('passed');
    }
    const after = await c.getManifest(signatureTag(firstDigest));
    expect(parseSignatureManifest(after!.bytes)).toHaveLength(1);
    expect(after!.digest).toBe(before!.digest);
  });

  it('with the sha256-*.sig exclusion, a signature over other claims is appended as cosign does', async () => {
    const result = await runSignAndPush(config({ tagMutability: { mode: 'IMMUTABLE_WITH_EXCLUSION', filters: ['sha256-*.sig'] }, annotations: { 'git-sha': 'b'.repeat(40) } }), createMemoryLogger());
    expect(result.status).toBe('passed');
    const layers = parseSignatureManifest((await client('team/sample-service').getManifest(signatureTag(firstDigest)))!.bytes);
    expect(layers).toHaveLength(2);
  });

  it('an immutable .sig tag that cannot take a new signature is kept when it already holds one that verifies', async () => {
    const result = await runSignAndPush(config({ tagMutability: { mode: 'IMMUTABLE', filters: [] }, annotations: { 'git-sha': 'c'.repeat(40) } }), createMemoryLogger());
    expect(result.status).toBe('passed');
    expect(result.notes.join('\n')).toMatch(/Kept the existing signature manifest/);
    expect(parseSignatureManifest((await client('team/sample-service').getManifest(signatureTag(firstDigest)))!.bytes)).toHaveLength(2);
  });

  it('refuses a different digest on an existing immutable tag, naming both digests, and pushes nothing', async () => {
    const c = client('team/sample-service');
    const before = (await c.listTags()).sort();
    const result = await runSignAndPush(config({ image: imageB, tags: ['1.0.0', 'fresh-tag'], tagMutability: { mode: 'IMMUTABLE', filters: [] } }), createMemoryLogger());
    expect(result.status).toBe('failed');
    const newDigest = result.outputs.digest;
    expect(newDigest).toMatch(/^sha256:/);
    expect(newDigest).not.toBe(firstDigest);
    expect(result.error).toContain(firstDigest);
    expect(result.error).toContain(newDigest);
    expect(result.error).toMatch(/Nothing was tagged/);
    expect((await c.listTags()).sort()).toEqual(before); // fresh-tag was not written either
    expect(await c.resolve('1.0.0')).toBe(firstDigest);
    expect(await c.resolve(newDigest)).toBeUndefined(); // not even the manifest by digest
    expect(result.outputs['pushed-tags']).toEqual([]);
  });

  it('moves a mutable tag to the new digest and says so', async () => {
    const result = await runSignAndPush(config({ image: imageB, tags: ['latest'] }), createMemoryLogger());
    expect(result.status).toBe('passed');
    const again = await runSignAndPush(config({ image: imageA, tags: ['latest'] }), createMemoryLogger());
    expect(again.status).toBe('passed');
    expect(again.notes.join('\n')).toContain(`Moved mutable tag latest from ${result.outputs.digest}`);
    expect(await client('team/sample-service').resolve('latest')).toBe(firstDigest);
  });

  it('tags nothing when the signature does not verify with the configured public key', async () => {
    const wrong = generateKeyPair().publicKeyPem;
    const cfg = config({ repository: `${registry.host}/team/unverified`, publicKey: wrong });
    const result = await runSignAndPush(cfg, createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/does not verify with the configured public key .*Nothing was pushed/);
    const c = client('team/unverified');
    expect(await c.listTags()).toEqual([]);
    expect(await c.resolve(result.outputs.digest)).toBeUndefined();
    expect(result.outputs['pushed-tags']).toEqual([]);
  });

  it('signs the digest that a push produces: push:false gives the same digest without touching the registry', async () => {
    const result = await runSignAndPush(config({ push: false, repository: `${registry.host}/team/not-pushed` }), createMemoryLogger());
    expect(result.status).toBe('passed');
    expect(result.outputs.digest).toBe(firstDigest);
    expect(await client('team/not-pushed').listTags()).toEqual([]);
  });

  it('fails clearly without credentials on an htpasswd registry', async () => {
    const result = await runSignAndPush(config({ registryAuth: undefined, repository: `${registry.host}/team/anon` }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/requires credentials and none were given.*No tag was written/);
  });

  it('fails with a wrong password after one fresh attempt and never prints it', async () => {
    const log = createMemoryLogger();
    const result = await runSignAndPush(config({ registryAuth: { username: registry.username!, password: 'wrong-password-0xDEADBEEF' }, repository: `${registry.host}/team/badpw` }), log);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/rejected the credentials/);
    expect(JSON.stringify(result) + log.lines.join('\n')).not.toContain('wrong-password-0xDEADBEEF');
  });

  it('ephemeral key: warns and outputs the public key the signature verifies with', async () => {
    const log = createMemoryLogger();
    const cfg = config({ privateKey: undefined, repository: `${registry.host}/team/ephemeral`, tags: ['e1'] });
    const result = await runSignAndPush(cfg, log);
    expect(result.status).toBe('passed');
    expect(log.lines.join('\n')).toMatch(/warning: No private-key given/);
    const verified = await runVerify({ publicKey: result.outputs['public-key'], signatureFile: cfg.signatureFile, digest: result.outputs.digest }, createMemoryLogger());
    expect(verified.status).toBe('passed');
    const other = await runVerify({ publicKey: key.publicKeyPem, signatureFile: cfg.signatureFile, digest: result.outputs.digest }, createMemoryLogger());
    expect(other.status).toBe('failed');
  });
});
