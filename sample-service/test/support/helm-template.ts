/**
 * A small renderer for the subset of Helm's Go templates this chart uses (Helm itself cannot be
 * installed here). It follows Go text/template + Sprig semantics for what it supports — trim markers,
 * if/else if/else/with, define/include, pipelines, Go truthiness, values as float64 printed with `%v`
 * (so `1000000` renders `1e+06`, as in Helm) — and throws on anything else, so a template it cannot
 * render fails the test instead of being skipped.
 *
 * Supported functions: include, toYaml, nindent, indent, quote, default, trunc, trimSuffix, printf,
 * int, eq, ne, gt, lt, and, or, not, required.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

type Value = unknown;
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; expr: string }
  | { kind: 'if'; branches: Array<{ cond: string | undefined; body: Node[] }> }
  | { kind: 'with'; expr: string; body: Node[]; otherwise: Node[] };

interface Scope { dot: Value; root: Value }

/** Splits a template into text and actions, applying `{{-` / `-}}` whitespace trimming. */
function tokenize(source: string): Array<{ text: string } | { action: string }> {
  const out: Array<{ text: string } | { action: string }> = [];
  const pattern = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  for (const m of source.matchAll(pattern)) {
    let text = source.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    out.push({ text });
    const action = m[2]!.trim();
    if (!action.startsWith('/*')) out.push({ action });
    else if (!action.endsWith('*/')) throw new Error(`unterminated comment: ${action.slice(0, 40)}`);
    trimNext = Boolean(m[3]);
    last = m.index + m[0].length;
  }
  let tail = source.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  out.push({ text: tail });
  return out;
}

/** Parses tokens into a tree; `define` blocks go to `defines`. */
function parseTree(tokens: ReturnType<typeof tokenize>, defines: Map<string, Node[]>): Node[] {
  let i = 0;
  function block(): { nodes: Node[]; end: string } {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i++]!;
      if ('text' in t) { if (t.text) nodes.push({ kind: 'text', text: t.text }); continue; }
      const a = t.action;
      if (a === 'end' || a === 'else' || a.startsWith('else if ')) return { nodes, end: a };
      if (a.startsWith('if ')) {
        const branches: Array<{ cond: string | undefined; body: Node[] }> = [];
        let cond: string | undefined = a.slice(3);
        for (;;) {
          const inner = block();
          branches.push({ cond, body: inner.nodes });
          if (inner.end === 'end') break;
          if (inner.end === 'else') { cond = undefined; continue; }
          if (inner.end.startsWith('else if ')) { cond = inner.end.slice(8); continue; }
          throw new Error(`unterminated if: ${a}`);
        }
        nodes.push({ kind: 'if', branches });
      } else if (a.startsWith('with ')) {
        const body = block();
        let otherwise: Node[] = [];
        if (body.end === 'else') otherwise = block().nodes;
        nodes.push({ kind: 'with', expr: a.slice(5), body: body.nodes, otherwise });
      } else if (a.startsWith('define ')) {
        const name = JSON.parse(a.slice(7).trim()) as string;
        defines.set(name, block().nodes);
      } else if (/^(range|template|block)\b/.test(a) || a.startsWith('$')) {
        throw new Error(`unsupported template action: {{ ${a} }}`);
      } else {
        nodes.push({ kind: 'action', expr: a });
      }
    }
    return { nodes, end: '' };
  }
  const { nodes, end } = block();
  if (end) throw new Error(`unexpected {{ ${end} }}`);
  return nodes;
}

/**
 * Go's `%v` for a float64 (Helm reads every number in values as float64): strconv 'g' with the
 * shortest digits, which switches to exponent form when the exponent is < -4 or >= 6.
 */
function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  if (n === 0) return '0';
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

function printValue(v: Value): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  return `map[${Object.keys(v as object).sort().map((k) => `${k}:${printValue((v as Record<string, Value>)[k])}`).join(' ')}]`;
}

function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/**
 * Splits `text` at the characters `isSeparator` accepts when they stand outside quotes (`"…"` with
 * backslash escapes, `` `…` ``) and parentheses; parts are trimmed and empty ones dropped.
 */
function splitOutside(text: string, isSeparator: (c: string) => boolean): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      current += c;
      if (c === '\\' && quote === '"') { current += text[++i] ?? ''; continue; }
      if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === '`') { quote = c; current += c; continue; }
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (depth === 0 && isSeparator(c)) { parts.push(current); current = ''; continue; }
    current += c;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** The commands of a pipeline (`|` outside quotes and parentheses). */
function commands(text: string): string[] {
  return splitOutside(text, (c) => c === '|');
}

/** Splits a command into argument tokens (whitespace outside quotes/parentheses). */
function args(text: string): string[] {
  return splitOutside(text, (c) => /\s/.test(c));
}

export interface Chart {
  /** Chart.yaml as Helm exposes it (`.Chart.Name`, `.Chart.Version`, `.Chart.AppVersion`). */
  chart: Record<string, Value>;
  /** The chart's values.yaml. */
  values: Record<string, Value>;
  /** Template file name → parsed tree (helpers excluded). */
  templates: Map<string, Node[]>;
  defines: Map<string, Node[]>;
}

