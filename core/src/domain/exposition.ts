/**
 * A strict parser for the Prometheus text exposition format 0.0.4, plus enough OpenMetrics 1.0
 * (`# EOF`, `_total`/`_created` counters, `# UNIT`, exemplars, float-second timestamps) to
 * evaluate expectations against it.
 *
 * Why our own: every npm parser is unmaintained and either merges labelled histograms or accepts
 * garbage (docs/verify-metrics.md, "Exposition parser"). A gate built on such a parser passes the very
 * errors it exists to catch.
 *
 * Rules (docs/verify-metrics.md, "Exposition parser"; prometheus/docs `exposition_formats.md`; Go `expfmt.TextParser`,
 * which `promtool check metrics` uses): wherever promtool 2.42 can judge an input, this parser
 * accepts and rejects the same inputs and names the same line. On top of that it rejects what
 * promtool lets through (`extra` in `ExpositionErrorKind`):
 *   - `duplicate`: the same name + label set twice (ingestion behaviour is undefined);
 *   - `interleaved`: a family that reappears after another family started;
 *   - `histogram`: a typed histogram without a `+Inf` bucket, with `+Inf` ≠ `_count`, with a bucket
 *     count that decreases as `le` grows, or with a `_bucket` sample that lacks `le`;
 *   - `encoding`: bytes that are not UTF-8 (`decodeExposition`).
 */

export type MetricType =
  | 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  // OpenMetrics only (and `gaugehistogram`, which promtool also knows as `gauge_histogram`):
  | 'gaugehistogram' | 'unknown' | 'info' | 'stateset';

export type ExpositionFormat = 'text' | 'openmetrics';

/** One metric family: its name, type (untyped unless declared), HELP text and, in OpenMetrics, UNIT. */
export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  unit?: string;
  /** 1-based line where the family was first named. */
  line: number;
}

/**
 * Label name → value (unescaped). Plain objects (fast in V8); read them with `labelValue` or
 * `Object.hasOwn`, since `labels.constructor` is inherited. A `__proto__` label is an own property.
 */
export type Labels = Record<string, string>;

/** One sample line. `name` is the sample's own name (`x_bucket`, `x_sum`), `family` the family it belongs to. */
export interface Sample {
  name: string;
  family: string;
  labels: Labels;
  value: number;
  /** Milliseconds since the epoch (OpenMetrics seconds are converted); absent when the line has none. */
  timestamp?: number;
  /** 1-based line number in the exposition. */
  line: number;
}

export interface Exposition {
  format: ExpositionFormat;
  /** In order of first appearance; families with no samples are kept (promtool drops them). */
  families: MetricFamily[];
  /** In exposition order. */
  samples: Sample[];
}

/**
 * `syntax`: promtool rejects it too. `unsupported`: quoted UTF-8 names (promtool 2.42 rejects them
 * as invalid). The rest are rejections promtool does not make (see the module comment).
 */
export type ExpositionErrorKind = 'syntax' | 'unsupported' | 'duplicate' | 'interleaved' | 'histogram' | 'encoding';

/** Why and where an exposition was rejected. `text` is the offending line, unmodified. */
export class ExpositionError extends Error {
  readonly kind: ExpositionErrorKind;
  readonly line: number;
  readonly reason: string;
  readonly text: string;
  constructor(kind: ExpositionErrorKind, line: number, reason: string, text: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'ExpositionError';
    this.kind = kind;
    this.line = line;
    this.reason = reason;
    this.text = text;
  }
}

export interface ParseOptions {
  /**
   * `auto` (default): OpenMetrics when the last non-blank line is `# EOF`, else text 0.0.4.
   * Pass `openmetrics` for a response whose Content-Type is `application/openmetrics-text`
   * (then `# EOF` is required).
   */
  format?: ExpositionFormat | 'auto';
}

const SPACE = 0x20, TAB = 0x09, HASH = 0x23, LBRACE = 0x7b, RBRACE = 0x7d, QUOTE = 0x22, BACKSLASH = 0x5c,
  EQUALS = 0x3d, COMMA = 0x2c;

const isBlank = (c: number): boolean => c === SPACE || c === TAB;
const isLetter = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isNameStart = (c: number): boolean => isLetter(c) || c === 0x5f || c === 0x3a;
const isNameChar = (c: number): boolean => isNameStart(c) || isDigit(c);
const isLabelStart = (c: number): boolean => isLetter(c) || c === 0x5f;
const isLabelChar = (c: number): boolean => isLabelStart(c) || isDigit(c);

