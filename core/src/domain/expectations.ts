/**
 * The expectation language of action-verify-metrics (docs/verify-metrics.md, "Expectation language"):
 *
 *     ['!'] metric_name ['{' matcher (',' matcher)* [','] '}'] [op number]
 *     matcher = label ('=' | '!=' | '=~' | '!~') "value"      (Prometheus string escaping)
 *     op      = '>=' | '>' | '==' | '!=' | '<=' | '<'
 *     number  = a float, or NaN / +Inf / -Inf
 *
 * One expectation per line; `#` outside a quoted string starts a comment. Selection matches the
 * sample name exactly (so `x_bucket`, `x_count`, `x_sum` are addressable); every matcher must hold
 * and unnamed labels are wildcards. As in PromQL, a missing label reads as "" and regexes are fully
 * anchored (`^(?:re)$`, `.` matching newlines).
 *
 * Verdict, with value = the sum of the matched samples:
 *   - no op: at least one sample matches;
 *   - `!`: no sample matches (cardinality guards);
 *   - op: at least one sample matches AND `value op number` holds. NaN never satisfies a comparison.
 *     Requiring a match keeps `x == 0` from passing for a series that does not exist at all.
 */
import type { Exposition, Sample } from './exposition.ts';
import { escapeLabelValue, formatSeries, formatValue, labelValue, parseGoFloat } from './exposition.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';
export type CompareOp = '>=' | '>' | '==' | '!=' | '<=' | '<';

export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
}

export interface Expectation {
  /** The expectation as written, without comment and surrounding blanks. */
  source: string;
  /** 1-based line in the input it came from. */
  line: number;
  /** True for a leading `!` (no sample may match). */
  absent: boolean;
  metric: string;
  matchers: Matcher[];
  comparison?: { op: CompareOp; value: number };
}

/** A syntax error in one expectation line (E15 in the action). */
export class ExpectationSyntaxError extends Error {
  readonly line: number;
  readonly reason: string;
  constructor(line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'ExpectationSyntaxError';
    this.line = line;
    this.reason = reason;
  }
}

/** The outcome of one expectation against one scrape (`results` output of the action). */
export interface ExpectationResult {
  expectation: string;
  /** Number of samples selected. */
  matched: number;
  /** Sum of the selected samples; `null` when none matched; NaN/±Inf as strings (JSON has no such numbers). */
  value: number | string | null;
  pass: boolean;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Removes a `#` comment that is not inside a double-quoted string. */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '\\') { i++; continue; }
    if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted) return line.slice(0, i);
  }
  return line;
}

/**
 * Parses one expectation (already stripped of comments and blanks). Throws
 * `ExpectationSyntaxError` naming `line` and what was expected where.
 */
export function parseExpectation(text: string, line = 1): Expectation {
  let rest = text.trim();
  const fail = (reason: string): never => { throw new ExpectationSyntaxError(line, reason); };
  const skip = (): void => { rest = rest.replace(/^[ \t]+/, ''); };
  const absent = rest.startsWith('!');
  if (absent) { rest = rest.slice(1); skip(); }
  const name = NAME.exec(rest)?.[0];
  if (!name) fail(`expected a metric name at "${rest.slice(0, 20)}"`);
  rest = rest.slice(name!.length);
  skip();
  const matchers: Matcher[] = [];
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      skip();
      if (rest.startsWith('}')) { rest = rest.slice(1); break; }
      const label = LABEL.exec(rest)?.[0];
      if (!label) fail(`expected a label name or "}" at "${rest.slice(0, 20)}"`);
      rest = rest.slice(label!.length);
      skip();
      const op = (['=~', '!~', '!=', '='] as const).find((o) => rest.startsWith(o));
      if (!op) fail(`expected =, !=, =~ or !~ after label ${label}`);
      rest = rest.slice(op!.length);
      skip();
      if (!rest.startsWith('"')) fail(`expected a double-quoted value for label ${label}`);
      const { value, length } = readQuoted(rest, fail);
      rest = rest.slice(length);
      if (op === '=~' || op === '!~') compileAnchored(value, (reason) => fail(`invalid regex for label ${label}: ${reason}`));
      matchers.push({ label: label!, op: op!, value });
      skip();
      if (rest.startsWith(',')) { rest = rest.slice(1); continue; }
      if (rest.startsWith('}')) { rest = rest.slice(1); break; }
      fail(`expected "," or "}" after the value of label ${label}`);
    }
    skip();
  }
  let comparison: Expectation['comparison'];
  if (rest) {
    const op = (['>=', '<=', '==', '!=', '>', '<'] as const).find((o) => rest.startsWith(o));
    if (!op) fail(`expected a comparison (>=, >, ==, !=, <=, <) or the end of the line at "${rest.slice(0, 20)}"`);
    rest = rest.slice(op!.length).trim();
    const value = parseGoFloat(rest);
    if (value === undefined) fail(`expected a number after ${op} (a float, NaN, +Inf or -Inf), got "${rest}"`);
    if (absent) fail('"!" (absence) cannot be combined with a comparison');
    comparison = { op: op!, value: value! };
  }
  return { source: text.trim(), line, absent, metric: name!, matchers, ...(comparison ? { comparison } : {}) };
}

