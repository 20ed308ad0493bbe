import { parse as parseYaml } from 'yaml';
import type { FindingKind, TrivyFinding } from './trivy-report.ts';
import { FINDING_KINDS } from './trivy-report.ts';

/**
 * `.trivyignore` and `.trivyignore.yaml`, with Trivy's own semantics (aquasecurity/trivy
 * `pkg/result/ignore.go`, docs guide/configuration/filtering.md), applied by the gate to the
 * complete report instead of by Trivy to its output. Pure: text in, rules out.
 *
 * - `.trivyignore`: one id per line; blank lines and lines starting with `#` are skipped; an optional
 *   `exp:YYYY-MM-DD` field makes the entry expire; an id applies to every kind of finding.
 *   A line whose date does not parse is skipped with a warning (as Trivy does), so it ignores nothing.
 * - `.trivyignore.yaml` / `.yml`: lists `vulnerabilities`, `misconfigurations`, `secrets`
 *   (`licenses` is read and unused: the gate does not look at licenses); each entry has `id`
 *   and optional `paths` (doublestar globs), `purls` (vulnerabilities only), `expired_at`, `statement`.
 *
 * Expiry: an entry is in force while `now` is not after `expired_at` (midnight UTC of that date),
 * exactly Trivy's `ExpiredAt.Before(now)` test.
 */

/** A parsed package URL (https://github.com/package-url/purl-spec), enough to compare two of them. */
export interface Purl {
  type: string;
  namespace: string;
  name: string;
  version: string;
  qualifiers: Record<string, string>;
}

export interface IgnoreRule {
  id: string;
  /** Which kinds of finding the rule covers. A `.trivyignore` line covers all of them. */
  kinds: readonly FindingKind[];
  /** Doublestar globs; empty = any path. */
  paths: string[];
  /** Package URLs; empty = any package. Vulnerabilities only. */
  purls: Purl[];
  /** The instant after which the rule no longer applies; undefined = never expires. */
  expiresAt?: Date;
  statement?: string;
  /** `file:line` (or `file: vulnerabilities[2]`) for messages. */
  source: string;
}

export interface IgnoreFile {
  rules: IgnoreRule[];
  /** Entries that were skipped, in words (e.g. a date that does not parse). */
  warnings: string[];
}

/** An ignore file that cannot be used at all (bad YAML, an entry without id, a bad glob or purl). */
export class IgnoreFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IgnoreFileError';
  }
}

/** Parses `YYYY-MM-DD` (or a full RFC 3339 timestamp) to a Date; undefined when it does not parse. */
function parseDate(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    // Date.UTC rolls 2024-02-31 over to March: refuse instead of guessing.
    return d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]) ? d : undefined;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const d = new Date(text);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/** Parses the plain `.trivyignore` format. Never throws: bad lines become warnings. */
export function parseTrivyIgnore(text: string, source = '.trivyignore'): IgnoreFile {
  const rules: IgnoreRule[] = [];
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const where = `${source}:${i + 1}`;
    const exp = fields.slice(1).find((f) => f.startsWith('exp:'));
    let expiresAt: Date | undefined;
    if (exp !== undefined) {
      expiresAt = parseDate(exp.slice(4));
      if (!expiresAt) {
        warnings.push(`${where}: "${exp}" is not a date of the form exp:YYYY-MM-DD; the line is skipped (as Trivy does)`);
        return;
      }
    }
    rules.push({ id: fields[0]!, kinds: FINDING_KINDS, paths: [], purls: [], ...(expiresAt ? { expiresAt } : {}), source: where });
  });
  return { rules, warnings };
}

/**
 * Parses a package URL `pkg:type/namespace/name@version?qualifiers#subpath` (percent-decoded parts;
 * type lower-cased). Throws `IgnoreFileError` when it is not a purl.
 */
