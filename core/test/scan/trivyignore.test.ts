// .trivyignore and .trivyignore.yaml, applied by the gate to real reports, with expiry dates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gateReport } from '../../src/domain/gate.ts';
import { parseTrivyReport } from '../../src/domain/trivy-report.ts';
import { IgnoreFileError, globToRegExp, parseIgnoreFile, parsePurl, parseTrivyIgnore, parseTrivyIgnoreYaml, purlMatches } from '../../src/domain/trivyignore.ts';
import { trivyFixtures } from '../support/paths.ts';

const report = (name: string) => parseTrivyReport(readFileSync(join(trivyFixtures, name), 'utf8'), name);
const alpine39 = report('alpine-39.json.golden');
const secrets = report('secrets.json.golden');
const NOW = new Date('2026-11-21T12:00:00Z');

describe('.trivyignore (plain)', () => {
  it('ignores every entry of an id, with comments and blank lines skipped, and says where the rule is', () => {
    const { rules, warnings } = parseTrivyIgnore('# accepted risk, see ticket 42\n\nCVE-2019-14697\n', '.trivyignore');
    expect(warnings).toEqual([]);
    const gate = gateReport(alpine39, { failOn: 'HIGH', ignoreRules: rules, now: NOW });
    expect(gate.passed).toBe(true);
    expect(gate.suppressed.map((s) => [s.finding.pkgName, s.reason, s.rule?.source])).toEqual([
      ['musl', 'ignored', '.trivyignore:3'],
      ['musl-utils', 'ignored', '.trivyignore:3'],
    ]);
    expect(gate.counts).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 4, LOW: 0, UNKNOWN: 0 });
  });

  it('honours exp:YYYY-MM-DD: in force until the end of that instant, then the finding trips again', () => {
    const { rules } = parseTrivyIgnore('CVE-2019-14697 exp:2026-12-31\nCVE-2019-1549 exp:2025-01-01\n');
    const before = gateReport(alpine39, { failOn: 'HIGH', ignoreRules: rules, now: NOW });
    expect(before.passed).toBe(true);
    expect(before.expiredRules.map((r) => r.id)).toEqual(['CVE-2019-1549']);
    const after = gateReport(alpine39, { failOn: 'HIGH', ignoreRules: rules, now: new Date('2027-01-01T00:00:00Z') });
    expect(after.passed).toBe(false);
    expect(after.tripped.map((f) => f.id)).toEqual(['CVE-2019-14697', 'CVE-2019-14697']);
    // Trivy's test is ExpiredAt.Before(now): at midnight exactly the rule still holds.
    expect(gateReport(alpine39, { failOn: 'HIGH', ignoreRules: rules, now: new Date('2026-12-31T00:00:00Z') }).passed).toBe(true);
    expect(gateReport(alpine39, { failOn: 'HIGH', ignoreRules: rules, now: new Date('2026-12-31T00:00:00.001Z') }).passed).toBe(false);
  });

  it('skips a line whose date does not parse (as Trivy does), so it ignores nothing', () => {
    const { rules, warnings } = parseTrivyIgnore('CVE-2019-14697 exp:2026-02-31\nCVE-2019-1549 exp:tomorrow\n', 'ci/.trivyignore');
    expect(rules).toEqual([]);
    expect(warnings).toEqual([
      'ci/.trivyignore:1: "exp:2026-02-31" is not a date of the form exp:YYYY-MM-DD; the line is skipped (as Trivy does)',
      'ci/.trivyignore:2: "exp:tomorrow" is not a date of the form exp:YYYY-MM-DD; the line is skipped (as Trivy does)',
    ]);
    expect(gateReport(alpine39, { failOn: 'HIGH', ignoreRules: rules, now: NOW }).passed).toBe(false);
  });

  it('applies an id to secrets too (an id in .trivyignore covers every scanner)', () => {
    const { rules } = parseTrivyIgnore('aws-access-key-id\n');
    const gate = gateReport(secrets, { failOn: 'HIGH', ignoreRules: rules, now: NOW });
    expect(gate.tripped.map((f) => f.id)).toEqual(['mysecret']);
  });
});

