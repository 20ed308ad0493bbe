// The parser's verdicts on a corpus of ≥ 30 expositions, cross-checked against a real
// `promtool check metrics` (Debian package `prometheus`): where promtool can judge (text 0.0.4),
// accept/reject and the reported line must agree. Rejections that promtool does not make are listed
// explicitly (`extra`), as are OpenMetrics inputs promtool 2.42 cannot parse (`cannot-judge`).
// Sources of the recorded fixtures: fixtures/SOURCES.md.
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition } from '../../src/domain/exposition.ts';
import type { ExpositionErrorKind } from '../../src/domain/exposition.ts';

const dir = join(import.meta.dirname, 'fixtures');

type Verdict =
  | { accept: true; promtool: 'agree' | 'cannot-judge' }
  | { accept: false; line: number; kind: ExpositionErrorKind; promtool: 'agree' | 'extra' | 'cannot-judge' };

const accept: Verdict = { accept: true, promtool: 'agree' };
const reject = (line: number, kind: ExpositionErrorKind = 'syntax'): Verdict => ({ accept: false, line, kind, promtool: 'agree' });
const extra = (line: number, kind: ExpositionErrorKind): Verdict => ({ accept: false, line, kind, promtool: 'extra' });

/** Every file in fixtures/ must be listed here (checked below), so the corpus cannot drift silently. */
const corpus: Record<string, Verdict> = {
  'accept-comments-and-eof-comment.prom': accept,
  'accept-docs-example.prom': accept,
  'accept-empty-braces-trailing-comma.prom': accept,
  'accept-empty.prom': accept,
  'accept-escapes.prom': accept,
  'accept-help-after-samples.prom': accept,
  'accept-help-without-text.prom': accept,
  'accept-histogram-labelled.prom': accept,
  'accept-prom-client-defaults.prom': accept,
  'accept-prom-client-no-defaults.prom': accept,
  'accept-prometheus-2.42-self.prom': accept,
  'accept-special-values.prom': accept,
  'accept-summary-labelled.prom': accept,
  'accept-text-with-trailing-eof.prom': accept,
  'accept-timestamps.prom': accept,
  'accept-trailing-blank-line-no-newline.prom': accept,
  'accept-untyped-and-case.prom': accept,
  'accept-whitespace-and-tabs.prom': accept,
  'reject-carriage-return.prom': reject(1),
  'reject-duplicate-label-name.prom': reject(1),
  'reject-help-bad-escape.prom': reject(1),
  'reject-histogram-le-not-float.prom': reject(3),
  'reject-invalid-label-name.prom': reject(1),
  'reject-invalid-metric-name.prom': reject(4),
  'reject-invalid-name-in-help.prom': reject(1),
  'reject-label-set-unclosed.prom': reject(1),
  'reject-label-value-bad-escape.prom': reject(1),
  'reject-label-value-newline.prom': reject(2),
  'reject-label-value-unquoted.prom': reject(1),
  'reject-missing-final-newline.prom': reject(3),
  'reject-missing-value.prom': reject(2),
  'reject-non-numeric-value.prom': reject(3),
  'reject-quoted-utf8-name.prom': reject(3, 'unsupported'),
  'reject-reserved-label-name.prom': reject(1),
  'reject-second-help.prom': reject(2),
  'reject-second-type.prom': reject(2),
  'reject-spurious-after-timestamp.prom': reject(1),
  'reject-summary-quantile-not-float.prom': reject(2),
  'reject-timestamp-float.prom': reject(1),
  'reject-timestamp-overflow.prom': reject(1),
  'reject-trailing-blank-after-value.prom': reject(2),
  'reject-type-after-sample.prom': reject(2),
  'reject-type-trailing-blank.prom': reject(1),
  'reject-unknown-type.prom': reject(2),
  'reject-value-hex.prom': reject(1),
  'reject-value-overflow.prom': reject(1),
  'reject-value-signed-nan.prom': reject(1),
  // promtool accepts these; the text format forbids them (duplicates, interleaving, histogram rules).
  'extra-duplicate-series.prom': extra(5, 'duplicate'),
  'extra-interleaved-family.prom': extra(7, 'interleaved'),
  'extra-histogram-no-inf.prom': extra(4, 'histogram'),
  'extra-histogram-count-mismatch.prom': extra(6, 'histogram'),
  'extra-histogram-decreasing.prom': extra(4, 'histogram'),
  // OpenMetrics: promtool 2.42 parses only the text format.
  'om-prom-client-exemplars.txt': { accept: true, promtool: 'cannot-judge' },
  'om-spec-example.txt': { accept: true, promtool: 'cannot-judge' },
  'om-eof-without-newline.txt': { accept: true, promtool: 'cannot-judge' },
  // Without `# EOF` it is read as text, where an exemplar is a bad timestamp, as promtool says.
  'om-missing-eof.txt': reject(2),
};

interface PromtoolVerdict { accept: boolean; line?: number; output: string }

/** Runs the real promtool: exit 1 = parse error (reject); 0 or 3 (lint problems) = parsed. */
function promtool(text: string): PromtoolVerdict {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw new Error(`promtool could not run (install the Debian package "prometheus"): ${r.error.message}`);
  if (r.status !== 0 && r.status !== 1 && r.status !== 3) throw new Error(`promtool exited ${r.status}: ${r.stderr}`);
  const m = /parsing error in line (\d+)/.exec(r.stderr);
  return { accept: r.status !== 1, output: r.stderr, ...(m ? { line: Number(m[1]) } : {}) };
}

function ours(text: string): { accept: true } | { accept: false; line: number; kind: ExpositionErrorKind; reason: string } {
  try {
    parseExposition(text);
    return { accept: true };
  } catch (error) {
    if (!(error instanceof ExpositionError)) throw error;
    return { accept: false, line: error.line, kind: error.kind, reason: error.reason };
  }
}

describe('exposition corpus vs promtool check metrics', () => {
  const files = readdirSync(dir).filter((f) => /\.(prom|txt)$/.test(f)).sort();

  it('holds at least 30 fixtures, each with a stated verdict', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(files.filter((f) => !(f in corpus))).toEqual([]);
    expect(Object.keys(corpus).filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(Object.entries(corpus))('%s', (file, want) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const got = ours(text);
    const judge = promtool(text);
    expect(got.accept, JSON.stringify(got)).toBe(want.accept);
    if (!want.accept && !got.accept) {
      expect(got.line).toBe(want.line);
      expect(got.kind).toBe(want.kind);
    }
    if (want.promtool === 'agree') {
      expect(judge.accept, judge.output).toBe(got.accept);
      if (!got.accept) expect(judge.line, judge.output).toBe(got.line);
    } else if (want.promtool === 'extra') {
      expect(judge.accept, `promtool now rejects ${file}: move it to the agreed rejections\n${judge.output}`).toBe(true);
    }
  });

  it('agrees with promtool on at least 30 fixtures', () => {
    const agreed = Object.values(corpus).filter((v) => v.promtool === 'agree').length;
    expect(agreed).toBeGreaterThanOrEqual(30);
  });
});
