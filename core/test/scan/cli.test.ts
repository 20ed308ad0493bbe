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
    const cfg = scanConfigFromArgv(['--mode', 'image', '--input', 'app.tar', '--fail-on', 'critical', '--ignore-unfixed', '--scanners', 'vuln,secret,config',
      '--skip-dirs', 'a,b', '--skip-dirs', 'c', '--db-repository', 'registry.example/trivy-db:2', '--install-trivy'], dir);
    expect(cfg).toMatchObject({
      mode: 'image', input: 'app.tar', failOn: 'CRITICAL', ignoreUnfixed: true, scanners: ['vuln', 'secret', 'config'], skipDirs: ['a', 'b', 'c'],
      ignoreFiles: ['.trivyignore'], outputDir: '.trunkline/scan', cwd: dir,
      trivy: { dbRepositories: ['registry.example/trivy-db:2'], install: { version: '0.74.0' } },
    });
    expect(scanConfigFromArgv(['src'], dir)).toMatchObject({ mode: 'fs', target: 'src', failOn: 'HIGH', scanners: ['vuln', 'secret'] });
  });

  it.each([
    [['--fail-on', 'CRIT'], 'Input "--fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")'],
    [['--mode', 'repo'], 'Input "--mode" must be fs or image (got "repo")'],
    [['--scanners', 'vuln,license'], 'Input "scanners" must be a list of vuln, secret, misconfig (got "license")'],
    [['--mode', 'image'], /Input "image-ref" is required for an image scan/],
    [['--nope'], /Input "--nope" is not understood/],
  ])('refuses %j', (argv, message) => {
    expect(() => scanConfigFromArgv(argv)).toThrow(InputError);
    expect(() => scanConfigFromArgv(argv)).toThrow(message);
  });
});

describe('trunkline scan (the real CLI)', () => {
  it('exits 1 on a CRITICAL report, 0 on a clean one, 2 on a bad fail-on, 0 (skipped) without Trivy', async () => {
    const critical = await cli(['--mode', 'image', '--report', join(trivyFixtures, 'alpine-39.json.golden')]);
    expect(critical.code).toBe(1);
    expect(critical.out).toContain('CRITICAL CVE-2019-14697: musl 1.1.20-r4 → 1.1.20-r5');
    expect((await cli(['--mode', 'image', '--report', join(trivyFixtures, 'alpine-310.json.golden')])).code).toBe(0);
    const bad = await cli(['--fail-on', 'CRIT', '--report', join(trivyFixtures, 'alpine-39.json.golden')]);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")');
    const none = await cli(['.'], { TRUNKLINE_TRIVY: '/nonexistent/trivy' });
    expect(none.code).toBe(0);
    expect(none.out).toMatch(/scan\s+SKIPPED .*Trivy is not installed/);
  });
});