describe('.trivyignore.yaml', () => {
  it('matches vulnerabilities by purl: one package of a CVE shared by two', () => {
    const { rules } = parseTrivyIgnoreYaml(`
vulnerabilities:
  - id: CVE-2019-14697
    purls:
      - "pkg:apk/alpine/musl@1.1.20-r4"
    statement: musl is not reachable from the service
`);
    const gate = gateReport(alpine39, { failOn: 'HIGH', ignoreRules: rules, now: NOW });
    expect(gate.suppressed.map((s) => [s.finding.pkgName, s.rule?.statement])).toEqual([['musl', 'musl is not reachable from the service']]);
    expect(gate.tripped.map((f) => f.pkgName)).toEqual(['musl-utils']);
  });

  it('a purl without version covers every version; a wrong qualifier covers nothing', () => {
    const any = parseTrivyIgnoreYaml('vulnerabilities:\n  - id: CVE-2019-14697\n    purls: ["pkg:apk/alpine/musl-utils"]\n').rules;
    expect(gateReport(alpine39, { failOn: 'HIGH', ignoreRules: any, now: NOW }).tripped.map((f) => f.pkgName)).toEqual(['musl']);
    const wrongArch = parseTrivyIgnoreYaml('vulnerabilities:\n  - id: CVE-2019-14697\n    purls: ["pkg:apk/alpine/musl-utils?arch=aarch64"]\n').rules;
    expect(gateReport(alpine39, { failOn: 'HIGH', ignoreRules: wrongArch, now: NOW }).tripped).toHaveLength(2);
  });

  it('paths are doublestar globs over the result target', () => {
    const pnpm = report('pnpm.json.golden');
    const hit = parseTrivyIgnoreYaml('vulnerabilities:\n  - id: CVE-2019-10744\n    paths: ["**/pnpm-lock.yaml"]\n').rules;
    expect(gateReport(pnpm, { failOn: 'HIGH', ignoreRules: hit, now: NOW }).passed).toBe(true);
    const miss = parseTrivyIgnoreYaml('vulnerabilities:\n  - id: CVE-2019-10744\n    paths: ["services/*/pnpm-lock.yaml"]\n').rules;
    expect(gateReport(pnpm, { failOn: 'HIGH', ignoreRules: miss, now: NOW }).passed).toBe(false);
  });

  it('expired_at works like exp: (and is reported when the id still occurs)', () => {
    const { rules } = parseTrivyIgnoreYaml('secrets:\n  - id: aws-access-key-id\n    expired_at: 2026-01-31\n  - id: mysecret\n    paths: ["deploy.sh"]\n    expired_at: 2027-01-31\n');
    const gate = gateReport(secrets, { failOn: 'HIGH', ignoreRules: rules, now: NOW });
    expect(gate.tripped.map((f) => f.id)).toEqual(['aws-access-key-id']);
    expect(gate.expiredRules.map((r) => r.source)).toEqual(['.trivyignore.yaml: secrets[0]']);
  });

  it('a section only covers its own kind: a vulnerabilities entry does not hide a secret', () => {
    const { rules } = parseTrivyIgnoreYaml('vulnerabilities:\n  - id: aws-access-key-id\n');
    expect(gateReport(secrets, { failOn: 'HIGH', ignoreRules: rules, now: NOW }).tripped).toHaveLength(2);
  });

  it('misconfigurations match by ID or AVDID', () => {
    const doc = { SchemaVersion: 2, ArtifactName: '.', ArtifactType: 'filesystem', Results: [{ Target: 'Dockerfile', Class: 'config', Misconfigurations: [{ ID: 'DS002', AVDID: 'AVD-DS-0002', Severity: 'HIGH', Status: 'FAIL' }] }] };
    const misconf = parseTrivyReport(JSON.stringify(doc));
    for (const id of ['DS002', 'AVD-DS-0002']) {
      const { rules } = parseTrivyIgnoreYaml(`misconfigurations:\n  - id: ${id}\n`);
      expect(gateReport(misconf, { failOn: 'HIGH', ignoreRules: rules, now: NOW }).passed).toBe(true);
    }
  });

  it.each([
    ['an entry without id', 'vulnerabilities:\n  - paths: ["x"]\n', /vulnerabilities\[0\] has no id/],
    ['a section that is not a list', 'secrets: aws-access-key-id\n', /"secrets" must be a list/],
    ['a date that is not a date', 'vulnerabilities:\n  - id: CVE-1\n    expired_at: someday\n', /expired_at "someday" is not a date/],
    ['a purl that is not a purl', 'vulnerabilities:\n  - id: CVE-1\n    purls: ["musl@1.2"]\n', /not a package URL/],
    ['broken YAML', 'vulnerabilities: [\n', /not valid YAML/],
  ])('refuses %s (Trivy refuses such a file too)', (_what, text, message) => {
    expect(() => parseTrivyIgnoreYaml(text, 'sec/.trivyignore.yaml')).toThrow(IgnoreFileError);
    expect(() => parseTrivyIgnoreYaml(text, 'sec/.trivyignore.yaml')).toThrow(message);
  });

  it('an empty file ignores nothing; license entries are noted as unused', () => {
    expect(parseTrivyIgnoreYaml('').rules).toEqual([]);
    expect(parseTrivyIgnoreYaml('licenses:\n  - id: GPL-3.0\n').warnings[0]).toMatch(/license ignores are not used/);
  });

  it('parseIgnoreFile picks the format from the file name', () => {
    expect(parseIgnoreFile('vulnerabilities:\n  - id: CVE-1\n', 'x/.trivyignore.yml').rules[0]!.kinds).toEqual(['vulnerability']);
    expect(parseIgnoreFile('CVE-1\n', 'x/.trivyignore').rules[0]!.kinds).toEqual(['vulnerability', 'secret', 'misconfiguration']);
  });
});

