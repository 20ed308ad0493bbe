// Every real Trivy report in core/test/fixtures/trivy, gated by gateReport, against expectations
// computed by other routes: (1) the numbers written in SOURCES.md (computed by the fixture
// curator's own script), (2) a naive walk over the raw JSON in this file, (3) the documented
// "HIGH+CRITICAL, fixed only" outcomes (docs/trivy.md, "The gate"), and (4) Trivy's own filtered output.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gateReport } from '../../src/domain/gate.ts';
import type { TrivyFinding } from '../../src/domain/trivy-report.ts';
import { SEVERITIES, parseTrivyReport } from '../../src/domain/trivy-report.ts';
import { trivyFixtures } from '../support/paths.ts';

const reports = readdirSync(trivyFixtures).filter((f) => f.endsWith('.json.golden')).sort();
const text = (file: string): string => readFileSync(join(trivyFixtures, file), 'utf8');

/** SOURCES.md rows: "vulnerabilities 6: CRITICAL 2, MEDIUM 4 (0 without FixedVersion)" and "secrets 2: CRITICAL 1, HIGH 1". */
function sourcesTable(): Map<string, { vulns: Record<string, number>; vulnTotal: number; unfixed: number; secrets: Record<string, number>; artifactType: string }> {
  const rows = new Map();
  for (const line of readFileSync(join(trivyFixtures, 'SOURCES.md'), 'utf8').split('\n')) {
    const file = /^\| `([^`]+\.json\.golden)` \|/.exec(line)?.[1];
    if (!file) continue;
    const vm = /vulnerabilities (\d+): ([^(.;]*?)(?: \((\d+) without FixedVersion\))?[.;]/.exec(line);
    if (!vm) throw new Error(`SOURCES.md row for ${file} has no vulnerability count`);
    const bySeverity = (list: string): Record<string, number> =>
      Object.fromEntries([...list.matchAll(/(CRITICAL|HIGH|MEDIUM|LOW|UNKNOWN) (\d+)/g)].map((m) => [m[1], Number(m[2])]));
    const sm = /secrets (\d+): ([^.]*)\./.exec(line);
    rows.set(file, {
      vulnTotal: Number(vm[1]),
      vulns: bySeverity(vm[2] ?? ''),
      unfixed: Number(vm[3] ?? 0),
      secrets: sm ? bySeverity(sm[2]!) : {},
      artifactType: /ArtifactType=(\w+)/.exec(line)![1]!,
    });
  }
  return rows;
}

/** The naive route: walk the raw JSON with plain loops, no code shared with the gate. */
function rawWalk(file: string): { vulns: Array<{ severity: string; fixed: boolean }>; others: string[] } {
  const doc = JSON.parse(text(file)) as { Results?: Array<{ Vulnerabilities?: Array<Record<string, string>>; Secrets?: Array<Record<string, string>>; Misconfigurations?: Array<Record<string, string>> }> };
  const vulns: Array<{ severity: string; fixed: boolean }> = [];
  const others: string[] = [];
  for (const result of doc.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      const unfixedStatus = ['affected', 'will_not_fix', 'fix_deferred', 'end_of_life'];
      const fixed = v.Status !== undefined ? !unfixedStatus.includes(v.Status) : v.FixedVersion !== undefined && v.FixedVersion !== '';
      vulns.push({ severity: v.Severity!, fixed });
    }
    for (const s of result.Secrets ?? []) others.push(s.Severity!);
    for (const m of result.Misconfigurations ?? []) if (m.Status === 'FAIL') others.push(m.Severity!);
  }
  return { vulns, others };
}

/** Recorded when the fixtures were chosen (docs/trivy.md, "The gate"): expected outcome of a "fail-on HIGH, ignore-unfixed" gate, as tripped-finding counts. */
const DOCUMENTED_HIGH_FIXED_ONLY: Record<string, number> = {
  'alpine-39.json.golden': 2,
  'alpine-39-high-critical.json.golden': 2,
  'alpine-39-skip.json.golden': 0,
  'alpine-310.json.golden': 0,
  'debian-buster.json.golden': 1,
  'debian-buster-ignore-unfixed.json.golden': 1,
  'npm.json.golden': 0,
  'pnpm.json.golden': 1,
  'secrets.json.golden': 2,
  'sl-micro-rancher5.4.json.golden': 0,
};

const rank = (s: string): number => 4 - ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'].indexOf(s);

describe('gateReport on every real Trivy report in the shared fixtures', () => {
  const sources = sourcesTable();

  it('covers every report in the folder (a new fixture without expectations fails here)', () => {
    expect(reports.length).toBeGreaterThanOrEqual(10);
    expect([...sources.keys()].sort()).toEqual(reports);
    expect(Object.keys(DOCUMENTED_HIGH_FIXED_ONLY).sort()).toEqual(reports);
  });

  for (const file of reports) {
    describe(file, () => {
      const report = parseTrivyReport(text(file), file);
      const raw = rawWalk(file);

      it('counts match SOURCES.md and a naive walk of the raw JSON', () => {
        const row = sources.get(file)!;
        const gate = gateReport(report, { failOn: 'CRITICAL' });
        const fromSources = Object.fromEntries(SEVERITIES.map((s) => [s, row.vulns[s] ?? 0]));
        expect(gate.counts).toEqual(fromSources);
        expect(Object.values(gate.counts).reduce((a, b) => a + b, 0)).toBe(row.vulnTotal);
        expect(report.artifactType).toBe(row.artifactType);
        const naive = Object.fromEntries(SEVERITIES.map((s) => [s, raw.vulns.filter((v) => v.severity === s).length]));
        expect(gate.counts).toEqual(naive);
        expect(gate.countsByKind.secret).toEqual(Object.fromEntries(SEVERITIES.map((s) => [s, row.secrets[s] ?? 0])));
        // SOURCES.md counts vulnerabilities "without FixedVersion"; ignore-unfixed removes exactly those here.
        const withFixOnly = gateReport(report, { failOn: 'CRITICAL', ignoreUnfixed: true });
        expect(row.vulnTotal - Object.values(withFixOnly.counts).reduce((a, b) => a + b, 0)).toBe(row.unfixed);
      });

      it('matches the documented "fail-on HIGH, ignore-unfixed" outcome', () => {
        const gate = gateReport(report, { failOn: 'HIGH', ignoreUnfixed: true });
        expect(gate.tripped).toHaveLength(DOCUMENTED_HIGH_FIXED_ONLY[file]!);
        expect(gate.passed).toBe(DOCUMENTED_HIGH_FIXED_ONLY[file] === 0);
      });

      for (const failOn of SEVERITIES) {
        for (const ignoreUnfixed of [false, true]) {
          it(`verdict for fail-on ${failOn}${ignoreUnfixed ? ' with ignore-unfixed' : ''} equals the naive walk`, () => {
            const naiveTripped = raw.vulns.filter((v) => rank(v.severity) >= rank(failOn) && (!ignoreUnfixed || v.fixed)).length
              + raw.others.filter((s) => rank(s) >= rank(failOn)).length;
            const gate = gateReport(report, { failOn, ignoreUnfixed });
            expect(gate.tripped).toHaveLength(naiveTripped);
            expect(gate.passed).toBe(naiveTripped === 0);
          });
        }
      }
    });
  }
});

/** A finding without its position in the file: two reports agree when these are equal. */
const comparable = (f: TrivyFinding): Omit<TrivyFinding, 'path'> => {
  const { path: _path, ...rest } = f;
  return rest;
};

describe('client-side filtering equals Trivy\'s own filtered report', () => {
  it('alpine-39 gated with fail-on HIGH + ignore-unfixed trips exactly the findings of `--severity HIGH,CRITICAL --ignore-unfixed`', () => {
    const unfiltered = parseTrivyReport(text('alpine-39.json.golden'));
    const trivyFiltered = parseTrivyReport(text('alpine-39-high-critical.json.golden'));
    const gate = gateReport(unfiltered, { failOn: 'HIGH', ignoreUnfixed: true });
    expect(gate.tripped.map(comparable)).toEqual(trivyFiltered.findings.map(comparable));
    expect(trivyFiltered.findings.length).toBe(2);
  });

  it('debian-buster with ignore-unfixed keeps exactly the findings of Trivy\'s `--ignore-unfixed` report', () => {
    const unfiltered = parseTrivyReport(text('debian-buster.json.golden'));
    const trivyFiltered = parseTrivyReport(text('debian-buster-ignore-unfixed.json.golden'));
    const gate = gateReport(unfiltered, { failOn: 'UNKNOWN', ignoreUnfixed: true });
    expect(gate.kept.map(comparable)).toEqual(trivyFiltered.findings.map(comparable));
    expect(gate.suppressed.map((s) => [s.finding.id, s.reason])).toEqual([['CVE-2019-18276', 'unfixed']]);
  });

  it('the pairs differ without the filter (the comparison can fail)', () => {
    const unfiltered = parseTrivyReport(text('debian-buster.json.golden'));
    const trivyFiltered = parseTrivyReport(text('debian-buster-ignore-unfixed.json.golden'));
    expect(gateReport(unfiltered, { failOn: 'UNKNOWN' }).kept.map(comparable)).not.toEqual(trivyFiltered.findings.map(comparable));
  });

  it('a Severity-only view of alpine-39 keeps the same CVE on two packages as two entries', () => {
    const gate = gateReport(parseTrivyReport(text('alpine-39.json.golden')), { failOn: 'CRITICAL' });
    expect(gate.tripped.map((f) => `${f.id}/${f.pkgName}`)).toEqual(['CVE-2019-14697/musl', 'CVE-2019-14697/musl-utils']);
  });
});