/** Text-format types as `expfmt` knows them (upper-cased there, so case does not matter). */
const TEXT_TYPES: Record<string, MetricType> = {
  COUNTER: 'counter', GAUGE: 'gauge', HISTOGRAM: 'histogram', SUMMARY: 'summary', UNTYPED: 'untyped',
  GAUGE_HISTOGRAM: 'gaugehistogram',
};
const OPENMETRICS_TYPES: Record<string, MetricType> = {
  counter: 'counter', gauge: 'gauge', histogram: 'histogram', summary: 'summary', unknown: 'unknown',
  gaugehistogram: 'gaugehistogram', info: 'info', stateset: 'stateset',
};

/** Sample-name suffixes that belong to a family of the given type (OpenMetrics adds `_created` etc.). */
const TEXT_SUFFIXES: Partial<Record<MetricType, readonly string[]>> = {
  summary: ['_sum', '_count'],
  histogram: ['_sum', '_count', '_bucket'],
};
const OPENMETRICS_SUFFIXES: Partial<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  summary: ['_sum', '_count', '_created'],
  histogram: ['_sum', '_count', '_bucket', '_created'],
  gaugehistogram: ['_gsum', '_gcount', '_bucket'],
  info: ['_info'],
};

/**
 * Parses a Go `strconv.ParseFloat` float the way `expfmt` does: decimal with optional exponent,
 * `Inf`/`Infinity`/`NaN` in any case, a sign on infinities only; no hex, no `_`, and an overflow
 * to ±Inf is an error. Returns `undefined` when `token` is not such a float.
 */
export function parseGoFloat(token: string): number | undefined {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(token)) {
    const n = Number(token);
    return Number.isFinite(n) ? n : undefined;
  }
  const lower = token.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  const m = /^([+-]?)(inf|infinity)$/.exec(lower);
  if (m) return m[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;

/** An int64 in base 10 with an optional sign (Go `strconv.ParseInt(s, 10, 64)`), or `undefined`. */
function parseInt64(token: string): number | undefined {
  if (!/^[+-]?\d+$/.test(token)) return undefined;
  const big = BigInt(token);
  return big < INT64_MIN || big > INT64_MAX ? undefined : Number(big);
}

/** Renders a float the way Prometheus prints one (`+Inf`, `-Inf`, `NaN`, else JS shortest form). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Escapes a label value for display in exposition syntax (`\\`, `\"`, `\n`). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `name{a="1",b="2"}` with labels in name order (`name` alone when there are none). */
export function formatSeries(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}="${escapeLabelValue(labels[k]!)}"`).join(',')}}`;
}

/**
 * Decodes a scraped body as UTF-8, rejecting invalid bytes (`ExpositionError` kind `encoding` on
 * the line where they occur) instead of silently replacing them with U+FFFD.
 */
export function decodeExposition(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes);
    const lines = text.split('\n');
    const index = lines.findIndex((l) => l.includes('\uFFFD'));
    throw new ExpositionError('encoding', index + 1, 'invalid UTF-8', lines[index] ?? '');
  }
}

interface FamilyState extends MetricFamily {
  typeSet: boolean;
  closed: boolean;
}

/**
 * Cursor over one line of the input, `[start, end)` without its `\n`. One scanner walks the whole
 * input (no per-line strings): the line's text is only sliced out for error messages.
 */
