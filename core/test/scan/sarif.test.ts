// SARIF from the gate: valid against the SARIF 2.1.0 JSON schema (see schema/SOURCE.md for which
// schema file and why), and structurally the same as Trivy's own SARIF for the same scan.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { gateReport } from '../../src/domain/gate.ts';
import type { SarifLog, SarifRule } from '../../src/domain/sarif.ts';
import { artifactUri, toSarif } from '../../src/domain/sarif.ts';
import { parseTrivyReport } from '../../src/domain/trivy-report.ts';
import { parseTrivyIgnore } from '../../src/domain/trivyignore.ts';
import { trivyFixtures } from '../support/paths.ts';

const schema = JSON.parse(readFileSync(fileURLToPath(new URL('./schema/sarif-2.1.0-rtm.5.json', import.meta.url)), 'utf8'));
// unicodeRegExp false: the schema's `language` pattern has a stray `]`, legal only in non-unicode
// regular expressions (the dialect the schema was written for).
// Both packages are CommonJS with `exports.default`; under NodeNext the default import is module.exports.
const ajv = new ajvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
ajvFormats.default(ajv);
const validate = ajv.compile(schema);
const errorsOf = (log: unknown): string => (validate(log) ? '' : ajv.errorsText(validate.errors, { separator: '\n' }));

const fixture = (name: string): string => readFileSync(join(trivyFixtures, name), 'utf8');
const reports = readdirSync(trivyFixtures).filter((f) => f.endsWith('.json.golden')).sort();

describe('SARIF 2.1.0 schema validation', () => {
  it('control: Trivy\'s own SARIF passes the validator, and a broken log fails it', () => {
    expect(errorsOf(JSON.parse(fixture('alpine-310.sarif.golden')))).toBe('');
    const broken = JSON.parse(fixture('alpine-310.sarif.golden'));
    broken.runs[0].results[0].level = 'fatal';
    delete broken.runs[0].tool.driver.name;
    expect(errorsOf(broken)).toMatch(/level|name/);
  });

  for (const file of reports) {
    it(`the gate's SARIF for ${file} is valid`, () => {
      const report = parseTrivyReport(fixture(file), file);
      const gate = gateReport(report, { failOn: 'HIGH' });
      const log = toSarif(report, gate.kept, { rootUri: 'file:///work/repo/' });
      expect(errorsOf(log)).toBe('');
      expect(log.runs[0]!.results).toHaveLength(report.findings.length);
    });
  }
});

describe('structure compared with alpine-310.sarif.golden (Trivy --format sarif of the same scan)', () => {
  const golden = JSON.parse(fixture('alpine-310.sarif.golden')) as SarifLog;
  const report = parseTrivyReport(fixture('alpine-310.json.golden'));
  const ours = JSON.parse(JSON.stringify(toSarif(report, gateReport(report, { failOn: 'HIGH' }).kept))) as SarifLog;
  const [g, o] = [golden.runs[0]!, ours.runs[0]!];

  it('has the same shape: one run, the same driver identity, column kind and image properties', () => {
    expect(ours.version).toBe(golden.version);
    expect(ours.runs).toHaveLength(golden.runs.length);
    expect(Object.keys(o).sort()).toEqual(Object.keys(g).sort());
    expect({ name: o.tool.driver.name, informationUri: o.tool.driver.informationUri, fullName: o.tool.driver.fullName, version: o.tool.driver.version })
      .toEqual({ name: g.tool.driver.name, informationUri: g.tool.driver.informationUri, fullName: g.tool.driver.fullName, version: g.tool.driver.version });
    expect(o.columnKind).toBe(g.columnKind);
    // Trivy's golden comes from client/server mode; repoDigests is null there and an empty list here.
    const repoDigests = o.properties?.repoDigests as string[];
    expect({ ...o.properties, repoDigests: repoDigests.length ? repoDigests : null }).toEqual(g.properties);
  });

  it('has the same rules in the same order, with the same levels, links, tags and security-severity', () => {
    const pick = (r: SarifRule) => ({
      id: r.id, name: r.name, level: r.defaultConfiguration.level, helpUri: r.helpUri,
      short: r.shortDescription.text, full: r.fullDescription.text,
      tags: r.properties.tags, securitySeverity: r.properties['security-severity'], precision: r.properties.precision,
    });
    expect(o.tool.driver.rules.map(pick)).toEqual(g.tool.driver.rules.map(pick));
  });

  it('has the same results, field for field (rule, index, level, message, location, region)', () => {
    expect(o.results).toEqual(g.results);
  });
});

describe('SARIF follows the gate, not the raw report', () => {
  it('ignored and unfixed findings are absent from the SARIF, as from the verdict', () => {
    const report = parseTrivyReport(fixture('debian-buster.json.golden'));
    const all = toSarif(report, gateReport(report, { failOn: 'HIGH' }).kept);
    expect(all.runs[0]!.results.map((r) => r.ruleId)).toEqual(['CVE-2019-18276', 'CVE-2019-18224']);
    const filtered = toSarif(report, gateReport(report, { failOn: 'HIGH', ignoreUnfixed: true, ignoreRules: parseTrivyIgnore('CVE-2019-18224').rules }).kept);
    expect(filtered.runs[0]!.results).toEqual([]);
    expect(errorsOf(filtered)).toBe('');
  });

  it('maps severities to levels and CVSS to security-severity (CRITICAL → error, LOW → note)', () => {
    const report = parseTrivyReport(fixture('debian-buster.json.golden'));
    const log = toSarif(report, report.findings);
    const rules = Object.fromEntries(log.runs[0]!.tool.driver.rules.map((r) => [r.id, [r.defaultConfiguration.level, r.properties['security-severity']]]));
    // CVE-2019-18224: CRITICAL, SeveritySource nvd, NVD V3Score 9.8. CVE-2019-18276: LOW from debian, which has no CVSS entry.
    expect(rules).toEqual({ 'CVE-2019-18224': ['error', '9.8'], 'CVE-2019-18276': ['note', '2.0'] });
  });

  it('secrets point at their file and lines', () => {
    const report = parseTrivyReport(fixture('secrets.json.golden'));
    const log = toSarif(report, report.findings);
    expect(log.runs[0]!.results.map((r) => [r.ruleId, r.level, r.locations[0]!.physicalLocation.artifactLocation.uri, r.locations[0]!.physicalLocation.region.startLine]))
      .toEqual([['aws-access-key-id', 'error', 'deploy.sh', 3], ['mysecret', 'error', 'deploy.sh', 7]]);
    expect(log.runs[0]!.tool.driver.rules.map((r) => r.name)).toEqual(['Secret', 'Secret']);
  });

  it.each([
    ['127.0.0.1:5000/sample-service:sha-1234567 (alpine 3.20.3)', 'sample-service'],
    ['ghcr.io/acme/app@sha256:' + 'a'.repeat(64) + ' (debian 12.7)', 'acme/app'],
    ['testdata/fixtures/images/alpine-310.tar.gz (alpine 3.10.2)', 'testdata/fixtures/images/alpine-310.tar.gz'],
  ])('OS target %s → artifact URI %s', (target, uri) => {
    expect(artifactUri({ kind: 'vulnerability', id: 'CVE-1', severity: 'LOW', target, resultClass: 'os-pkgs', path: '' })).toBe(uri);
  });
});
