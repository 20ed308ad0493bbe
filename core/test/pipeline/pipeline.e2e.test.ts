// The main job end to end, through the CLI exactly as the README runs it: real dockerd, a real
// distribution registry on loopback, real git. Each run gets its own state dir and registry port.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/adapters/process.ts';
import { freePort } from '../../src/adapters/free-port.ts';
import type { SummaryDocument } from '../../src/report/summary-file.ts';
import { prepareDocker } from '../support/infra.ts';
import { trivyFixtures } from '../support/paths.ts';
import { runCli } from '../support/cli.ts';

const cli = runCli;

async function tagsOf(host: string, repository: string): Promise<string[]> {
  const response = await fetch(`http://${host}/v2/${repository}/tags/list`);
  if (response.status === 404) return [];
  return ((await response.json()) as { tags: string[] | null }).tags ?? [];
}

async function manifestDigest(host: string, repository: string, tag: string): Promise<string | null> {
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  return response.headers.get('docker-content-digest');
}

const git = async (gitDir: string, ...args: string[]): Promise<string> => (await run('git', ['--git-dir', gitDir, ...args])).stdout;
const summaryOf = (stateDir: string): SummaryDocument => JSON.parse(readFileSync(join(stateDir, 'summary.json'), 'utf8')) as SummaryDocument;
const statusOf = (summary: SummaryDocument): Record<string, string> => Object.fromEntries(summary.stages.map((s) => [s.name, s.status]));