class LineScanner {
  readonly input: string;
  lineNo = 0;
  start = 0;
  end = 0;
  pos = 0;
  constructor(input: string) {
    this.input = input;
  }
  reset(start: number, end: number, lineNo: number): void {
    this.start = start;
    this.pos = start;
    this.end = end;
    this.lineNo = lineNo;
  }
  /** The whole current line (for messages). */
  get text(): string { return this.input.slice(this.start, this.end); }
  /** The rest of the line from the cursor. */
  rest(): string { return this.input.slice(this.pos, this.end); }
  get atEnd(): boolean { return this.pos >= this.end; }
  /** The character code under the cursor (a method, so TypeScript does not narrow it across moves). */
  peek(): number { return this.input.charCodeAt(this.pos); }
  /** The character code after the cursor, or NaN at the end of the line. */
  peekNext(): number { return this.pos + 1 < this.end ? this.input.charCodeAt(this.pos + 1) : Number.NaN; }
  /** The character under the cursor for messages (`\n` at the end of the line). */
  shown(): string { return this.atEnd ? '\\n' : this.input[this.pos]!; }
  skipBlanks(): void { while (this.pos < this.end && isBlank(this.input.charCodeAt(this.pos))) this.pos++; }
  fail(reason: string, kind: ExpositionErrorKind = 'syntax'): never {
    throw new ExpositionError(kind, this.lineNo, reason, this.text);
  }
  /** A token up to the next blank or the end of the line. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.end && !isBlank(this.input.charCodeAt(this.pos))) this.pos++;
    return this.input.slice(start, this.pos);
  }
  metricName(): string {
    const start = this.pos;
    if (this.atEnd || !isNameStart(this.peek())) return '';
    while (this.pos < this.end && isNameChar(this.input.charCodeAt(this.pos))) this.pos++;
    return this.input.slice(start, this.pos);
  }
  labelName(): string {
    const start = this.pos;
    if (this.atEnd || !isLabelStart(this.peek())) return '';
    while (this.pos < this.end && isLabelChar(this.input.charCodeAt(this.pos))) this.pos++;
    return this.input.slice(start, this.pos);
  }
  /** A quoted label value starting after the opening quote; handles `\\`, `\"` and `\n`. */
  labelValue(): string {
    const start = this.pos;
    const text = this.input;
    // Fast path: no escapes.
    let i = start;
    while (i < this.end) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) { this.pos = i + 1; return text.slice(start, i); }
      if (c === BACKSLASH) break;
      i++;
    }
    let out = text.slice(start, i);
    while (i < this.end) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) { this.pos = i + 1; return out; }
      if (c === BACKSLASH) {
        const next = i + 1 < this.end ? text[i + 1] : undefined;
        if (next === '\\' || next === '"') out += next;
        else if (next === 'n') out += '\n';
        else this.fail(`invalid escape sequence '\\${next ?? '\\n'}'`);
        i += 2;
        continue;
      }
      out += text[i];
      i++;
    }
    this.pos = this.end;
    return this.fail(`label value "${out}" contains unescaped new-line`);
  }
}

/** The text of 1-based line `n` of `input` (error paths only). */
function lineOf(input: string, n: number): string {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const nl = input.indexOf('\n', start);
    if (nl < 0) return '';
    start = nl + 1;
  }
  const nl = input.indexOf('\n', start);
  return input.slice(start, nl < 0 ? input.length : nl);
}

/** Offset of the last non-blank line when it is exactly `# EOF` (trailing blanks allowed), else -1. */
function eofLineStart(input: string): number {
  let i = input.length - 1;
  while (i >= 0) {
    const c = input.charCodeAt(i);
    if (c !== SPACE && c !== TAB && c !== 0x0a) break;
    i--;
  }
  if (i < 0) return -1;
  const start = input.lastIndexOf('\n', i) + 1;
  return i - start + 1 === 5 && input.startsWith('# EOF', start) ? start : -1;
}

/**
 * Parses an exposition. Returns families and samples; throws `ExpositionError` at the first
 * problem, with its 1-based line number (the line promtool would name, for the rules it shares).
 *
 * Format rules: lines end in `\n` and so must the last one (a trailing line of only blanks is
 * fine; OpenMetrics may omit the newline after `# EOF`); `#` lines are comments unless the first
 * token is HELP or TYPE (and UNIT in OpenMetrics); HELP unescapes `\\` and `\n` only; TYPE must
 * precede the family's first sample and appear once; sample = name, optional `{labels}`, a Go
 * float, an optional int64 millisecond timestamp (OpenMetrics: float seconds and an exemplar).
 */
