// Fail closed on every report the gate cannot trust; tolerate what Trivy versions add or drop.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gateReport } from '../../src/domain/gate.ts';
import { TrivyReportError, artifactMismatch, parseTrivyReport } from '../../src/domain/trivy-report.ts';
import { trivyFixtures } from '../support/paths.ts';

const fixture = (name: string): string => readFileSync(join(trivyFixtures, name), 'utf8');

/** A parsed report to mutate in tests. */
interface Doc { ArtifactName?: string; Results?: unknown; [key: string]: unknown }
const vulns = (d: Doc): Array<Record<string, unknown>> => (d.Results as Array<{ Vulnerabilities: Array<Record<string, unknown>> }>)[0]!.Vulnerabilities;

function problemOf(text: string): { problem: string; message: string } {
  try {
    parseTrivyReport(text, 'report.json');
  } catch (error) {
    expect(error).toBeInstanceOf(TrivyReportError);
    return { problem: (error as TrivyReportError).problem, message: (error as Error).message };
  }
  throw new Error('expected the report to be refused');
}

describe('parseTrivyReport refuses what it cannot trust, saying which fault', () => {
  it.each([
    ['an empty file', ''],
    ['only whitespace', ' \n\t\n'],
  ])('%s → empty', (_what, text) => {
    const { problem, message } = problemOf(text);
    expect(problem).toBe('empty');
    expect(message).toMatch(/^report\.json: the report is empty/);
  });

  it('a real report cut at many points → truncated, never parsed as something else', () => {
    const full = fixture('alpine-39.json.golden');
    for (const fraction of [0.01, 0.1, 0.33, 0.5, 0.77, 0.99]) {
      const cut = full.slice(0, Math.floor(full.length * fraction));
      const { problem, message } = problemOf(cut);
      expect(problem, `cut at ${fraction}`).toBe('truncated');
      expect(message).toContain('truncated');
    }
    // Dropping only the final brace (the classic half-flushed write) is truncation too.
    expect(problemOf(full.trimEnd().slice(0, -1)).problem).toBe('truncated');
  });

  it.each([
    ['Trivy table output', 'alpine:3.19 (alpine 3.19.1)\n=========================\nTotal: 0 (UNKNOWN: 0, LOW: 0)\n'],
    ['an HTML error page', '<html><body>502 Bad Gateway</body></html>'],
    ['a SARIF file given as report', '{"version": "2.1.0", "runs": [] } trailing'],
  ])('%s → not-json', (_what, text) => {
    expect(problemOf(text).problem).toBe('not-json');
  });

  it('a pre-v0.20 bare array report → legacy-format', () => {
    const { problem, message } = problemOf('[{"Target":"alpine:3.10","Vulnerabilities":null}]');
    expect(problem).toBe('legacy-format');
    expect(message).toContain('v0.20.0');
  });

  it.each([
    ['SchemaVersion 1', 1, 'unknown SchemaVersion 1'],
    ['SchemaVersion 3', 3, 'unknown SchemaVersion 3'],
    ['SchemaVersion "2" (a string)', '2', 'unknown SchemaVersion "2"'],
    ['no SchemaVersion', undefined, 'unknown SchemaVersion missing'],
  ])('%s → schema-version', (_what, version, words) => {
    const doc = JSON.parse(fixture('alpine-310.json.golden')) as Record<string, unknown>;
    if (version === undefined) delete doc.SchemaVersion;
    else doc.SchemaVersion = version;
    const { problem, message } = problemOf(JSON.stringify(doc));
    expect(problem).toBe('schema-version');
    expect(message).toContain(words);
  });

  it('a SARIF log given as the report → schema-version (it is JSON, but not a Trivy report)', () => {
    expect(problemOf(fixture('alpine-310.sarif.golden')).problem).toBe('schema-version');
  });

  it.each([
    ['no ArtifactName', (d: Doc) => { delete d.ArtifactName; }, '$.ArtifactName'],
    ['Results is an object', (d: Doc) => { d.Results = { x: 1 }; }, '$.Results is not an array'],
    ['a vulnerability without Severity', (d: Doc) => { delete vulns(d)[3]!.Severity; }, 'Results[0].Vulnerabilities[3].Severity'],
    ['a severity Trivy never writes', (d: Doc) => { vulns(d)[0]!.Severity = 'SEVERE'; }, '"SEVERE"'],
    ['a vulnerability without PkgName', (d: Doc) => { delete vulns(d)[1]!.PkgName; }, 'Results[0].Vulnerabilities[1].PkgName'],
  ])('%s → shape error naming the JSON path', (_what, mutate, words) => {
    const doc = JSON.parse(fixture('alpine-39.json.golden')) as Doc;
    mutate(doc);
    const { problem, message } = problemOf(JSON.stringify(doc));
    expect(problem).toBe('shape');
    expect(message).toContain(words);
  });
});

