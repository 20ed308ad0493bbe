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
    const signed = await runCli(['sign', '--json', '--image', image, '--repository', `${registry.host}/cli/app`, '--tags', 'v1', '--private-key', join(work, 'cosign.key'), '--username', registry.username!, '--password-stdin', '--signature-file', sigFile, '--docker-login', 'false'],
      { env: { TRUNKLINE_KEY_PASSPHRASE: 'pass phrase' }, input: `${registry.password}\n` });
    expect(signed.code, signed.out).toBe(0);
    expect(signed.out).not.toContain(registry.password!);
    const digest = JSON.parse(readFileSync(sigFile, 'utf8')).digest as string;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // --json: stdout is exactly the outputs record the action writes to GITHUB_OUTPUT.
    expect(JSON.parse(signed.stdout)).toEqual({
      digest,
      'image-ref': `${registry.host}/cli/app@${digest}`,
      'signature-ref': `${registry.host}/cli/app:${digest.replace(':', '-')}.sig`,
      'public-key': key.publicKeyPem,
      'pushed-tags': ['v1'],
    });

    const fromFile = await runCli(['verify', '--public-key', join(work, 'cosign.pub'), '--signature-file', sigFile, '--digest', digest]);
    expect(fromFile.code, fromFile.out).toBe(0);
    const fromRegistry = await runCli(['verify', '--json', '--public-key', join(work, 'cosign.pub'), '--image-ref', `${registry.host}/cli/app:v1`], { env: { TRUNKLINE_REGISTRY_USERNAME: registry.username!, TRUNKLINE_REGISTRY_PASSWORD: registry.password! } });
    expect(fromRegistry.code, fromRegistry.out).toBe(0);
    expect(JSON.parse(fromRegistry.stdout)).toMatchObject({ digest, 'image-ref': `${registry.host}/cli/app@${digest}` });
    const otherDigest = await runCli(['verify', '--public-key', join(work, 'cosign.pub'), '--signature-file', sigFile, '--digest', `sha256:${'1'.repeat(64)}`]);
    expect(otherDigest.code).toBe(1);
    expect(otherDigest.out).toMatch(/signature is for digest/);
  });

  it('bad usage exits 2 and names the flag', async () => {
    const noKey = await runCli(['verify', '--signature-file', 'x', '--digest', `sha256:${'1'.repeat(64)}`]);
    expect(noKey.code).toBe(2);
    expect(noKey.out).toMatch(/Input "public-key" is required/);
    const badRegion = await runCli(['sign', '--image', image, '--repository', `${registry.host}/cli/app`, '--aws-region', 'mars-1', '--push', 'false']);
    expect(badRegion.code).toBe(2);
    expect(badRegion.out).toMatch(/Input "aws-region" must be an AWS region such as eu-west-1 \(got "mars-1"\)/);
    // A key that cannot be opened is found by the stage: a failed result (exit 1), naming the input.
    const noPass = await runCli(['sign', '--image', image, '--repository', `${registry.host}/cli/app`, '--private-key', join(work, 'cosign.key'), '--push', 'false'], { env: { TRUNKLINE_KEY_PASSPHRASE: '' } });
    expect(noPass.code).toBe(1);
    expect(noPass.out).toMatch(/"private-key-passphrase" is required/);
  });
});
