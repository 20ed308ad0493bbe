/**
 * A small reader for the Prometheus text format 0.0.4 as tests need it: samples by series key,
 * with the checks promtool does not make (duplicate series, histogram `+Inf` bucket == `_count`).
 * It rejects what it cannot read rather than skipping it.
 */

export interface Scrape {
  /** `name{a="1",b="2"}` (labels sorted) → value. */
  samples: Map<string, number>;
  /** Family name → TYPE. */
  types: Map<string, string>;
  /** Family names that have a HELP line. */
  helped: Set<string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;

/** Canonical key for a series: name plus labels sorted by name. */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

/** Parses an exposition; throws on a malformed line, a duplicate series or a broken histogram. */
export function parseExposition(text: string): Scrape {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const helped = new Set<string>();
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (meta?.[1] === 'TYPE') types.set(meta[2]!, meta[3] ?? '');
      if (meta?.[1] === 'HELP') helped.add(meta[2]!);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`line ${index + 1} is not a sample: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const at = LABEL.lastIndex;
      const label = LABEL.exec(body);
      if (!label || LABEL.lastIndex === at) throw new Error(`line ${index + 1}: bad labels: ${body}`);
      labels[label[1]!] = label[2]!;
    }
    const key = seriesKey(match[1]!, labels);
    if (samples.has(key)) throw new Error(`duplicate series ${key}`);
    samples.set(key, goFloat(match[3]!, index + 1));
  }
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    for (const [key, value] of samples) {
      if (!key.startsWith(`${name}_count`)) continue;
      const labels = key.slice(`${name}_count`.length);
      const inf = seriesKey(`${name}_bucket`, { ...labelsOf(labels), le: '+Inf' });
      if (samples.get(inf) !== value) throw new Error(`${inf} (${samples.get(inf)}) != ${key} (${value})`);
    }
  }
  return { samples, types, helped };
}

/** Go `strconv.ParseFloat` spellings: NaN and Inf in any case (prom-client writes `Nan`). */
function goFloat(token: string, line: number): number {
  const lower = token.toLowerCase();
  if (lower === 'nan') return NaN;
  if (/^[+]?inf(inity)?$/.test(lower)) return Infinity;
  if (/^-inf(inity)?$/.test(lower)) return -Infinity;
  const n = Number(token);
  if (token.trim() === '' || Number.isNaN(n)) throw new Error(`line ${line}: bad value ${token}`);
  return n;
}

function labelsOf(braced: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of braced.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
  return labels;
}

/** Value of one series, or undefined when it is absent. */
export function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  return scrape.samples.get(seriesKey(name, labels));
}

/** Distinct values of `label` among samples of `name`. */
export function labelValues(scrape: Scrape, name: string, label: string): Set<string> {
  const values = new Set<string>();
  for (const key of scrape.samples.keys()) {
    if (!key.startsWith(`${name}{`)) continue;
    const v = labelsOf(key.slice(name.length))[label];
    if (v !== undefined) values.add(v);
  }
  return values;
}
