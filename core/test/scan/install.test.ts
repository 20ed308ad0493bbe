// Installing Trivy through @actions/tool-cache from a release server. GitHub's release host is
// remote, so a loopback HTTP server stands in for it, serving a fake release archive laid out like
// Trivy's (`v<version>/trivy_<version>_Linux-64bit.tar.gz` with `trivy` at its root).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tc from '@actions/tool-cache';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumError, installTrivy, trivyVersion } from '../../src/adapters/trivy.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { runScan } from '../../src/stages/scan.ts';
import { trivyFixtures } from '../support/paths.ts';
import { scratchDirs } from '../support/scratch.ts';
import { fakeTrivyRuns } from './fake-trivy.ts';
import type { FakeReleaseServer } from './release-server.ts';
import { startFakeReleaseServer } from './release-server.ts';

const VERSION = '0.74.0';
const ASSET = `/v${VERSION}/trivy_${VERSION}_Linux-64bit.tar.gz`;
let release: FakeReleaseServer;
let baseUrl: string;
let archiveSha: string;
let requests: string[];
const savedEnv = { ...process.env };

beforeAll(async () => {
  release = await startFakeReleaseServer(VERSION);
  ({ baseUrl, sha256: archiveSha, requests } = release);
});

afterAll(async () => {
  await release.close();
});

const tempDir = scratchDirs();

beforeEach(() => {
  requests.length = 0;
  const dir = tempDir('trunkline-toolcache-');
  process.env.RUNNER_TOOL_CACHE = join(dir, 'tool-cache');
  process.env.RUNNER_TEMP = join(dir, 'temp');
  mkdirSync(process.env.RUNNER_TEMP, { recursive: true });
});

afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

const install = (sha256?: string) => installTrivy({ version: VERSION, ...(sha256 ? { sha256 } : {}), baseUrl, platform: 'linux', arch: 'x64', log: createMemoryLogger() });

describe('installTrivy (loopback fake)', () => {
  it('installs the archive when its sha256 matches, into the tool cache, runnable', async () => {
    const installed = await install(archiveSha);
    expect(installed.cached).toBe(false);
    expect(requests).toEqual([ASSET]);
    expect(installed.binary).toBe(join(process.env.RUNNER_TOOL_CACHE!, 'trivy', VERSION, 'x64', 'trivy'));
    expect(await trivyVersion(installed.binary)).toBe(VERSION);
    expect(tc.find('trivy', VERSION, 'x64')).toBe(join(process.env.RUNNER_TOOL_CACHE!, 'trivy', VERSION, 'x64'));
    // The downloaded archive does not stay behind in RUNNER_TEMP.
    expect(readdirSync(process.env.RUNNER_TEMP!).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('refuses an archive whose sha256 differs, and installs nothing', async () => {
    const wrong = createHash('sha256').update('not the archive').digest('hex');
    await expect(install(wrong)).rejects.toThrow(ChecksumError);
    await expect(install(wrong)).rejects.toThrow(`checksum mismatch for trivy_${VERSION}_Linux-64bit.tar.gz: expected sha256 ${wrong}, got ${archiveSha}; refusing to install it`);
    expect(tc.find('trivy', VERSION, 'x64')).toBe('');
    expect(existsSync(join(process.env.RUNNER_TOOL_CACHE!, 'trivy'))).toBe(false);
    expect(readdirSync(process.env.RUNNER_TEMP!).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('refuses the real pinned checksum for a fake archive (the pin is enforced by default)', async () => {
    await expect(install()).rejects.toThrow(/checksum mismatch .* expected sha256 2ae6fe3ee734b7fdf11335663e18c75ea12dccc76062f09f164a3b0f8be4371a/);
  });

  it('a cache hit skips the download', async () => {
    await install(archiveSha);
    expect(requests).toHaveLength(1);
    const again = await install(archiveSha);
    expect(again.cached).toBe(true);
    expect(requests).toHaveLength(1);
  });

  it('never downloads a version that has no pinned or given checksum', async () => {
    await expect(installTrivy({ version: '0.73.0', baseUrl, platform: 'linux', arch: 'x64', log: createMemoryLogger() }))
      .rejects.toThrow(/no sha256 is pinned for Trivy 0\.73\.0 \(Linux-64bit\).*never installs an unverified binary/);
    expect(requests).toEqual([]);
  });

  it('fails on a release that is not there (404), without retrying forever', async () => {
    await expect(installTrivy({ version: '9.9.9', sha256: archiveSha, baseUrl, platform: 'linux', arch: 'x64', log: createMemoryLogger() })).rejects.toThrow(/404/);
  });
});

describe('runScan installing Trivy first (loopback fake)', () => {
  it('installs, runs the installed binary once and gates its report; a bad checksum fails the stage, never skips it', async () => {
    const work = tempDir('trunkline-scan-install-');
    const state = join(work, 'state');
    mkdirSync(state);
    Object.assign(process.env, { FAKE_TRIVY_DIR: state, FAKE_TRIVY_REPORT: join(trivyFixtures, 'alpine-310.json.golden') });
    const base = { mode: 'image' as const, input: 'testdata/fixtures/images/alpine-310.tar.gz', failOn: 'HIGH' as const, ignoreUnfixed: false, ignoreFiles: [], scanners: [], skipDirs: [], outputDir: join(work, 'out'), cwd: work };
    const ok = await runScan({ ...base, trivy: { install: { version: VERSION, sha256: archiveSha, baseUrl } } }, createMemoryLogger());
    expect(ok.status).toBe('passed');
    expect(fakeTrivyRuns(state)).toBe(1);
    process.env.RUNNER_TOOL_CACHE = join(work, 'empty-tool-cache');
    const bad = await runScan({ ...base, trivy: { install: { version: VERSION, sha256: 'a'.repeat(64), baseUrl } } }, createMemoryLogger());
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/^ChecksumError: checksum mismatch for trivy_0\.74\.0_Linux-64bit\.tar\.gz/);
    expect(bad.outputs.passed).toBe(false);
    expect(fakeTrivyRuns(state)).toBe(1);
  });
});