/** Reads a double-quoted string with `\\`, `\"`, `\n`, `\t` escapes; returns the value and the consumed length. */
function readQuoted(text: string, fail: (reason: string) => never): { value: string; length: number } {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') return { value, length: i + 1 };
    if (c !== '\\') { value += c; continue; }
    const next = text[++i];
    if (next === '\\' || next === '"') value += next;
    else if (next === 'n') value += '\n';
    else if (next === 't') value += '\t';
    else fail(`invalid escape "\\${next ?? ''}" in a quoted value`);
  }
  return fail('unterminated quoted value');
}

const regexCache = new Map<string, RegExp>();

/** PromQL regex semantics: fully anchored, `.` matches newline. */
function compileAnchored(source: string, fail: (reason: string) => never = (r) => { throw new Error(r); }): RegExp {
  let re = regexCache.get(source);
  if (re) return re;
  try {
    re = new RegExp(`^(?:${source})$`, 's');
  } catch (error) {
    return fail((error as Error).message);
  }
  regexCache.set(source, re);
  return re;
}

/**
 * Parses the `expect` input: one expectation per element (or per line of a string). Blank lines and
 * comments are skipped; line numbers count every input line from 1. Throws on the first bad line.
 */
export function parseExpectations(input: string | readonly string[]): Expectation[] {
  const lines = typeof input === 'string' ? input.split(/\r?\n/) : input;
  const out: Expectation[] = [];
  lines.forEach((raw, index) => {
    const text = stripComment(raw).trim();
    if (text) out.push(parseExpectation(text, index + 1));
  });
  return out;
}

/** True when every matcher of `e` holds for the sample (missing labels read as ""). */
export function matches(e: Expectation, sample: Sample): boolean {
  if (sample.name !== e.metric) return false;
  for (const m of e.matchers) {
    const actual = m.label === '__name__' ? sample.name : (labelValue(sample.labels, m.label) ?? '');
    switch (m.op) {
      case '=': if (actual !== m.value) return false; break;
      case '!=': if (actual === m.value) return false; break;
      case '=~': if (!compileAnchored(m.value).test(actual)) return false; break;
      case '!~': if (compileAnchored(m.value).test(actual)) return false; break;
    }
  }
  return true;
}

function compare(op: CompareOp, a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  switch (op) {
    case '>=': return a >= b;
    case '>': return a > b;
    case '==': return a === b;
    case '!=': return a !== b;
    case '<=': return a <= b;
    case '<': return a < b;
  }
}

function jsonValue(v: number): number | string {
  return Number.isFinite(v) ? v : formatValue(v);
}

/** Evaluates one expectation against the samples of a scrape. */
export function evaluateExpectation(e: Expectation, samples: readonly Sample[]): ExpectationResult {
  let matched = 0;
  let sum = 0;
  for (const s of samples) {
    if (!matches(e, s)) continue;
    matched++;
    sum += s.value;
  }
  let pass: boolean;
  if (e.absent) pass = matched === 0;
  else if (!e.comparison) pass = matched > 0;
  else pass = matched > 0 && compare(e.comparison.op, sum, e.comparison.value);
  return { expectation: e.source, matched, value: matched ? jsonValue(sum) : null, pass };
}

/** Evaluates every expectation against one parsed exposition, in order. */
export function evaluateAll(expectations: readonly Expectation[], exposition: Exposition): ExpectationResult[] {
  return expectations.map((e) => evaluateExpectation(e, exposition.samples));
}

/** Up to `limit` series (formatted `name{labels}`) whose sample name is `metric`: what was there instead. */
export function presentSeries(metric: string, samples: readonly Sample[], limit = 5): string[] {
  const out: string[] = [];
  for (const s of samples) {
    if (s.name !== metric) continue;
    out.push(`${formatSeries(s.name, s.labels)} ${formatValue(s.value)}`);
    if (out.length >= limit) break;
  }
  return out;
}

/** Up to `limit` series (formatted `name{labels} value`) that `e` matches: what a failed `!metric` found. */
export function matchingSeries(e: Expectation, samples: readonly Sample[], limit = 5): string[] {
  const out: string[] = [];
  for (const s of samples) {
    if (!matches(e, s)) continue;
    out.push(`${formatSeries(s.name, s.labels)} ${formatValue(s.value)}`);
    if (out.length >= limit) break;
  }
  return out;
}

/** Renders an expectation back in canonical syntax (for messages). */
export function formatExpectation(e: Expectation): string {
  const labels = e.matchers.map((m) => `${m.label}${m.op}"${escapeLabelValue(m.value)}"`).join(',');
  const cmp = e.comparison ? ` ${e.comparison.op} ${formatValue(e.comparison.value)}` : '';
  return `${e.absent ? '!' : ''}${e.metric}${labels ? `{${labels}}` : ''}${cmp}`;
}
