// runScan end to end on real Trivy reports: outputs, fail-closed paths, ignore files on disk,
// the job summary, and the Trivy run path (with a fake trivy executable: Trivy cannot run here).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScanConfig } from '../../src/stages/scan.ts';
import { runScan } from '../../src/stages/scan.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { trivyFixtures } from '../support/paths.ts';
import { scratchDirs } from '../support/scratch.ts';
import { RATE_LIMIT_STDERR, fakeTrivyRun, fakeTrivyRuns, writeFakeTrivy } from './fake-trivy.ts';

const fixture = (name: string): string => join(trivyFixtures, name);
const tempDir = scratchDirs();
let work: string;

beforeEach(() => {
  work = tempDir('trunkline-scan-');
});

function config(overrides: Partial<ScanConfig>): ScanConfig {
  return {
    mode: 'image', failOn: 'HIGH', ignoreUnfixed: false, ignoreFiles: [], scanners: ['vuln', 'secret'], skipDirs: [],
    outputDir: join(work, 'out'), cwd: work, now: new Date('2026-11-21T12:00:00Z'), ...overrides,
  };
}

describe('runScan gating an existing report', () => {
  it('a CRITICAL image report fails the stage with the tripping entries as findings and all outputs set', async () => {
    const log = createMemoryLogger();
    const result = await runScan(config({ report: fixture('alpine-39.json.golden') }), log);
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Trivy gate failed: 2 findings at or above HIGH: CVE-2019-14697 (CRITICAL, musl), CVE-2019-14697 (CRITICAL, musl-utils)');
    expect(result.outputs).toEqual({
      passed: false,
      counts: { CRITICAL: 2, HIGH: 0, MEDIUM: 4, LOW: 0, UNKNOWN: 0 },
      findings: 2,
      report: fixture('alpine-39.json.golden'),
      sarif: join(work, 'out', 'trivy-results.sarif'),
    });
    expect(result.findings).toEqual([
      { id: 'CVE-2019-14697', severity: 'CRITICAL', location: 'testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4)', message: 'musl 1.1.20-r4 → 1.1.20-r5' },
      { id: 'CVE-2019-14697', severity: 'CRITICAL', location: 'testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4)', message: 'musl-utils 1.1.20-r4 → 1.1.20-r5' },
    ]);
    const sarif = JSON.parse(readFileSync(result.outputs.sarif, 'utf8'));
    expect(sarif.runs[0].results).toHaveLength(6);
    expect(log.lines.some((l) => l.includes('error: Trivy gate failed'))).toBe(true);
  });

  it('writes a job summary with counts by class and severity and a linked table of what tripped', async () => {
    const result = await runScan(config({ report: fixture('alpine-39.json.golden') }), createMemoryLogger());
    const md = result.summaryMarkdown!;
    expect(md).toMatch(/^### ❌ scan: failed \(\d+ ms\)\n\n\*\*Error:\*\* Trivy gate failed: 2 findings at or above HIGH/);
    expect(md).toContain('| os-pkgs | 2 | 0 | 4 | 0 | 0 | 6 |');
    expect(md).toContain('| CRITICAL | [CVE-2019-14697](https://avd.aquasec.com/nvd/cve-2019-14697) | musl | 1.1.20-r4 → 1.1.20-r5 | testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4) |');
    expect(md).not.toContain('more');
    const capped = await runScan(config({ report: fixture('alpine-39.json.golden'), maxSummaryRows: 1 }), createMemoryLogger());
    expect(capped.summaryMarkdown).toContain('…and 1 more');
    expect(capped.summaryMarkdown).not.toContain('| musl-utils |');
  });

  it('a clean report passes; passed is true only then', async () => {
    const result = await runScan(config({ mode: 'fs', report: fixture('npm.json.golden'), target: 'testdata/fixtures/repo/npm' }), createMemoryLogger());
    expect(result.status).toBe('passed');
    expect(result.outputs.passed).toBe(true);
    expect(result.outputs.counts).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 0, UNKNOWN: 0 });
    expect(result.findings).toEqual([]);
    expect(result.summaryMarkdown).toContain('| lang-pkgs | 0 | 0 | 1 | 0 | 0 | 1 |');
  });

  it('secrets trip the gate like vulnerabilities (counts stay vulnerability-only)', async () => {
    const result = await runScan(config({ mode: 'fs', report: fixture('secrets.json.golden') }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.outputs.counts).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });
    expect(result.outputs.findings).toBe(2);
    expect(result.summaryMarkdown).toContain('| secret | 1 | 1 | 0 | 0 | 0 | 2 |');
    expect(result.summaryMarkdown).toContain('secret: AWS Access Key ID');
  });

  it('an invalid fail-on fails before anything runs, listing the allowed values', async () => {
    const state = join(work, 'fake');
    const binary = writeFakeTrivy(join(work, 'bin'));
    process.env.FAKE_TRIVY_DIR = state;
    const result = await runScan(config({ failOn: 'CRIT' as never, trivy: { binary } }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")');
    expect(fakeTrivyRuns(state)).toBe(0);
    expect(existsSync(join(work, 'out'))).toBe(false);
  });

  it.each([
    ['a report that does not exist', () => join(work, 'nope.json'), /nope\.json does not exist/],
    ['an empty report', () => { writeFileSync(join(work, 'e.json'), ''); return join(work, 'e.json'); }, /the report is empty/],
    ['a truncated report', () => { writeFileSync(join(work, 't.json'), readFileSync(fixture('alpine-39.json.golden'), 'utf8').slice(0, 5000)); return join(work, 't.json'); }, /the report is truncated/],
    ['a table, not JSON', () => { writeFileSync(join(work, 'x.txt'), 'Total: 2 (CRITICAL: 2)\n'); return join(work, 'x.txt'); }, /the report is not JSON/],
    ['a SARIF file', () => fixture('alpine-310.sarif.golden'), /unknown SchemaVersion missing/],
    ['a directory', () => { mkdirSync(join(work, 'd')); return join(work, 'd'); }, /cannot be read \(EISDIR\)/],
  ])('%s fails closed with a message saying which (never passed)', async (_what, make, message) => {
    const result = await runScan(config({ report: make() }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(message);
    expect(result.outputs.passed).toBe(false);
    expect(result.outputs.sarif).toBe('');
  });

  it('a report for another artifact than the one asked fails', async () => {
    const result = await runScan(config({ report: fixture('alpine-39.json.golden'), target: 'ghcr.io/aquasecurity/trivy-test-images:alpine-310' }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/the report is for container_image "testdata\/fixtures\/images\/alpine-39.tar.gz" .* not for the image "ghcr.io\/aquasecurity\/trivy-test-images:alpine-310"/);
    const rightOne = await runScan(config({ report: fixture('alpine-310.json.golden'), target: 'ghcr.io/aquasecurity/trivy-test-images:alpine-310' }), createMemoryLogger());
    expect(rightOne.status).toBe('passed');
  });

  it('honours .trivyignore (with an expiry date) and .trivyignore.yaml read from disk', async () => {
    writeFileSync(join(work, '.trivyignore'), '# accepted until the base image moves\nCVE-2019-14697 exp:2026-12-31\nCVE-2019-1549 exp:2026-01-01\n');
    writeFileSync(join(work, '.trivyignore.yaml'), 'vulnerabilities:\n  - id: CVE-2019-1551\n    statement: not reachable\n');
    const result = await runScan(config({ report: fixture('alpine-39.json.golden'), failOn: 'MEDIUM', ignoreFiles: ['.trivyignore', '.trivyignore.yaml'] }), createMemoryLogger());
    // Left: CVE-2019-1549 (its ignore expired) on libcrypto1.1 and libssl1.1, both MEDIUM.
    expect(result.status).toBe('failed');
    expect(result.findings.map((f) => `${f.id} ${f.severity}`)).toEqual(['CVE-2019-1549 MEDIUM', 'CVE-2019-1549 MEDIUM']);
    expect(result.outputs.counts).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 2, LOW: 0, UNKNOWN: 0 });
    expect(result.notes.join('\n')).toContain('Suppressed 4: 4 by ignore rules, 0 without a fix');
    expect(result.notes.join('\n')).toContain('The ignore rule for CVE-2019-1549 (.trivyignore:3) has expired');
    expect(result.summaryMarkdown).toContain('expired on 2026-01-01');
    const later = await runScan(config({ report: fixture('alpine-39.json.golden'), ignoreFiles: ['.trivyignore'], now: new Date('2027-01-02T00:00:00Z') }), createMemoryLogger());
    expect(later.status).toBe('failed');
  });

  it('a named ignore file that is missing or malformed fails the stage, naming it', async () => {
    const missing = await runScan(config({ report: fixture('alpine-310.json.golden'), ignoreFiles: ['sec/.trivyignore'] }), createMemoryLogger());
    expect(missing.error).toMatch(/ignore file sec\/\.trivyignore cannot be read \(ENOENT\)/);
    writeFileSync(join(work, 'bad.yaml'), 'vulnerabilities:\n  - statement: no id\n');
    const bad = await runScan(config({ report: fixture('alpine-310.json.golden'), ignoreFiles: ['bad.yaml'] }), createMemoryLogger());
    expect(bad.error).toBe('bad.yaml: vulnerabilities[0] has no id');
  });
});

describe('runScan without a report', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it('fails closed when Trivy is not installed and scan-policy is required (the default): nothing unscanned is published', async () => {
    const result = await runScan(config({ mode: 'fs', target: '.', trivy: { binary: join(work, 'no-such-trivy') } }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.outputs.passed).toBe(false);
    expect(result.error).toMatch(/^Trivy is not installed \(`.*no-such-trivy --version` could not run\); the scan did not run, so nothing was checked\. scan-policy is required/);
    expect(result.error).toMatch(/set scan-policy: optional to publish it marked "not scanned"/);
  });

  it('is skipped, never passed, and says "not scanned" when Trivy is not installed and scan-policy is optional', async () => {
    const result = await runScan(config({ mode: 'fs', target: '.', policy: 'optional', trivy: { binary: join(work, 'no-such-trivy') } }), createMemoryLogger());
    expect(result.status).toBe('skipped');
    expect(result.outputs.passed).toBe(false);
    expect(result.notes[0]).toMatch(/^not scanned \(scan-policy optional\): Trivy is not installed \(`.*no-such-trivy --version` could not run\); the scan did not run/);
    expect(result.notes[1]).toMatch(/^To scan: install Trivy \(https:\/\/trivy\.dev.*--report <file>/);
    expect(result.summaryMarkdown).toMatch(/^### ⏭️ scan: skipped .*\n\n- not scanned/);
  });

  it('says "Trivy wrote no report" when Trivy exits 0 without writing one (fake trivy executable)', async () => {
    const state = join(work, 'fake');
    mkdirSync(state);
    Object.assign(process.env, { FAKE_TRIVY_DIR: state, FAKE_TRIVY_REPORT: fixture('pnpm.json.golden'), FAKE_TRIVY_NO_REPORT: '1' });
    const binary = writeFakeTrivy(join(work, 'bin'));
    const result = await runScan(config({ mode: 'fs', target: '.', trivy: { binary } }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^Trivy wrote no report: it exited 0 but .*trivy-report\.json\.\d+\.partial does not exist/);
    expect(result.error).not.toMatch(/ENOENT|rename/);
  });

  it('runs Trivy once with JSON, exit code 0, mirrors first and no inherited TRIVY_* settings (fake trivy executable)', async () => {
    const state = join(work, 'fake');
    mkdirSync(state);
    Object.assign(process.env, { FAKE_TRIVY_DIR: state, FAKE_TRIVY_REPORT: fixture('pnpm.json.golden'), TRIVY_SEVERITY: 'CRITICAL', TRIVY_IGNORE_UNFIXED: 'true', GITHUB_TOKEN: 'ghs_secret' });
    const binary = writeFakeTrivy(join(work, 'bin'));
    mkdirSync(join(work, 'testdata/fixtures/repo/pnpm'), { recursive: true });
    const result = await runScan(config({
      mode: 'fs', target: 'testdata/fixtures/repo/pnpm', skipDirs: ['node_modules'], trivy: { binary, cacheDir: 'cache' },
    }), createMemoryLogger());
    expect(fakeTrivyRuns(state)).toBe(1);
    const { args, env } = fakeTrivyRun(state, 1);
    expect(args.slice(0, 7)).toEqual(['fs', '--format', 'json', '--output', `${join(work, 'out', 'trivy-report.json')}.${process.pid}.partial`, '--exit-code', '0']);
    expect(args).toContain('--list-all-pkgs=false');
    expect(args[args.indexOf('--scanners') + 1]).toBe('vuln,secret');
    expect(args[args.indexOf('--db-repository') + 1]).toBe('mirror.gcr.io/aquasec/trivy-db:2,public.ecr.aws/aquasecurity/trivy-db:2,ghcr.io/aquasecurity/trivy-db:2');
    expect(args[args.indexOf('--cache-dir') + 1]).toBe(join(work, 'cache'));
    expect(args[args.indexOf('--skip-dirs') + 1]).toBe('node_modules');
    expect(args[args.indexOf('--ignorefile') + 1]).toBe(join(work, 'out', '.trunkline-no-trivyignore'));
    expect(args.slice(-2)).toEqual(['--', join(work, 'testdata/fixtures/repo/pnpm')]);
    expect(env.TRIVY_SEVERITY).toBeUndefined();
    expect(env.TRIVY_IGNORE_UNFIXED).toBeUndefined();
    expect(env.GITHUB_TOKEN).toBeUndefined();
    // The fake emitted the real pnpm report (ArtifactName relative to the same directory): gated, lodash trips.
    expect(result.status).toBe('failed');
    expect(result.error).toBe('Trivy gate failed: 1 finding at or above HIGH: CVE-2019-10744 (CRITICAL, lodash)');
  });

  it('gates what Trivy wrote and keeps the report next to the SARIF (fake trivy executable)', async () => {
    const state = join(work, 'fake');
    mkdirSync(state);
    Object.assign(process.env, { FAKE_TRIVY_DIR: state, FAKE_TRIVY_REPORT: fixture('debian-buster.json.golden') });
    const binary = writeFakeTrivy(join(work, 'bin'));
    const result = await runScan(config({ mode: 'image', input: 'testdata/fixtures/images/debian-buster.tar.gz', ignoreUnfixed: true, trivy: { binary } }), createMemoryLogger());
    const { args } = fakeTrivyRun(state, 1);
    expect(args.slice(-2)).toEqual(['--input', join(work, 'testdata/fixtures/images/debian-buster.tar.gz')]);
    expect(result.status).toBe('failed');
    expect(result.outputs.report).toBe(join(work, 'out', 'trivy-report.json'));
    expect(readFileSync(result.outputs.report, 'utf8')).toBe(readFileSync(fixture('debian-buster.json.golden'), 'utf8'));
    expect(result.outputs.counts).toEqual({ CRITICAL: 1, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });
    expect(result.notes.join('\n')).toMatch(/Trivy ran once \(image testdata\/fixtures\/images\/debian-buster\.tar\.gz/);
  });

  it('retries with backoff when the DB registry answers TOOMANYREQUESTS, then succeeds (fake trivy executable)', async () => {
    const state = join(work, 'fake');
    mkdirSync(state);
    Object.assign(process.env, { FAKE_TRIVY_DIR: state, FAKE_TRIVY_REPORT: fixture('alpine-310.json.golden'), FAKE_TRIVY_RATE_LIMITED_RUNS: '2' });
    const binary = writeFakeTrivy(join(work, 'bin'));
    const log = createMemoryLogger();
    const result = await runScan(config({ mode: 'image', input: 'testdata/fixtures/images/alpine-310.tar.gz', trivy: { binary, retries: 3, backoffMs: [5, 10] } }), log);
    expect(fakeTrivyRuns(state)).toBe(3);
    expect(log.lines.filter((l) => l.includes('rate limited by the DB registry'))).toHaveLength(2);
    expect(result.status).toBe('passed');
    expect(result.notes.join('\n')).toContain('3 attempts after rate limits');
  });

  it('fails closed with the registry\'s error when the rate limit outlasts the retries (fake trivy executable)', async () => {
    const state = join(work, 'fake');
    mkdirSync(state);
    Object.assign(process.env, { FAKE_TRIVY_DIR: state, FAKE_TRIVY_REPORT: fixture('alpine-310.json.golden'), FAKE_TRIVY_RATE_LIMITED_RUNS: '99' });
    const binary = writeFakeTrivy(join(work, 'bin'));
    const result = await runScan(config({ mode: 'image', input: 'x.tar', trivy: { binary, retries: 2, backoffMs: [1] } }), createMemoryLogger());
    expect(fakeTrivyRuns(state)).toBe(3);
    expect(result.status).toBe('failed');
    expect(result.error).toContain('TrivyDbError: Trivy could not download its vulnerability database');
    expect(result.error).toContain(RATE_LIMIT_STDERR);
    expect(result.outputs.passed).toBe(false);
    expect(existsSync(join(work, 'out', 'trivy-report.json'))).toBe(false);
  });
});