/** Loads a chart directory: Chart.yaml, values.yaml and templates/ (`_*.tpl` only contribute defines). */
export function loadChart(dir: string): Chart {
  const meta = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as Record<string, Value>;
  const chart: Record<string, Value> = { Name: meta.name, Version: meta.version, AppVersion: meta.appVersion };
  const values = (parse(readFileSync(join(dir, 'values.yaml'), 'utf8')) ?? {}) as Record<string, Value>;
  const defines = new Map<string, Node[]>();
  const templates = new Map<string, Node[]>();
  for (const file of readdirSync(join(dir, 'templates')).sort()) {
    const tree = parseTree(tokenize(readFileSync(join(dir, 'templates', file), 'utf8')), defines);
    if (!file.startsWith('_')) templates.set(file, tree);
  }
  return { chart, values, templates, defines };
}

/** Deep merge as Helm does for values: maps merge key by key, everything else is replaced. */
export function mergeValues(base: Value, override: Value): Value {
  if (isMap(base) && isMap(override)) {
    const out: Record<string, Value> = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in out ? mergeValues(out[k], v) : v;
    return out;
  }
  return override === undefined ? base : override;
}

function isMap(v: Value): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Renders every template with `values` merged over the chart's values.yaml.
 * @returns template file name → rendered text.
 */
export function renderChart(chart: Chart, values: Record<string, Value> = {}, release = { Name: 'sample-service', Namespace: 'sample-service' }): Map<string, string> {
  const root = { Values: mergeValues(chart.values, values), Chart: chart.chart, Release: { ...release, Service: 'Helm' } };
  const functions: Record<string, (...a: Value[]) => Value> = {
    include: (name, data) => {
      const tree = chart.defines.get(String(name));
      if (!tree) throw new Error(`include: no template "${String(name)}"`);
      return renderNodes(tree, { dot: data, root });
    },
    toYaml: (v) => (v === undefined || v === null ? 'null' : stringify(v, { sortMapEntries: true }).replace(/\n$/, '')),
    nindent: (n, s) => `\n${indentText(Number(n), String(s))}`,
    indent: (n, s) => indentText(Number(n), String(s)),
    quote: (...vs) => vs.filter((v) => v !== undefined && v !== null).map((v) => JSON.stringify(printValue(v))).join(' '),
    default: (def, given) => (truthy(given) ? given : def),
    trunc: (n, s) => String(s).slice(0, Number(n)),
    trimSuffix: (suffix, s) => (String(s).endsWith(String(suffix)) ? String(s).slice(0, -String(suffix).length) : String(s)),
    printf: (format, ...vs) => { let i = 0; return String(format).replace(/%[sdv]/g, () => printValue(vs[i++])); },
    int: (v) => Math.trunc(Number(v ?? 0)),
    eq: (a, b) => a === b, ne: (a, b) => a !== b,
    gt: (a, b) => Number(a) > Number(b), lt: (a, b) => Number(a) < Number(b),
    and: (...vs) => vs.find((v) => !truthy(v)) ?? vs[vs.length - 1],
    or: (...vs) => vs.find((v) => truthy(v)) ?? vs[vs.length - 1],
    not: (v) => !truthy(v),
    required: (message, v) => { if (!truthy(v)) throw new Error(String(message)); return v; },
  };

  function field(path: string, scope: Scope): Value {
    let current: Value = path.startsWith('$') ? scope.root : scope.dot;
    const parts = path.replace(/^\$/, '').split('.').filter(Boolean);
    for (const [i, part] of parts.entries()) {
      if (!isMap(current)) {
        throw new Error(`nil pointer evaluating ${path}: ${parts.slice(0, i).join('.') || '.'} is not a map`);
      }
      current = current[part];
    }
    return current;
  }

  function operand(token: string, scope: Scope): Value {
    if (token.startsWith('(')) return pipeline(token.slice(1, -1), scope);
    if (token.startsWith('"')) return JSON.parse(token) as string;
    if (token.startsWith('`')) return token.slice(1, -1);
    if (token === 'true' || token === 'false') return token === 'true';
    if (token === 'nil') return null;
    if (/^-?\d+(\.\d+)?$/.test(token)) return Number(token);
    if (token === '.' ) return scope.dot;
    if (token.startsWith('.') || token.startsWith('$')) return field(token, scope);
    throw new Error(`unsupported operand ${token}`);
  }

  function command(text: string, scope: Scope, piped: Value[]): Value {
    const [head, ...rest] = args(text);
    if (head === undefined) throw new Error('empty command');
    if (/^[a-zA-Z]\w*$/.test(head) && !['true', 'false', 'nil'].includes(head)) {
      const fn = functions[head];
      if (!fn) throw new Error(`unsupported function ${head}`);
      return fn(...rest.map((t) => operand(t, scope)), ...piped);
    }
    if (rest.length || piped.length) throw new Error(`cannot call non-function ${head}`);
    return operand(head, scope);
  }

  function pipeline(text: string, scope: Scope): Value {
    let result: Value;
    commands(text).forEach((cmd, i) => { result = command(cmd, scope, i === 0 ? [] : [result]); });
    return result;
  }

  function renderNodes(nodes: Node[], scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      if (node.kind === 'text') out += node.text;
      else if (node.kind === 'action') out += printValue(pipeline(node.expr, scope));
      else if (node.kind === 'if') {
        const branch = node.branches.find((b) => b.cond === undefined || truthy(pipeline(b.cond, scope)));
        if (branch) out += renderNodes(branch.body, scope);
      } else {
        const v = pipeline(node.expr, scope);
        out += truthy(v) ? renderNodes(node.body, { dot: v, root: scope.root }) : renderNodes(node.otherwise, scope);
      }
    }
    return out;
  }

  const rendered = new Map<string, string>();
  for (const [file, tree] of chart.templates) rendered.set(file, renderNodes(tree, { dot: root, root }));
  return rendered;
}

function indentText(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return s.split('\n').map((line) => pad + line).join('\n');
}