export function parseExposition(input: string, options: ParseOptions = {}): Exposition {
  let format: ExpositionFormat = options.format === 'openmetrics' ? 'openmetrics' : 'text';
  const eofStart = eofLineStart(input);
  if (eofStart >= 0 && options.format !== 'text') format = 'openmetrics';
  const om = format === 'openmetrics';
  if (om && eofStart < 0) {
    let lineCount = 1;
    for (let i = input.indexOf('\n'); i >= 0 && i < input.length - 1; i = input.indexOf('\n', i + 1)) lineCount++;
    throw new ExpositionError('syntax', lineCount, 'OpenMetrics exposition does not end with "# EOF"', lineOf(input, lineCount));
  }
  // OpenMetrics mode is a superset of text mode, so a 0.0.4 body that merely ends in `# EOF` still parses.
  const typeOf = (token: string): MetricType | undefined =>
    (om ? OPENMETRICS_TYPES[token] : undefined) ?? TEXT_TYPES[token.toUpperCase()];
  const suffixes = om ? OPENMETRICS_SUFFIXES : TEXT_SUFFIXES;

  const families = new Map<string, FamilyState>();
  /** Sample names resolved to another family (`x_bucket` → `x`); stable once the base is typed. */
  const aliases = new Map<string, FamilyState>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  /** Label names and values of the sample being parsed, reused from line to line. */
  const pairs: string[] = [];
  let current: FamilyState | undefined;

  /** `expfmt`'s setOrCreateCurrentMF: exact name, else the summary/histogram (etc.) it is a suffix of. */
  const resolve = (name: string, s: LineScanner): FamilyState => {
    let family = families.get(name) ?? aliases.get(name);
    if (!family) {
      for (const [type, list] of Object.entries(suffixes) as [MetricType, readonly string[]][]) {
        const suffix = list.find((s) => name.endsWith(s));
        if (!suffix) continue;
        const base = families.get(name.slice(0, -suffix.length));
        if (base && base.type === type && base.typeSet) { family = base; aliases.set(name, base); break; }
      }
    }
    if (!family) {
      family = { name, type: om ? 'unknown' : 'untyped', line: s.lineNo, typeSet: false, closed: false };
      families.set(name, family);
    }
    if (family !== current) {
      if (family.closed) {
        s.fail(`metric family ${family.name} reappears after other families (first seen on line ${family.line})`, 'interleaved');
      }
      if (current) current.closed = true;
      current = family;
    }
    return family;
  };

  const s = new LineScanner(input);
  for (let start = 0, lineNo = 1; ; lineNo++) {
    const nl = input.indexOf('\n', start);
    const last = nl < 0;
    s.reset(start, last ? input.length : nl, lineNo);
    start = nl + 1;
    s.skipBlanks();
    if (s.atEnd) {
      if (last) break;
      continue;
    }
    // A segment after the last `\n` is a line without its newline (OpenMetrics may end at `# EOF`).
    if (last && !(om && s.start === eofStart)) s.fail('unexpected end of input stream');
    if (s.peek() === HASH) {
      s.pos++;
      parseComment(s);
    } else {
      parseSample(s);
    }
    if (last) break;
  }
  checkHistograms();
  return {
    format,
    families: [...families.values()].map(({ typeSet: _t, closed: _c, ...f }) => f),
    samples,
  };

  function parseComment(s: LineScanner): void {
    s.skipBlanks();
    if (s.atEnd) return;
    const keyword = s.token();
    if (s.atEnd) return;
    if (keyword !== 'HELP' && keyword !== 'TYPE' && !(om && keyword === 'UNIT')) return;
    s.skipBlanks();
    if (!s.atEnd && s.peek() === LBRACE && s.peekNext() === QUOTE) s.fail('quoted metric names are not supported', 'unsupported');
    const name = s.metricName();
    if (s.atEnd) return;
    if (!isBlank(s.peek())) s.fail('invalid metric name in comment');
    const family = resolve(name, s);
    s.skipBlanks();
    if (s.atEnd) return;
    const rest = s.rest();
    if (keyword === 'HELP') {
      if (family.help !== undefined) s.fail(`second HELP line for metric name "${family.name}"`);
      family.help = unescapeHelp(s, rest);
    } else if (keyword === 'TYPE') {
      if (family.typeSet) s.fail(`second TYPE line for metric name "${family.name}", or TYPE reported after samples`);
      const type = typeOf(rest);
      if (!type) s.fail(`unknown metric type "${rest}"`);
      family.type = type;
      family.typeSet = true;
    } else {
      if (family.unit !== undefined) s.fail(`second UNIT line for metric name "${family.name}"`);
      family.unit = rest;
    }
  }

  function unescapeHelp(s: LineScanner, rest: string): string {
    if (!rest.includes('\\')) return rest;
    let out = '';
    for (let i = 0; i < rest.length; i++) {
      const c = rest[i];
      if (c !== '\\') { out += c; continue; }
      const next = rest[i + 1];
      if (next === '\\') out += '\\';
      else if (next === 'n') out += '\n';
      else if (om && next === '"') out += '"';
      else s.fail(`invalid escape sequence '\\${next ?? '\\n'}'`);
      i++;
    }
    return out;
  }

  function parseSample(s: LineScanner): void {
    if (s.peek() === LBRACE && s.peekNext() === QUOTE) s.fail('quoted metric names are not supported', 'unsupported');
    const name = s.metricName();
    if (!name) s.fail('invalid metric name');
    const family = resolve(name, s);
    family.typeSet = true; // a TYPE line after this sample is an error, as in expfmt
    s.skipBlanks();
    const labels: Labels = {};
    pairs.length = 0;
    if (!s.atEnd && s.peek() === LBRACE) {
      s.pos++;
      parseLabels(s, family, labels, pairs);
    }
    const valueToken = s.token();
    const value = parseGoFloat(valueToken);
    if (value === undefined) s.fail(`expected float as value, got "${valueToken}"`);
    let timestamp: number | undefined;
    if (!s.atEnd) {
      s.skipBlanks();
      if (om) timestamp = parseOpenMetricsTail(s);
      else {
        const tsToken = s.token();
        timestamp = parseInt64(tsToken);
        if (timestamp === undefined) s.fail(`expected integer as timestamp, got "${tsToken}"`);
        if (!s.atEnd) s.fail(`spurious string after timestamp: "${s.rest()}"`);
      }
    }
    const key = keyFromPairs(name, pairs);
    if (seen.has(key)) s.fail(`duplicate series ${formatSeries(name, labels)}`, 'duplicate');
    seen.add(key);
    const sample: Sample = { name, family: family.name, labels, value, line: s.lineNo };
    if (timestamp !== undefined) sample.timestamp = timestamp;
    samples.push(sample);
  }

  /** After `{`: label pairs up to `}` and the blanks after it. Blanks are allowed around every token. */
  function parseLabels(s: LineScanner, family: FamilyState, labels: Labels, out: string[]): void {
    for (;;) {
      s.skipBlanks();
      if (s.atEnd) s.fail(`invalid label name for metric "${family.name}"`);
      if (s.peek() === RBRACE) break;
      const label = s.labelName();
      if (!label) s.fail(`invalid label name for metric "${family.name}"`);
      if (label === '__name__') s.fail('label name "__name__" is reserved');
      s.skipBlanks();
      if (s.atEnd || s.peek() !== EQUALS) s.fail(`expected '=' after label name, found '${s.shown()}'`);
      if (Object.hasOwn(labels, label)) s.fail(`duplicate label names for metric "${family.name}"`);
      s.pos++;
      s.skipBlanks();
      if (s.atEnd || s.peek() !== QUOTE) s.fail(`expected '"' at start of label value, found '${s.shown()}'`);
      s.pos++;
      const value = s.labelValue();
      if (label === 'le' && (family.type === 'histogram' || (om && family.type === 'gaugehistogram')) && parseGoFloat(value) === undefined) {
        s.fail(`expected float as value for 'le' label, got "${value}"`);
      }
      if (label === 'quantile' && family.type === 'summary' && parseGoFloat(value) === undefined) {
        s.fail(`expected float as value for 'quantile' label, got "${value}"`);
      }
      if (label === '__proto__') Object.defineProperty(labels, label, { value, enumerable: true, writable: true, configurable: true });
      else labels[label] = value;
      out.push(label, value);
      s.skipBlanks();
      if (!s.atEnd && s.peek() === COMMA) { s.pos++; continue; }
      if (!s.atEnd && s.peek() === RBRACE) break;
      s.fail(`unexpected end of label value "${value}"`);
    }
    s.pos++;
    s.skipBlanks();
  }

  /** OpenMetrics after the value: `[timestamp] [# {exemplar labels} value [timestamp]]`. */
  function parseOpenMetricsTail(s: LineScanner): number | undefined {
    let timestamp: number | undefined;
    if (!s.atEnd && s.peek() !== HASH) {
      const tsToken = s.token();
      const seconds = parseGoFloat(tsToken);
      if (seconds === undefined || !Number.isFinite(seconds)) s.fail(`expected timestamp, got "${tsToken}"`);
      timestamp = Math.round(seconds * 1000);
      s.skipBlanks();
    }
    if (s.atEnd) return timestamp;
    if (s.peek() !== HASH) s.fail(`spurious string after timestamp: "${s.rest()}"`);
    s.pos++;
    s.skipBlanks();
    if (s.atEnd || s.peek() !== LBRACE) s.fail('expected "{" to open an exemplar');
    s.pos++;
    const exemplarFamily: FamilyState = { name: 'exemplar', type: 'unknown', line: s.lineNo, typeSet: true, closed: false };
    parseLabels(s, exemplarFamily, {}, []);
    const valueToken = s.token();
    if (parseGoFloat(valueToken) === undefined) s.fail(`expected float as exemplar value, got "${valueToken}"`);
    s.skipBlanks();
    if (!s.atEnd) {
      const tsToken = s.token();
      if (parseGoFloat(tsToken) === undefined) s.fail(`expected exemplar timestamp, got "${tsToken}"`);
      s.skipBlanks();
      if (!s.atEnd) s.fail(`spurious string after exemplar: "${s.rest()}"`);
    }
    return timestamp;
  }

  /** Histogram invariants per label set (excluding `le`): `+Inf` present, = `_count`, cumulative. */
  function checkHistograms(): void {
    interface Group { buckets: { le: number; value: number; sample: Sample }[]; count?: Sample; first: Sample }
    const groups = new Map<string, Group>();
    const pairs: string[] = [];
    for (const sample of samples) {
      const family = families.get(sample.family)!;
      if (family.type !== 'histogram') continue;
      const suffix = sample.name.slice(family.name.length);
      pairs.length = 0;
      for (const k in sample.labels) if (k !== 'le') pairs.push(k, sample.labels[k]!);
      const key = keyFromPairs(family.name, pairs);
      const le = labelValue(sample.labels, 'le');
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { buckets: [], first: sample }));
      if (suffix === '_bucket') {
        if (le === undefined) throw new ExpositionError('histogram', sample.line, `histogram bucket ${sample.name} has no "le" label`, lineOf(input, sample.line));
        group.buckets.push({ le: parseGoFloat(le)!, value: sample.value, sample });
      } else if (suffix === '_count') {
        group.count = sample;
      }
    }
    for (const group of groups.values()) {
      const series = formatSeries(group.first.family, withoutLe(group.first.labels));
      const sorted = [...group.buckets].sort((a, b) => a.le - b.le);
      const inf = sorted.find((b) => b.le === Infinity);
      if (!inf) {
        const at = group.buckets.at(-1)?.sample ?? group.first;
        throw new ExpositionError('histogram', at.line, `histogram ${series} has no le="+Inf" bucket`, lineOf(input, at.line));
      }
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i]!.value < sorted[i - 1]!.value) {
          const at = sorted[i]!.sample;
          throw new ExpositionError('histogram', at.line,
            `histogram ${series} bucket le="${at.labels.le}" (${formatValue(sorted[i]!.value)}) is below the previous bucket (${formatValue(sorted[i - 1]!.value)})`,
            lineOf(input, at.line));
        }
      }
      if (group.count && group.count.value !== inf.value && !(Number.isNaN(group.count.value) && Number.isNaN(inf.value))) {
        throw new ExpositionError('histogram', group.count.line,
          `histogram ${series} _count (${formatValue(group.count.value)}) differs from its le="+Inf" bucket (${formatValue(inf.value)})`,
          lineOf(input, group.count.line));
      }
    }
  }
}

function withoutLe(labels: Labels): Labels {
  const { le: _le, ...rest } = labels;
  return rest;
}

/** The value of label `name`, or `undefined` when the sample does not carry it (never an inherited property). */
export function labelValue(labels: Labels, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/**
 * A canonical key for a series (duplicate detection, histogram grouping): the name plus its labels
 * in name order, from a flat `[name1, value1, name2, value2, ...]` list (sorted in place).
 */
function keyFromPairs(name: string, pairs: string[]): string {
  if (pairs.length === 0) return name;
  // Insertion sort of the (few) pairs by label name, in place, without allocating.
  for (let i = 2; i < pairs.length; i += 2) {
    const k = pairs[i]!, v = pairs[i + 1]!;
    let j = i - 2;
    while (j >= 0 && pairs[j]! > k) { pairs[j + 2] = pairs[j]!; pairs[j + 3] = pairs[j + 1]!; j -= 2; }
    pairs[j + 2] = k;
    pairs[j + 3] = v;
  }
  // JSON of the string list (name last): unambiguous whatever the values contain, one flat
  // string from fast native code.
  pairs.push(name);
  const key = JSON.stringify(pairs);
  pairs.pop();
  return key;
}