describe('globs and purls', () => {
  it.each([
    ['**/*.json', 'a/b/c.json', true],
    ['**/*.json', 'c.json', true],
    ['**/*.json', 'a/b/c.yaml', false],
    ['a/*/c', 'a/b/c', true],
    ['a/*/c', 'a/b/x/c', false],
    ['a/**', 'a/b/x/c', true],
    ['a/**/c', 'a/c', true],
    ['*.{yml,yaml}', 'values.yaml', true],
    ['*.{yml,yaml}', 'values.json', false],
    ['file[0-9].txt', 'file7.txt', true],
    ['file[!0-9].txt', 'file7.txt', false],
    ['?.env', 'a.env', true],
    ['*', '.env', true],
    ['dir/\\*', 'dir/*', true],
    ['dir/\\*', 'dir/x', false],
  ])('%s ~ %s → %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });

  it('parses purls with namespaces, encoded scopes and qualifiers', () => {
    expect(parsePurl('pkg:npm/%40babel/core@7.0.0?x=1#sub')).toEqual({ type: 'npm', namespace: '@babel', name: 'core', version: '7.0.0', qualifiers: { x: '1' } });
    expect(parsePurl('pkg:deb/debian/bash@5.0-4?arch=amd64&distro=debian-10.1')).toEqual({ type: 'deb', namespace: 'debian', name: 'bash', version: '5.0-4', qualifiers: { arch: 'amd64', distro: 'debian-10.1' } });
    expect(purlMatches(parsePurl('pkg:deb/debian/bash'), parsePurl('pkg:deb/debian/bash@5.0-4?arch=amd64'))).toBe(true);
    expect(purlMatches(parsePurl('pkg:deb/debian/bash@5.0-5'), parsePurl('pkg:deb/debian/bash@5.0-4'))).toBe(false);
  });
});