describe('parseTrivyReport tolerates fields added or missing across Trivy versions', () => {
  it('reads a report stripped to the required fields (as an old Trivy would write it)', () => {
    const doc = JSON.parse(fixture('debian-buster.json.golden'));
    delete doc.Trivy; delete doc.ReportID; delete doc.CreatedAt; delete doc.ArtifactID; delete doc.Metadata;
    for (const v of doc.Results[0].Vulnerabilities) {
      for (const k of Object.keys(v)) if (!['VulnerabilityID', 'PkgName', 'InstalledVersion', 'Severity', 'FixedVersion'].includes(k)) delete v[k];
    }
    const report = parseTrivyReport(JSON.stringify(doc));
    expect(report.findings.map((f) => [f.id, f.severity, f.status, f.fixedVersion])).toEqual([
      ['CVE-2019-18276', 'LOW', undefined, undefined],
      ['CVE-2019-18224', 'CRITICAL', undefined, '2.0.5-1+deb10u1'],
    ]);
    // Without Status, "unfixed" falls back to "no FixedVersion" (Trivy < 0.44 semantics).
    expect(gateReport(report, { failOn: 'LOW', ignoreUnfixed: true }).kept.map((f) => f.id)).toEqual(['CVE-2019-18224']);
  });

  it('ignores keys it does not know (a newer Trivy), at every level', () => {
    const doc = JSON.parse(fixture('pnpm.json.golden'));
    doc.FutureTopLevel = { x: [1, 2] };
    doc.Results[0].FutureResultKey = 'y';
    doc.Results[0].Vulnerabilities[0].FutureVulnKey = { nested: true };
    const report = parseTrivyReport(JSON.stringify(doc));
    expect(report.findings.map((f) => f.id)).toEqual(parseTrivyReport(fixture('pnpm.json.golden')).findings.map((f) => f.id));
  });

  it('null arrays are empty (some Trivy versions wrote null instead of omitting the key)', () => {
    const doc = JSON.parse(fixture('sl-micro-rancher5.4.json.golden'));
    doc.Results[0].Vulnerabilities = null;
    expect(parseTrivyReport(JSON.stringify(doc)).findings).toEqual([]);
  });

  it('counts only FAILed misconfigurations; PASS and EXCEPTION are not findings', () => {
    const doc = {
      SchemaVersion: 2, ArtifactName: '.', ArtifactType: 'filesystem',
      Results: [{ Target: 'Dockerfile', Class: 'config', Type: 'dockerfile', Misconfigurations: [
        { ID: 'DS002', AVDID: 'AVD-DS-0002', Title: 'Image user should not be root', Severity: 'HIGH', Status: 'FAIL', Message: 'Specify at least 1 USER command', CauseMetadata: { StartLine: 1, EndLine: 3 } },
        { ID: 'DS001', AVDID: 'AVD-DS-0001', Severity: 'MEDIUM', Status: 'PASS' },
        { ID: 'DS005', AVDID: 'AVD-DS-0005', Severity: 'LOW', Status: 'EXCEPTION' },
      ] }],
    };
    const report = parseTrivyReport(JSON.stringify(doc));
    expect(report.findings).toMatchObject([{ kind: 'misconfiguration', id: 'DS002', altId: 'AVD-DS-0002', severity: 'HIGH', startLine: 1, endLine: 3 }]);
    expect(gateReport(report, { failOn: 'HIGH' }).passed).toBe(false);
  });

  it('keeps a comma-separated FixedVersion list as written', () => {
    const doc = JSON.parse(fixture('npm.json.golden'));
    doc.Results[0].Vulnerabilities[0].FixedVersion = '6.0.3.1, 5.2.4.3';
    expect(parseTrivyReport(JSON.stringify(doc)).findings[0]!.fixedVersion).toBe('6.0.3.1, 5.2.4.3');
  });
});

describe('artifactMismatch: a report about another artifact than asked is refused', () => {
  const image = parseTrivyReport(fixture('alpine-39.json.golden'));
  const repo = parseTrivyReport(fixture('npm.json.golden'));

  it('accepts the tarball, the reference and its Docker-default spellings', () => {
    expect(artifactMismatch(image, { mode: 'image', input: 'testdata/fixtures/images/alpine-39.tar.gz' })).toBeUndefined();
    expect(artifactMismatch(image, { mode: 'image', input: './testdata/fixtures/images/alpine-39.tar.gz' })).toBeUndefined();
    expect(artifactMismatch(image, { mode: 'image', target: 'ghcr.io/aquasecurity/trivy-test-images:alpine-39' })).toBeUndefined();
    expect(artifactMismatch(repo, { mode: 'fs', target: 'testdata/fixtures/repo/npm/' })).toBeUndefined();
    expect(artifactMismatch(repo, { mode: 'fs', target: '/src/testdata/fixtures/repo/npm', cwd: '/src' })).toBeUndefined();
    expect(artifactMismatch(image, { mode: 'image' })).toBeUndefined();
  });

  it('Docker Hub short names compare equal to their full form', () => {
    const doc = JSON.parse(fixture('alpine-310.json.golden'));
    doc.ArtifactName = 'alpine:3.10';
    doc.Metadata = { RepoTags: ['alpine:3.10'] };
    const hub = parseTrivyReport(JSON.stringify(doc));
    expect(artifactMismatch(hub, { mode: 'image', target: 'docker.io/library/alpine:3.10' })).toBeUndefined();
    expect(artifactMismatch(hub, { mode: 'image', target: 'alpine:3.11' })).toMatch(/not for the image "alpine:3.11"/);
  });

  it.each([
    ['another image tag', { mode: 'image' as const, target: 'ghcr.io/aquasecurity/trivy-test-images:alpine-310' }, /not for the image/],
    ['another tarball', { mode: 'image' as const, input: 'testdata/fixtures/images/alpine-310.tar.gz' }, /not for the image tarball/],
    ['a filesystem scan of an image report', { mode: 'fs' as const, target: '.' }, /report is for container_image .* but a filesystem scan/],
  ])('%s', (_what, expected, words) => {
    expect(artifactMismatch(image, expected)).toMatch(words);
  });

  it('an image scan given a repository report, and another path', () => {
    expect(artifactMismatch(repo, { mode: 'image', target: 'app:1' })).toMatch(/report is for repository .* but an image scan/);
    expect(artifactMismatch(repo, { mode: 'fs', target: 'testdata/fixtures/repo/pnpm' })).toMatch(/not for the path "testdata\/fixtures\/repo\/pnpm"/);
  });
});