describe('trunkline pipeline (real docker, registry and git)', () => {
  const dirs: string[] = [];
  const stops: Array<() => Promise<unknown>> = [];
  beforeAll(async () => { await prepareDocker(); });
  afterAll(async () => {
    for (const dir of dirs) {
      // The pipeline leaves its registry running for the next run; the test stops its own.
      const pidLine = await run('pgrep', ['-f', `${dir}/registry/config.yml`], { allowFailure: true });
      for (const pid of pidLine.stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
    await Promise.all(stops.map((s) => s()));
  });

  async function freshRun(): Promise<{ stateDir: string; port: number; host: string }> {
    const stateDir = mkdtempSync(join(tmpdir(), 'trunkline-e2e-'));
    dirs.push(stateDir);
    const port = await freePort();
    return { stateDir, port, host: `127.0.0.1:${port}` };
  }

  it('builds, probes, signs, pushes and bumps; a re-run changes nothing', async () => {
    const { stateDir, port, host } = await freshRun();
    const first = await cli(['pipeline', '--state-dir', stateDir, '--registry-port', String(port)]);
    expect(first.code, first.stderr).toBe(0);
    const summary = summaryOf(stateDir);
    expect(statusOf(summary)).toEqual({
      lint: 'passed', 'scan-fs': 'skipped', build: 'passed', 'scan-image': 'skipped',
      'verify-metrics': 'passed', 'sign-and-push': 'passed', 'gitops-bump': 'passed',
    });
    // Trivy is absent here: the scans say so and how to install it, never "passed".
    const scanFs = summary.stages.find((s) => s.name === 'scan-fs')!;
    expect(scanFs.notes.join(' ')).toMatch(/Trivy is not installed/);
    // The local default scan-policy is optional: the skip is visible as "not scanned", here and in the signed claims.
    expect(scanFs.notes[0]).toMatch(/^not scanned \(scan-policy optional\)/);

    // The registry serves every tag at the digest that was signed, plus cosign's signature tag.
    const record = JSON.parse(readFileSync(join(stateDir, 'image.signature'), 'utf8')) as { digest: string; payload: string; signature: string; publicKey: string };
    const tags = await tagsOf(host, 'sample-service');
    const build = summary.stages.find((s) => s.name === 'build')!;
    const builtTags = build.outputs.tags as string[];
    expect(builtTags).toContain('latest');
    expect(builtTags.some((t) => /^sha-[0-9a-f]{7}$/.test(t))).toBe(true);
    for (const tag of builtTags) {
      expect(tags).toContain(tag);
      expect(await manifestDigest(host, 'sample-service', tag)).toBe(record.digest);
    }
    expect(tags).toContain(`${record.digest.replace(':', '-')}.sig`);

    // The signature verifies with an independent checker (openssl) over the payload bytes.
    const work = mkdtempSync(join(tmpdir(), 'trunkline-openssl-'));
    dirs.push(work);
    writeFileSync(join(work, 'payload'), Buffer.from(record.payload, 'base64'));
    writeFileSync(join(work, 'sig.der'), Buffer.from(record.signature, 'base64'));
    writeFileSync(join(work, 'pub.pem'), record.publicKey);
    const openssl = await run('openssl', ['dgst', '-sha256', '-verify', join(work, 'pub.pem'), '-signature', join(work, 'sig.der'), join(work, 'payload')]);
    expect(openssl.stdout).toContain('Verified OK');
    const payload = JSON.parse(Buffer.from(record.payload, 'base64').toString()) as { critical: { image: { 'docker-manifest-digest': string } } };
    expect(payload.critical.image['docker-manifest-digest']).toBe(record.digest);
    expect((payload as { optional?: Record<string, string> }).optional?.scan).toBe('not scanned: scan-fs, scan-image');

    // The Flux repository has one new commit on the bump branch that changes only tag and digest lines.
    const bare = join(stateDir, 'flux.git');
    const branch = 'trunkline/bump/sample-service';
    expect((await git(bare, 'rev-list', '--count', `main..${branch}`)).trim()).toBe('1');
    const diff = await git(bare, 'diff', '--unified=0', 'main', branch);
    const changed = diff.split('\n').filter((l) => /^[+-](?![+-]{2})/.test(l));
    expect(changed.length).toBe(8);
    for (const line of changed) expect(line).toMatch(/^[+-]\s+(tag|digest): "?[^"]*"?$/);
    expect(diff).toContain(`digest: "${record.digest}"`);
    const shaTag = builtTags.find((t) => t.startsWith('sha-'))!;
    expect(diff).toContain(`tag: "${shaTag}"`);
    const head = (await git(bare, 'rev-parse', branch)).trim();

    // Re-run with nothing changed: the same image digest, no new GitOps commit.
    const second = await cli(['pipeline', '--state-dir', stateDir, '--registry-port', String(port)]);
    expect(second.code, second.stderr).toBe(0);
    const again = summaryOf(stateDir);
    expect(again.stages.find((s) => s.name === 'sign-and-push')!.outputs.digest).toBe(record.digest);
    expect(again.stages.find((s) => s.name === 'gitops-bump')!.outputs.changed).toBe(false);
    expect((await git(bare, 'rev-parse', branch)).trim()).toBe(head);
  });

  it('exits non-zero and publishes nothing when the image report is about another image, even a clean one', async () => {
    const { stateDir, port, host } = await freshRun();
    // alpine-310's report has no finding at or above HIGH: before the artifact check it passed the gate and the image was published.
    const result = await cli(['pipeline', '--state-dir', stateDir, '--registry-port', String(port), '--no-lint',
      '--image-report', join(trivyFixtures, 'alpine-310.json.golden')]);
    expect(result.code).toBe(1);
    const summary = summaryOf(stateDir);
    expect(summary.passed).toBe(false);
    expect(statusOf(summary)['scan-image']).toBe('failed');
    // The message names both: the report's artifact and the image it gates (reference and image ID).
    expect(summary.stages.find((s) => s.name === 'scan-image')!.error)
      .toMatch(/the report is for container_image "[^"]*alpine[^"]*".*not for the image "127\.0\.0\.1:\d+\/sample-service:sha-[0-9a-f]{7}" \(sha256:[0-9a-f]{64}\)/);
    expect(statusOf(summary)['sign-and-push']).toBe('skipped');
    expect(statusOf(summary)['gitops-bump']).toBe('skipped');
    expect(await tagsOf(host, 'sample-service')).toEqual([]);
    const branches = await git(join(stateDir, 'flux.git'), 'branch', '--list');
    expect(branches.trim()).toBe('* main');
  });
});
