// Runs the BUNDLED action-scan/dist/index.js as the runner does: INPUT_* variables (every input of
// action.yml with its default, as the runner sets them, overridden by the test's), GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files read back. Real Trivy reports from core/test/fixtures/trivy.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCAN_INPUTS } from '../src/context.ts';
import { repoRoot, trivyFixtures } from '../../core/test/support/paths.ts';
import { parseFileCommands, runBundledAction } from '../../core/test/support/runner.ts';
import { scratchDirs } from '../../core/test/support/scratch.ts';
import { fakeTrivyRuns } from '../../core/test/scan/fake-trivy.ts';
import type { FakeReleaseServer } from '../../core/test/scan/release-server.ts';
import { startFakeReleaseServer } from '../../core/test/scan/release-server.ts';

interface ActionYml {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Array<{ id?: string; uses?: string; run?: string; shell?: string; env?: Record<string, string> }> };
}
const actionYml = parseYaml(readFileSync(join(repoRoot, 'action-scan', 'action.yml'), 'utf8')) as ActionYml;
const defaults = Object.fromEntries(Object.entries(actionYml.inputs).map(([k, v]) => [k, String(v.default ?? '')]));
const fixture = (name: string): string => join(trivyFixtures, name);

const tempDir = scratchDirs();

/** The bundle with action.yml's defaults plus `inputs`, Trivy kept off PATH unless the test installs it. */
function runAction(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runBundledAction('action-scan', { ...defaults, ...inputs }, { env: { TRUNKLINE_TRIVY: '/nonexistent/trivy', ...env }, cwd: tempDir('trunkline-ws-') });
}

