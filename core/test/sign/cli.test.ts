import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';
import { startRegistry } from '../support/infra.ts';
import type { LocalRegistry } from '../support/infra.ts';
import { ensureDockerd } from '../../src/local/dockerd.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { generateKeyPair } from '../../src/domain/signature.ts';
import { makeImage, removeTestImages } from './helpers.ts';
import { scratchDirs } from '../support/scratch.ts';

// `trunkline sign` / `trunkline verify` as a user runs them: node on the CLI entry, secrets via
// environment or stdin only.

let registry: LocalRegistry;
const tempDir = scratchDirs();
let work: string;
let image: string;
const key = generateKeyPair();

beforeAll(async () => {
  await ensureDockerd(createMemoryLogger());
  registry = await startRegistry({ auth: true });
  work = tempDir('sign-cli-');
  image = makeImage(`cli ${Date.now()}`);
  writeFileSync(join(work, 'cosign.key'), key.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass phrase' }));
  writeFileSync(join(work, 'cosign.pub'), key.publicKeyPem);
});
afterAll(async () => {
  await registry?.stop();
  removeTestImages();
});

describe('trunkline sign / verify', () => {
  it('signs with an encrypted key, pushes with the password from stdin, and verifies from the registry', async () => {
    const sigFile = join(work, 'image.signature');
    const signed = await runCli(['sign', '--image', image, '--repository', `${registry.host}/cli/app`, '--tag', 'v1', '--key', join(work, 'cosign.key'), '--username', registry.username!, '--password-stdin', '--signature-file', sigFile],
      { env: { TRUNKLINE_KEY_PASSPHRASE: 'pass phrase' }, input: `${registry.password}\n` });
    expect(signed.code, signed.out).toBe(0);
    expect(signed.out).not.toContain(registry.password!);
    const digest = JSON.parse(readFileSync(sigFile, 'utf8')).digest as string;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const fromFile = await runCli(['verify', '--public-key', join(work, 'cosign.pub'), '--signature-file', sigFile, '--digest', digest]);
    expect(fromFile.code, fromFile.out).toBe(0);
    const fromRegistry = await runCli(['verify', '--public-key', join(work, 'cosign.pub'), '--image-ref', `${registry.host}/cli/app:v1`], { env: { TRUNKLINE_REGISTRY_USERNAME: registry.username!, TRUNKLINE_REGISTRY_PASSWORD: registry.password! } });
    expect(fromRegistry.code, fromRegistry.out).toBe(0);
    const otherDigest = await runCli(['verify', '--public-key', join(work, 'cosign.pub'), '--signature-file', sigFile, '--digest', `sha256:${'1'.repeat(64)}`]);
    expect(otherDigest.code).toBe(1);
    expect(otherDigest.out).toMatch(/signature is for digest/);
  });

  it('bad usage exits 2 and names the flag', async () => {
    const noKey = await runCli(['verify', '--signature-file', 'x', '--digest', `sha256:${'1'.repeat(64)}`]);
    expect(noKey.code).toBe(2);
    expect(noKey.out).toMatch(/"--public-key" is required/);
    const noPass = await runCli(['sign', '--image', image, '--repository', `${registry.host}/cli/app`, '--key', join(work, 'cosign.key'), '--no-push'], { env: { TRUNKLINE_KEY_PASSPHRASE: '' } });
    expect(noPass.code).toBe(2);
    expect(noPass.out).toMatch(/"private-key-passphrase" is required/);
  });
});
