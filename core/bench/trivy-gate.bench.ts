// The Trivy gate on a synthesised ~50 MB report (real findings from core/test/fixtures/trivy,
// replicated across many Results), against plain `JSON.parse` of the same file in the same run.
// Each measurement runs in a fresh child process (clean heap, honest peak RSS), interleaved round
// by round so drift hits both alike. Reported: median time and peak RSS, and their ratios to the
// baseline; peak RSS is also given above an idle Node process (what the work itself costs).
// Run: node core/bench/trivy-gate.bench.ts [--runs N] [--mb SIZE]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gateReport } from '../src/domain/gate.ts';
import { toSarif } from '../src/domain/sarif.ts';
import { parseTrivyReport } from '../src/domain/trivy-report.ts';
import { parseTrivyIgnore } from '../src/domain/trivyignore.ts';
import { trivyFixtures } from '../test/support/paths.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

type Mode = 'idle' | 'json-parse' | 'gate' | 'gate+sarif';

/** Child: do one kind of work on the file, print {ms, maxRssKb, check}. */
function child(mode: Mode, file: string): void {
  const start = performance.now();
  let check = 0;
  if (mode === 'json-parse') {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { Results?: unknown[] };
    check = doc.Results?.length ?? 0;
  } else if (mode === 'gate' || mode === 'gate+sarif') {
    const report = parseTrivyReport(readFileSync(file, 'utf8'), file);
    const gate = gateReport(report, { failOn: 'HIGH', ignoreUnfixed: true, ignoreRules: parseTrivyIgnore('CVE-2019-1549\nCVE-2019-18276 exp:2030-01-01\n').rules });
    check = gate.tripped.length;
    if (mode === 'gate+sarif') check += JSON.stringify(toSarif(report, gate.kept)).length > 0 ? 0 : 1;
  }
  const ms = performance.now() - start;
  process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, check }));
}

/** Builds a report of about `targetBytes`: every real Result of the fixtures, replicated with distinct targets. */
function synthesise(path: string, targetBytes: number): { results: number; vulnerabilities: number; secrets: number } {
  const results: Array<Record<string, unknown>> = [];
  for (const f of readdirSync(trivyFixtures).filter((n) => n.endsWith('.json.golden'))) {
    const doc = JSON.parse(readFileSync(join(trivyFixtures, f), 'utf8')) as { Results?: Array<Record<string, unknown>> };
    for (const r of doc.Results ?? []) if (r.Vulnerabilities || r.Secrets) results.push({ ...r, Packages: undefined });
  }
  const base = JSON.parse(readFileSync(join(trivyFixtures, 'alpine-39.json.golden'), 'utf8')) as Record<string, unknown>;
  const sampleBytes = results.reduce((n, r) => n + JSON.stringify(r, null, 2).length, 0);
  const copies = Math.ceil(targetBytes / sampleBytes);
  const out: Array<Record<string, unknown>> = [];
  let vulnerabilities = 0;
  let secrets = 0;
  for (let i = 0; i < copies; i++) {
    for (const r of results) {
      out.push({ ...r, Target: `${String(r.Target)}#${i}` });
      vulnerabilities += (r.Vulnerabilities as unknown[] | undefined)?.length ?? 0;
      secrets += (r.Secrets as unknown[] | undefined)?.length ?? 0;
    }
  }
  // Trivy writes indented JSON (2 spaces), so the synthetic file has the real layout too.
  writeFileSync(path, JSON.stringify({ ...base, Results: out }, null, 2));
  return { results: out.length, vulnerabilities, secrets };
}

interface Sample { ms: number; maxRssKb: number; check: number }

function measure(mode: Mode, file: string): Sample {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${mode} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Sample;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main(): void {
  const runs = arg('--runs', 3);
  const mb = arg('--mb', 50);
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-trivy-bench-'));
  const file = join(dir, 'report.json');
  try {
    const shape = synthesise(file, mb * 1024 * 1024);
    const size = statSync(file).size;
    console.log(`synthesised ${(size / 1024 / 1024).toFixed(1)} MB: ${shape.results} results, ${shape.vulnerabilities} vulnerabilities, ${shape.secrets} secrets (real fixture findings replicated)`);
    const modes: Mode[] = ['idle', 'json-parse', 'gate', 'gate+sarif'];
    const samples = Object.fromEntries(modes.map((m) => [m, [] as Sample[]])) as Record<Mode, Sample[]>;
    for (let i = 0; i < runs; i++) for (const m of modes) samples[m].push(measure(m, file));
    const ms = (m: Mode): number => median(samples[m].map((s) => s.ms));
    const rss = (m: Mode): number => median(samples[m].map((s) => s.maxRssKb)) / 1024;
    const idle = rss('idle');
    console.log(`runs: ${runs} per mode, each in a fresh ${process.version} process, median shown`);
    console.log('mode         time ms   ratio   peak RSS MB   ratio   above idle MB   ratio');
    for (const m of ['json-parse', 'gate', 'gate+sarif'] as const) {
      const line = [
        m.padEnd(11),
        ms(m).toFixed(0).padStart(8), (ms(m) / ms('json-parse')).toFixed(2).padStart(7),
        rss(m).toFixed(0).padStart(13), (rss(m) / rss('json-parse')).toFixed(2).padStart(7),
        (rss(m) - idle).toFixed(0).padStart(15), ((rss(m) - idle) / (rss('json-parse') - idle)).toFixed(2).padStart(7),
      ];
      console.log(line.join(' '));
    }
    console.log(`idle node: ${idle.toFixed(0)} MB peak RSS; gate tripped ${samples.gate[0]!.check} findings (fail-on HIGH, ignore-unfixed, 2 ignore rules)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt > 0) child(process.argv[childAt + 1] as Mode, process.argv[childAt + 2]!);
else main();