describe('action-scan bundle under the runner contract', () => {
  it('a report with CRITICAL findings fails the step (exit 1) with passed=false and every output set', async () => {
    const r = await runAction({ report: fixture('alpine-39.json.golden') });
    expect(r.code).toBe(1);
    expect(r.outputs.passed).toBe('false');
    expect(JSON.parse(r.outputs.counts!)).toEqual({ CRITICAL: 2, HIGH: 0, MEDIUM: 4, LOW: 0, UNKNOWN: 0 });
    expect(r.outputs.findings).toBe('2');
    expect(r.outputs.report).toBe(fixture('alpine-39.json.golden'));
    expect(existsSync(r.outputs.sarif!)).toBe(true);
    expect(r.stdout).toContain('::error::Trivy gate failed: 2 findings at or above HIGH: CVE-2019-14697 (CRITICAL, musl), CVE-2019-14697 (CRITICAL, musl-utils)');
    expect(r.summary).toContain('| CRITICAL | [CVE-2019-14697](https://avd.aquasec.com/nvd/cve-2019-14697) | musl | 1.1.20-r4 → 1.1.20-r5 |');
  });

  it('a clean report passes (exit 0, passed=true); fail-on MEDIUM on the same report fails', async () => {
    const clean = await runAction({ report: fixture('alpine-310.json.golden') });
    expect(clean.code).toBe(0);
    expect(clean.outputs).toMatchObject({ passed: 'true', findings: '0', counts: '{"CRITICAL":0,"HIGH":0,"MEDIUM":4,"LOW":0,"UNKNOWN":0}' });
    const medium = await runAction({ report: fixture('alpine-310.json.golden'), 'fail-on': 'MEDIUM' });
    expect(medium.code).toBe(1);
    expect(medium.outputs.findings).toBe('4');
  });

  it('an invalid fail-on fails the step before any scan, listing the allowed values', async () => {
    const r = await runAction({ report: fixture('alpine-310.json.golden'), 'fail-on': 'CRIT' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::error::Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")');
    expect(r.outputs.sarif ?? '').toBe('');
  });

  it('an unreadable report fails closed, never passes', async () => {
    const r = await runAction({ report: fixture('alpine-310.sarif.golden') });
    expect(r.code).toBe(1);
    expect(r.outputs.passed).toBe('false');
    expect(r.stdout).toMatch(/::error::.*unknown SchemaVersion missing/);
  });

  it('without Trivy and without install, the step fails (scan-policy required by default) with passed=false', async () => {
    const r = await runAction({ 'install-trivy': 'false' });
    expect(r.code).toBe(1);
    expect(r.outputs.passed).toBe('false');
    expect(r.stdout).toMatch(/::error::Trivy is not installed .*scan-policy is required/);
  });

  it('without Trivy and scan-policy optional, the step is skipped with a notice, passed=false and "not scanned" in the summary', async () => {
    const r = await runAction({ 'install-trivy': 'false', 'scan-policy': 'optional' });
    expect(r.code).toBe(0);
    expect(r.outputs.passed).toBe('false');
    expect(r.stdout).toMatch(/::notice::scan skipped: not scanned \(scan-policy optional\): Trivy is not installed/);
    expect(r.summary).toContain('- not scanned (scan-policy optional)');
    expect(r.summary).toContain('To scan: install Trivy');
  });

  it('reads the composite step\'s underscore variables (INPUT_FAIL_ON) the same way', async () => {
    const r = await runBundledAction('action-scan', { report: fixture('pnpm.json.golden') }, { env: { INPUT_FAIL_ON: 'CRITICAL', INPUT_IGNORE_UNFIXED: 'true', INPUT_SUMMARY_MAX_FINDINGS: '5' } });
    expect(r.code).toBe(1);
    expect(r.outputs.findings).toBe('1');
    expect(r.stdout).toContain('at or above CRITICAL');
  });

  it('runs on the Node.js found on PATH of a composite step, also Node 20', () => {
    const node20 = '/usr/bin/node';
    const version = existsSync(node20) ? spawnSync(node20, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
    if (!version.startsWith('v20.')) return; // only machines that have a Node 20 beside Node 24
    const dir = tempDir('trunkline-node20-');
    const output = join(dir, 'out');
    writeFileSync(output, '');
    const r = spawnSync(node20, [join(repoRoot, 'action-scan', 'dist', 'index.js')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, RUNNER_TEMP: dir, GITHUB_OUTPUT: output, INPUT_REPORT: fixture('debian-buster.json.golden'), INPUT_IGNORE_UNFIXED: 'true', INPUT_FAIL_ON: 'HIGH' },
    });
    expect(r.status, r.stderr).toBe(1);
    expect(parseFileCommands(readFileSync(output, 'utf8'))).toMatchObject({ passed: 'false', findings: '1' });
  });
});

describe('action-scan installing Trivy from a release server (loopback fake)', () => {
  let release: FakeReleaseServer;
  beforeAll(async () => { release = await startFakeReleaseServer('0.74.0'); });
  afterAll(async () => { await release.close(); });

  it('installs the pinned version with the given checksum, runs it once, gates its report, and tells the cache step the DB state', async () => {
    const state = tempDir('trunkline-fake-state-');
    const toolCache = tempDir('trunkline-tc-');
    const cacheDir = tempDir('trunkline-trivy-cache-');
    const env = {
      TRUNKLINE_TRIVY_RELEASES_URL: release.baseUrl, RUNNER_TOOL_CACHE: toolCache,
      FAKE_TRIVY_DIR: state, FAKE_TRIVY_REPORT: fixture('debian-buster.json.golden'),
    };
    const inputs = { 'image-ref': 'ghcr.io/aquasecurity/trivy-test-images:debian-buster', 'trivy-sha256': release.sha256, 'cache-dir': cacheDir, 'ignore-unfixed': 'true' };
    const r = await runAction(inputs, env);
    expect(release.requests).toEqual([release.assetPath]);
    expect(fakeTrivyRuns(state)).toBe(1);
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ passed: 'false', findings: '1' });
    expect(r.outputs['trivy-db']).toBeUndefined(); // the fake writes no DB: nothing to save
    mkdirSync(join(cacheDir, 'db'), { recursive: true });
    // A second run with a complete DB in the cache dir reuses the tool cache (no download).
    writeFileSync(join(cacheDir, 'db', 'metadata.json'), '{}');
    writeFileSync(join(cacheDir, 'db', 'trivy.db'), '');
    const again = await runAction(inputs, env);
    expect(release.requests).toHaveLength(1);
    expect(again.outputs['trivy-db']).toBe('ready');
  });

  it('a checksum that does not match fails the step and runs nothing', async () => {
    const state = tempDir('trunkline-fake-state-');
    const r = await runAction({ 'scan-type': 'fs', 'trivy-sha256': 'b'.repeat(64) }, {
      TRUNKLINE_TRIVY_RELEASES_URL: release.baseUrl, RUNNER_TOOL_CACHE: tempDir('trunkline-tc-'), FAKE_TRIVY_DIR: state,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::ChecksumError: checksum mismatch for trivy_0\.74\.0_Linux-64bit\.tar\.gz/);
    expect(fakeTrivyRuns(state)).toBe(0);
    expect(r.outputs.passed).toBe('false');
  });
});

describe('action.yml', () => {
  it('declares exactly the inputs the context reads, each with a description, and the five outputs', () => {
    expect(Object.keys(actionYml.inputs).sort()).toEqual([...SCAN_INPUTS].sort());
    for (const [name, input] of Object.entries(actionYml.inputs)) expect(input.description, name).toBeTruthy();
    expect(Object.keys(actionYml.outputs).sort()).toEqual(['counts', 'findings', 'passed', 'report', 'sarif']);
    for (const output of Object.values(actionYml.outputs)) expect(output.value).toMatch(/^\$\{\{ steps\.scan\.outputs\.\w+ \}\}$/);
  });

  it('passes every input to the gate step through env (none through run:), pins actions by SHA', () => {
    const scan = actionYml.runs.steps.find((s) => s.id === 'scan')!;
    const passed = Object.keys(scan.env ?? {}).filter((k) => k.startsWith('INPUT_'));
    const expected = SCAN_INPUTS.filter((n) => n !== 'cache').map((n) => `INPUT_${n.toUpperCase().replace(/-/g, '_')}`);
    expect(passed.sort()).toEqual(expected.sort());
    for (const step of actionYml.runs.steps) {
      if (step.run) {
        expect(step.run).not.toContain('${{');
        expect(step.shell).toBe('bash');
      }
      if (step.uses) expect(step.uses).toMatch(/^actions\/cache\/(restore|save)@[0-9a-f]{40}$/);
    }
  });

  it('passes the repository\'s workflow linter (security rules, schema, shellcheck)', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/workflow-lint/main.ts'), 'action-scan/action.yml', '--no-actionlint'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('1 file(s) checked, ok');
    expect(r.status).toBe(0);
  });
});
