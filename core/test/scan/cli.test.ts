// `trunkline scan`: argv → the same ScanConfig and validation as the action, and the real CLI's exit codes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanConfigFromArgv } from '../../src/cli/commands/scan.ts';
import { InputError } from '../../src/domain/errors.ts';
import { trivyFixtures } from '../support/paths.ts';
import { runCli } from '../support/cli.ts';
import type { CliRun } from '../support/cli.ts';
import { scratchDirs } from '../support/scratch.ts';

const tempDir = scratchDirs();

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCli(['scan', ...args], { env, cwd: tempDir('trunkline-cli-scan-') });

describe('scanConfigFromArgv', () => {
  it('maps flags to the config the stage takes', () => {
    const dir = tempDir('trunkline-argv-');
    writeFileSync(join(dir, '.trivyignore'), 'CVE-1\n');
    const cfg = scanConfigFromArgv(['--scan-type', 'image', '--input', 'app.tar', '--fail-on', 'critical', '--ignore-unfixed', 'true', '--scanners', 'vuln,secret,config',
      '--skip-dirs', 'a,b', '--skip-dirs', 'c', '--db-repositories', 'registry.example/trivy-db:2'], dir, {});
    expect(cfg).toMatchObject({
      mode: 'image', input: 'app.tar', failOn: 'CRITICAL', ignoreUnfixed: true, scanners: ['vuln', 'secret', 'misconfig'], skipDirs: ['a', 'b', 'c'],
      ignoreFiles: ['.trivyignore'], outputDir: '.trunkline/scan', cwd: dir, policy: 'required',
      trivy: { dbRepositories: ['registry.example/trivy-db:2'], install: { version: '0.74.0' } },
    });
    expect(scanConfigFromArgv(['src'], dir, {})).toMatchObject({ mode: 'fs', target: 'src', failOn: 'HIGH', scanners: ['vuln', 'secret'] });
    // A Trivy binary named on the command line or in TRUNKLINE_TRIVY is run as is: nothing is installed.
    expect(scanConfigFromArgv(['src'], dir, { TRUNKLINE_TRIVY: '/opt/trivy' }).trivy).toEqual({ binary: '/opt/trivy', timeout: '10m' });
  });

  it.each([
    [['--fail-on', 'CRIT'], 'Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")'],
    [['--scan-type', 'repo'], 'Input "scan-type" must be one of fs, image (got "repo")'],
    [['--scan-policy', 'maybe'], 'Input "scan-policy" must be one of required, optional (got "maybe")'],
    [['--scanners', 'vuln,license'], 'Input "scanners" must be a list of vuln, secret, misconfig (got "license")'],
    [['--scan-type', 'image'], /Input "image-ref" is required for an image scan/],
    [['--nope'], /Input "--nope" is not understood/],
  ])('refuses %j', (argv, message) => {
    expect(() => scanConfigFromArgv(argv)).toThrow(InputError);
    expect(() => scanConfigFromArgv(argv)).toThrow(message);
  });
});

describe('trunkline scan (the real CLI)', () => {
  it('exits 1 on a CRITICAL report, 0 on a clean one, 2 on a bad fail-on; without Trivy 1 (scan-policy required) or 0 marked "not scanned" (optional)', async () => {
    const critical = await cli(['--scan-type', 'image', '--report', join(trivyFixtures, 'alpine-39.json.golden')]);
    expect(critical.code).toBe(1);
    expect(critical.out).toContain('CRITICAL CVE-2019-14697: musl 1.1.20-r4 → 1.1.20-r5');
    expect((await cli(['--scan-type', 'image', '--report', join(trivyFixtures, 'alpine-310.json.golden')])).code).toBe(0);
    const bad = await cli(['--fail-on', 'CRIT', '--report', join(trivyFixtures, 'alpine-39.json.golden')]);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")');
    const required = await cli(['.'], { TRUNKLINE_TRIVY: '/nonexistent/trivy' });
    expect(required.code).toBe(1);
    expect(required.out).toMatch(/scan\s+FAILED .*Trivy is not installed.*scan-policy is required/);
    const optional = await cli(['.', '--scan-policy', 'optional'], { TRUNKLINE_TRIVY: '/nonexistent/trivy' });
    expect(optional.code).toBe(0);
    expect(optional.out).toMatch(/scan\s+SKIPPED .*not scanned \(scan-policy optional\): Trivy is not installed/);
  });
});