export function parsePurl(text: string): Purl {
  const m = /^pkg:([A-Za-z][A-Za-z0-9.+-]*)\/(.+)$/.exec(text.trim());
  if (!m) throw new IgnoreFileError(`"${text}" is not a package URL (pkg:type/namespace/name@version)`);
  let rest = m[2]!.replace(/#.*$/, '');
  const qualifiers: Record<string, string> = {};
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const key = decodeURIComponent(eq >= 0 ? pair.slice(0, eq) : pair).toLowerCase();
      qualifiers[key] = decodeURIComponent(eq >= 0 ? pair.slice(eq + 1) : '');
    }
    rest = rest.slice(0, q);
  }
  let version = '';
  const lastSlash = rest.lastIndexOf('/');
  const at = rest.lastIndexOf('@');
  if (at > lastSlash) {
    version = decodeURIComponent(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const segments = rest.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  const name = segments.pop();
  if (!name) throw new IgnoreFileError(`"${text}" has no package name`);
  return { type: m[1]!.toLowerCase(), namespace: segments.join('/'), name, version, qualifiers };
}

/**
 * True when `rule` (from an ignore file) covers `target` (from a finding): same type, namespace and
 * name; same version when the rule names one; every qualifier the rule names present with the same
 * value. Mirrors Trivy's `purl.PackageURL.Match`.
 */
export function purlMatches(rule: Purl, target: Purl): boolean {
  if (rule.type !== target.type || rule.namespace !== target.namespace || rule.name !== target.name) return false;
  if (rule.version && rule.version !== target.version) return false;
  return Object.entries(rule.qualifiers).every(([k, v]) => target.qualifiers[k] === v);
}

/**
 * Converts a doublestar glob (bmatcuk/doublestar, used by Trivy for `paths`) to a RegExp:
 * `**` as a whole segment matches any number of directories, `*` and `?` stay within one segment,
 * `[...]`/`[!...]` classes, `{a,b}` alternatives and `\` escapes. Dot files are not special.
 * Throws `IgnoreFileError` on an unclosed `[` or `{`.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\') {
      const next = glob[++i];
      if (next === undefined) throw new IgnoreFileError(`glob "${glob}" ends with a lone backslash`);
      re += next.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (c === '*') {
      if (glob[i + 1] === '*') {
        const segStart = i === 0 || glob[i - 1] === '/';
        const segEnd = i + 2 === glob.length || glob[i + 2] === '/';
        i++;
        if (segStart && segEnd) {
          if (glob[i + 1] === '/') {
            i++;
            re += '(?:[^/]*/)*'; // "**/" : zero or more whole directories
          } else {
            re += '.*'; // trailing "**": everything below
          }
          continue;
        }
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new IgnoreFileError(`glob "${glob}" has an unclosed [`);
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!') || body.startsWith('^')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) {
      re += '|';
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  if (depth !== 0) throw new IgnoreFileError(`glob "${glob}" has an unclosed {`);
  return new RegExp(`^${re}$`);
}

const YAML_SECTIONS: ReadonlyArray<[string, FindingKind | undefined]> = [
  ['vulnerabilities', 'vulnerability'],
  ['misconfigurations', 'misconfiguration'],
  ['secrets', 'secret'],
  ['licenses', undefined],
];

/**
 * Parses `.trivyignore.yaml`. Throws `IgnoreFileError` (naming the file and entry) on YAML errors,
 * an entry without `id`, a `paths` glob or `purls` entry that does not parse, or an `expired_at`
 * that is not a date: Trivy refuses such a file too, and a gate must not guess what was meant.
 */
