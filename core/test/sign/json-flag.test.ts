import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';
import { outputsJson, takeJsonFlag } from '../../src/cli/main.ts';
import { buildPayload, generateKeyPair, signatureRecord, signPayload } from '../../src/domain/signature.ts';
import { scratchDirs } from '../support/scratch.ts';

// `--json` is handled once in cli/main.ts for every command: stdout carries exactly the stage's
// outputs (the record the action writes to GITHUB_OUTPUT); the log and the stage table go to stderr.

const tempDir = scratchDirs();
const DIGEST = `sha256:${'4d'.repeat(32)}`;

describe('--json on any command', () => {
  it('is taken out of argv before the command parses it, wherever it stands', () => {
    expect(takeJsonFlag(['--a', '1', '--json', '--b'])).toEqual({ args: ['--a', '1', '--b'], json: true });
    expect(takeJsonFlag(['--a', '1'])).toEqual({ args: ['--a', '1'], json: false });
  });

  it('prints outputs with lists as arrays and without unset values', () => {
    const json = outputsJson({ name: 's', status: 'passed', durationMs: 1, findings: [], notes: [], outputs: { digest: DIGEST, tags: ['a', 'b'], unset: undefined } });
    expect(JSON.parse(json)).toEqual({ digest: DIGEST, tags: ['a', 'b'] });
  });

  it('trunkline verify --json: stdout is the outputs record, on success and on failure', async () => {
    const work = tempDir('json-flag-');
    const key = generateKeyPair();
    const payload = buildPayload('ghcr.io/acme/app', DIGEST);
    const file = join(work, 'image.signature');
    writeFileSync(file, JSON.stringify(signatureRecord(payload, signPayload(payload, key.privateKey), key.privateKey)));
    writeFileSync(join(work, 'cosign.pub'), key.publicKeyPem);

    const ok = await runCli(['verify', '--public-key', join(work, 'cosign.pub'), '--signature-file', file, '--digest', DIGEST, '--json']);
    expect(ok.code, ok.out).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ digest: DIGEST, 'image-ref': DIGEST, 'signature-ref': '', 'public-key': key.publicKeyPem });
    expect(ok.stderr).toMatch(/verify\s+PASSED/);

    const other = `sha256:${'00'.repeat(32)}`;
    const bad = await runCli(['verify', '--json', '--public-key', join(work, 'cosign.pub'), '--signature-file', file, '--digest', other]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ digest: other, 'public-key': key.publicKeyPem });
  });

  it('trunkline tags prints its json record alone, and with --json the outputs record once (one JSON document)', async () => {
    const args = ['tags', '--image', 'ghcr.io/acme/app', '--event-name', 'push', '--ref', 'refs/heads/main', '--sha', 'a'.repeat(40)];
    const plain = await runCli(args);
    expect(plain.code, plain.out).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ image: 'ghcr.io/acme/app', tags: expect.arrayContaining(['sha-aaaaaaa']) });

    const withJson = await runCli([...args, '--json']);
    expect(withJson.code, withJson.out).toBe(0);
    const outputs = JSON.parse(withJson.stdout) as Record<string, unknown>;
    expect(outputs).toMatchObject({ image: 'ghcr.io/acme/app', tags: expect.arrayContaining(['sha-aaaaaaa']) });
    expect(outputs.json).toMatchObject({ image: 'ghcr.io/acme/app' });
  });
});