export function parseTrivyIgnoreYaml(text: string, source = '.trivyignore.yaml'): IgnoreFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new IgnoreFileError(`${source}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (doc === null || doc === undefined) return { rules: [], warnings: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new IgnoreFileError(`${source}: expected a mapping with vulnerabilities / misconfigurations / secrets lists`);
  const rules: IgnoreRule[] = [];
  const warnings: string[] = [];
  for (const [section, kind] of YAML_SECTIONS) {
    const list = (doc as Record<string, unknown>)[section];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new IgnoreFileError(`${source}: "${section}" must be a list`);
    list.forEach((entry: unknown, i) => {
      const where = `${source}: ${section}[${i}]`;
      if (typeof entry !== 'object' || entry === null) throw new IgnoreFileError(`${where} must be a mapping with an id`);
      const e = entry as Record<string, unknown>;
      if (typeof e.id !== 'string' || e.id.trim() === '') throw new IgnoreFileError(`${where} has no id`);
      if (!kind) {
        warnings.push(`${where} (${e.id}): license ignores are not used, the gate does not look at licenses`);
        return;
      }
      const paths = e.paths === undefined || e.paths === null ? [] : e.paths;
      if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) throw new IgnoreFileError(`${where}.paths must be a list of globs`);
      for (const p of paths) globToRegExp(p);
      const purlTexts = e.purls === undefined || e.purls === null ? [] : e.purls;
      if (!Array.isArray(purlTexts) || !purlTexts.every((p) => typeof p === 'string')) throw new IgnoreFileError(`${where}.purls must be a list of package URLs`);
      let expiresAt: Date | undefined;
      if (e.expired_at !== undefined && e.expired_at !== null) {
        expiresAt = e.expired_at instanceof Date ? e.expired_at : parseDate(String(e.expired_at));
        if (!expiresAt) throw new IgnoreFileError(`${where}.expired_at "${String(e.expired_at)}" is not a date (YYYY-MM-DD)`);
      }
      rules.push({
        id: e.id.trim(),
        kinds: [kind],
        paths: paths as string[],
        purls: (purlTexts as string[]).map(parsePurl),
        ...(expiresAt ? { expiresAt } : {}),
        ...(typeof e.statement === 'string' && e.statement ? { statement: e.statement } : {}),
        source: where,
      });
    });
  }
  return { rules, warnings };
}

/** Parses an ignore file by its name: `.yml`/`.yaml` → YAML format, anything else → plain format. */
export function parseIgnoreFile(text: string, fileName: string): IgnoreFile {
  return /\.ya?ml$/i.test(fileName) ? parseTrivyIgnoreYaml(text, fileName) : parseTrivyIgnore(text, fileName);
}

/** True when the rule is no longer in force at `now` (Trivy: `ExpiredAt.Before(now)`). */
export function isExpired(rule: IgnoreRule, now: Date): boolean {
  return rule.expiresAt !== undefined && rule.expiresAt.getTime() < now.getTime();
}

// Rules are few and findings many (a large report has ~10^5): compile each glob once.
const compiledGlobs = new Map<string, RegExp>();
function compiledGlob(glob: string): RegExp {
  let re = compiledGlobs.get(glob);
  if (!re) compiledGlobs.set(glob, (re = globToRegExp(glob)));
  return re;
}

function pathMatches(rule: IgnoreRule, candidates: readonly string[]): boolean {
  if (rule.paths.length === 0) return true;
  return rule.paths.some((p) => {
    const re = compiledGlob(p);
    return candidates.some((c) => c !== '' && re.test(c));
  });
}

function findingPurl(f: TrivyFinding): Purl | undefined {
  if (!f.purl) return undefined;
  try {
    return parsePurl(f.purl);
  } catch {
    return undefined;
  }
}

/**
 * The first rule in force at `now` that covers `finding`, or undefined. A rule covers a finding when
 * the kind is one of its kinds, the id equals the finding's id (or a misconfiguration's AVDID), one of
 * its `paths` matches the finding's target (or, for a vulnerability, its package path), and, for a
 * vulnerability with a purl, one of its `purls` matches. Expired rules never match.
 */
export function findIgnoreRule(rules: readonly IgnoreRule[], finding: TrivyFinding, now: Date): IgnoreRule | undefined {
  const ids = finding.altId ? [finding.id, finding.altId] : [finding.id];
  const paths = finding.kind === 'vulnerability' ? [finding.target, finding.pkgPath ?? ''] : [finding.target];
  for (const rule of rules) {
    if (!rule.kinds.includes(finding.kind) || !ids.includes(rule.id) || isExpired(rule, now)) continue;
    if (!pathMatches(rule, paths)) continue;
    if (rule.purls.length > 0) {
      const target = findingPurl(finding);
      // Trivy: a finding without a purl is not excluded by the purls list (matchPURL returns true).
      if (target && !rule.purls.some((p) => purlMatches(p, target))) continue;
    }
    return rule;
  }
  return undefined;
}
