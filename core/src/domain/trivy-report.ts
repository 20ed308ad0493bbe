/**
 * Reads a Trivy JSON report (SchemaVersion 2) into the few fields the gate needs, and refuses
 * anything it cannot trust. Pure: text in, data or a `TrivyReportError` out.
 *
 * Source of the format: aquasecurity/trivy `pkg/types/{report,vulnerability,secret}.go` and the
 * integration goldens (docs/trivy.md, "Report format"). Go's `omitempty` means that
 * "nothing found" is an ABSENT key (`Results`, `Vulnerabilities`, `Secrets`, ...), never `[]`, and
 * fields come and go between Trivy versions (`Status` since v0.44, `Fingerprint` since v0.68, ...),
 * so only these are required: `SchemaVersion`, `ArtifactName`, `ArtifactType`, and per finding its
 * id and `Severity` (plus `PkgName`/`InstalledVersion` for vulnerabilities).
 */

import { posix } from 'node:path';
import type { ImageRef } from './image-ref.ts';
import { parseImageRef } from './image-ref.ts';
import { canonicalRepositoryName } from './docker-hub.ts';

/** Trivy's five severities, most severe first (`pkg/types` / trivy-db `types.Severity`). */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The finding kinds the gate looks at. Licenses are not gated (no severity policy for them here). */
export const FINDING_KINDS = ['vulnerability', 'secret', 'misconfiguration'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** The only report layout this reader understands (Trivy ≥ v0.20.0, Oct 2021). */
const SUPPORTED_SCHEMA_VERSION = 2;

/** `Status` values that `--ignore-unfixed` drops (Trivy docs, configuration/filtering: "By Status"). */
const UNFIXED_STATUSES: readonly string[] = ['affected', 'will_not_fix', 'fix_deferred', 'end_of_life'];

/** One finding of any kind, flattened with the Result it came from. */
export interface TrivyFinding {
  kind: FindingKind;
  /** CVE/GHSA id, secret rule id, or misconfiguration id (`AVD-DS-0002` / `DS002`). */
  id: string;
  severity: Severity;
  /** `Results[].Target`: OS description, lockfile path, or file path of a secret/config. */
  target: string;
  /** `Results[].Class`: os-pkgs, lang-pkgs, secret, config, ... */
  resultClass: string;
  /** `Results[].Type`: alpine, debian, npm, dockerfile, ... (absent for secrets). */
  resultType?: string;
  title?: string;
  description?: string;
  /** Advisory link (`PrimaryURL`), when Trivy gave one. */
  url?: string;
  // Vulnerabilities only:
  pkgName?: string;
  pkgId?: string;
  pkgPath?: string;
  purl?: string;
  installedVersion?: string;
  /** May be a comma-separated list of fixed versions on several branches. Absent = no fix. */
  fixedVersion?: string;
  /** Absent in reports from Trivy < 0.44. */
  status?: string;
  /** CVSS v3 score of the severity source, when present (SARIF `security-severity`). */
  cvssScore?: number;
  // Secrets and misconfigurations:
  startLine?: number;
  endLine?: number;
  /** Second id of a misconfiguration (`AVDID`), also matched by ignore rules. */
  altId?: string;
  /** Secret `Match` (already masked by Trivy) or misconfiguration `Message`. */
  detail?: string;
  /** Position in the report, `Results[i].<Key>[j]`, for error messages and stable ordering. */
  path: string;
}

/** What the gate needs from a report. */
export interface TrivyReport {
  schemaVersion: number;
  artifactName: string;
  /** container_image, filesystem, repository, vm, ... */
  artifactType: string;
  /** `Trivy.Version` (absent before v0.69). */
  trivyVersion?: string;
  /** `Metadata.RepoTags`, `RepoDigests`, `Reference`, `ImageID`: other names of the same image. */
  imageNames: string[];
  imageId?: string;
  repoTags: string[];
  repoDigests: string[];
  /** `Metadata.OS` as "family name", when detected. */
  os?: string;
  resultCount: number;
  findings: TrivyFinding[];
}

/** Why a report was refused. Each maps to a sentence the user reads. */
export type TrivyReportProblem = 'empty' | 'truncated' | 'not-json' | 'legacy-format' | 'schema-version' | 'shape';

/** A report the gate cannot trust. The gate fails closed on it. */
export class TrivyReportError extends Error {
  readonly problem: TrivyReportProblem;
  constructor(problem: TrivyReportProblem, message: string) {
    super(message);
    this.name = 'TrivyReportError';
    this.problem = problem;
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function optString(obj: Json, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function optNumber(obj: Json, key: string): number | undefined {
  const v = obj[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function reqString(obj: Json, key: string, where: string, source: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') throw new TrivyReportError('shape', `${source}: ${where}.${key} is missing or not a string`);
  return v;
}

function severityOf(obj: Json, where: string, source: string): Severity {
  const v = obj.Severity;
  if (typeof v === 'string' && isSeverity(v)) return v;
  throw new TrivyReportError('shape', `${source}: ${where}.Severity is ${JSON.stringify(v)}; expected one of ${SEVERITIES.join(', ')}`);
}

/** An optional array key: absent/null → [], anything but an array → a shape error. */
function optArray(obj: Json, key: string, where: string, source: string): unknown[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new TrivyReportError('shape', `${source}: ${where}.${key} is not an array`);
  return v;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s !== '') : [];
}

/** Parses JSON text, telling an empty, a cut-off and a non-JSON file apart (each is a different fault). */
function parseJson(text: string, source: string): unknown {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new TrivyReportError('empty', `${source}: the report is empty (Trivy wrote nothing, or the scan did not run)`);
  try {
    return JSON.parse(trimmed);
  } catch (error) {
    const msg = (error as Error).message;
    // A document that starts like JSON and whose parse error sits at its very end is a half-written
    // report (disk full, killed run), not some other file: V8 says "Unexpected end of JSON input"
    // or reports the error "at position <length>".
    const at = /at position (\d+)/.exec(msg);
    const atEnd = /end of JSON input/i.test(msg) || (at !== null && Number(at[1]) >= trimmed.length - 1);
    if (/^[[{]/.test(trimmed) && atEnd) {
      throw new TrivyReportError('truncated', `${source}: the report is truncated (JSON ends early: ${msg})`);
    }
    throw new TrivyReportError('not-json', `${source}: the report is not JSON (${msg}); expected Trivy output from --format json`);
  }
}

function cvssScoreOf(v: Json): number | undefined {
  // Trivy's own SARIF takes the V3 score of the severity source (pkg/report/sarif.go toCVSSData).
  const cvss = v.CVSS;
  const source = optString(v, 'SeveritySource');
  if (!isObject(cvss) || !source) return undefined;
  const entry = cvss[source];
  if (!isObject(entry)) return undefined;
  const score = optNumber(entry, 'V3Score');
  return score && score > 0 ? score : undefined;
}

/** The fields a finding takes from its Result. */
type ResultFields = Pick<TrivyFinding, 'target' | 'resultClass' | 'resultType'>;

/** `fields` without its undefined values: a field absent from the report stays an absent key. */
function present<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function readVulnerability(v: unknown, base: ResultFields, where: string, source: string): TrivyFinding {
  if (!isObject(v)) throw new TrivyReportError('shape', `${source}: ${where} is not an object`);
  const ident = isObject(v.PkgIdentifier) ? v.PkgIdentifier : {};
  return {
    ...base,
    kind: 'vulnerability',
    id: reqString(v, 'VulnerabilityID', where, source),
    severity: severityOf(v, where, source),
    pkgName: reqString(v, 'PkgName', where, source),
    installedVersion: reqString(v, 'InstalledVersion', where, source),
    path: where,
    ...present({
      pkgId: optString(v, 'PkgID'),
      pkgPath: optString(v, 'PkgPath'),
      purl: optString(ident, 'PURL'),
      fixedVersion: optString(v, 'FixedVersion'),
      status: optString(v, 'Status'),
      title: optString(v, 'Title'),
      description: optString(v, 'Description'),
      url: optString(v, 'PrimaryURL'),
      cvssScore: cvssScoreOf(v),
    }),
  };
}

function readSecret(s: unknown, base: ResultFields, where: string, source: string): TrivyFinding {
  if (!isObject(s)) throw new TrivyReportError('shape', `${source}: ${where} is not an object`);
  return {
    ...base,
    kind: 'secret',
    id: reqString(s, 'RuleID', where, source),
    severity: severityOf(s, where, source),
    path: where,
    ...present({
      title: optString(s, 'Title'),
      detail: optString(s, 'Match'),
      startLine: optNumber(s, 'StartLine'),
      endLine: optNumber(s, 'EndLine'),
    }),
  };
}

/** Returns undefined for a misconfiguration that did not FAIL (PASS / EXCEPTION are not findings). */
function readMisconfiguration(m: unknown, base: ResultFields, where: string, source: string): TrivyFinding | undefined {
  if (!isObject(m)) throw new TrivyReportError('shape', `${source}: ${where} is not an object`);
  // Trivy: only Status FAIL counts (Results.Failed() in pkg/types/report.go). A missing Status is
  // treated as FAIL: when unsure, report rather than hide.
  const status = optString(m, 'Status');
  if (status !== undefined && status !== 'FAIL') return undefined;
  const id = optString(m, 'ID') ?? reqString(m, 'AVDID', where, source);
  const cause = isObject(m.CauseMetadata) ? m.CauseMetadata : {};
  return {
    ...base,
    kind: 'misconfiguration',
    id,
    severity: severityOf(m, where, source),
    path: where,
    ...present({
      altId: optString(m, 'AVDID'),
      title: optString(m, 'Title'),
      description: optString(m, 'Description'),
      detail: optString(m, 'Message'),
      url: optString(m, 'PrimaryURL'),
      startLine: optNumber(cause, 'StartLine'),
      endLine: optNumber(cause, 'EndLine'),
    }),
  };
}

/**
 * Parses a Trivy JSON report. `source` names the file in error messages.
 *
 * Throws `TrivyReportError` (fail closed) when the text is empty, truncated or not JSON, when it is
 * a pre-v0.20 bare-array report, when `SchemaVersion` is not 2, or when a required field is missing
 * or of the wrong type (the message gives the JSON path, e.g. `Results[0].Vulnerabilities[3].Severity`).
 * Unknown keys are ignored; optional keys may be absent.
 */
export function parseTrivyReport(text: string, source = 'report'): TrivyReport {
  return readTrivyReport(parseJson(text, source), source);
}

/** The second half of `parseTrivyReport`: from the parsed document to the report. */
function readTrivyReport(doc: unknown, source: string): TrivyReport {
  if (Array.isArray(doc)) {
    throw new TrivyReportError('legacy-format', `${source}: the report is a bare JSON array, the format of Trivy before v0.20.0; re-run a current Trivy with --format json`);
  }
  if (!isObject(doc)) throw new TrivyReportError('not-json', `${source}: the report is JSON but not an object; expected Trivy output from --format json`);
  if (doc.SchemaVersion !== SUPPORTED_SCHEMA_VERSION) {
    const got = doc.SchemaVersion === undefined ? 'missing' : JSON.stringify(doc.SchemaVersion);
    throw new TrivyReportError('schema-version', `${source}: unknown SchemaVersion ${got}; this gate understands SchemaVersion ${SUPPORTED_SCHEMA_VERSION} (Trivy ≥ 0.20)`);
  }
  const artifactName = reqString(doc, 'ArtifactName', '$', source);
  const artifactType = reqString(doc, 'ArtifactType', '$', source);
  const metadata = isObject(doc.Metadata) ? doc.Metadata : {};
  const os = isObject(metadata.OS) ? metadata.OS : {};
  const repoTags = stringList(metadata.RepoTags);
  const repoDigests = stringList(metadata.RepoDigests);
  const reference = optString(metadata, 'Reference');
  const results = optArray(doc, 'Results', '$', source);
  const findings: TrivyFinding[] = [];
  results.forEach((r, i) => {
    const where = `Results[${i}]`;
    if (!isObject(r)) throw new TrivyReportError('shape', `${source}: ${where} is not an object`);
    const base: ResultFields = {
      target: typeof r.Target === 'string' ? r.Target : '',
      resultClass: typeof r.Class === 'string' ? r.Class : '',
      ...present({ resultType: optString(r, 'Type') }),
    };
    optArray(r, 'Vulnerabilities', where, source).forEach((v, j) => findings.push(readVulnerability(v, base, `${where}.Vulnerabilities[${j}]`, source)));
    optArray(r, 'Secrets', where, source).forEach((s, j) => findings.push(readSecret(s, base, `${where}.Secrets[${j}]`, source)));
    optArray(r, 'Misconfigurations', where, source).forEach((m, j) => {
      const f = readMisconfiguration(m, base, `${where}.Misconfigurations[${j}]`, source);
      if (f) findings.push(f);
    });
  });
  const trivy = isObject(doc.Trivy) ? doc.Trivy : {};
  const family = optString(os, 'Family');
  return {
    schemaVersion: SUPPORTED_SCHEMA_VERSION,
    artifactName,
    artifactType,
    imageNames: [...new Set([...(reference ? [reference] : []), ...repoTags, ...repoDigests])],
    repoTags,
    repoDigests,
    resultCount: results.length,
    findings,
    ...present({
      trivyVersion: optString(trivy, 'Version'),
      imageId: optString(metadata, 'ImageID'),
      os: family && family !== 'none' ? `${family} ${optString(os, 'Name') ?? ''}`.trim() : undefined,
    }),
  };
}

/** Rank of a severity: CRITICAL 4 … UNKNOWN 0 (trivy-db's integer scale, also used in VendorSeverity). */
function severityRank(s: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(s);
}

/** True when `s` is the same as or more severe than `threshold`. */
export function atOrAbove(s: Severity, threshold: Severity): boolean {
  return severityRank(s) >= severityRank(threshold);
}

/** True when `value` is one of the five severity words (upper case, as Trivy writes them). */
export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/**
 * True for a vulnerability `--ignore-unfixed` would drop: its `Status` is affected, will_not_fix,
 * fix_deferred or end_of_life; or, in reports older than Trivy 0.44 that have no `Status`, it has
 * no `FixedVersion`. Secrets and misconfigurations have no fix notion and are never "unfixed".
 */
export function isUnfixed(f: TrivyFinding): boolean {
  if (f.kind !== 'vulnerability') return false;
  if (f.status !== undefined) return UNFIXED_STATUSES.includes(f.status);
  return f.fixedVersion === undefined;
}

/** What the caller asked to scan: the gate refuses a report about something else. */
export interface ExpectedArtifact {
  mode: 'fs' | 'image';
  /** fs: the scanned path; image: the image reference. */
  target?: string;
  /** image: the `docker save` tarball given to `trivy image --input`. */
  input?: string;
  /** image: the image ID (`sha256:…`, config digest) of the image being gated, when known. */
  imageId?: string;
  /** Directory relative paths are resolved against (default: compare them as written). */
  cwd?: string;
}

const FS_ARTIFACT_TYPES: readonly string[] = ['filesystem', 'repository'];

/** `[registry/]repository:tag` or `@digest` with Docker's defaults filled in (`canonicalRepositoryName`, then :latest). */
function canonicalImage(text: string): { name: string; tag?: string; digest?: string } | undefined {
  let ref: ImageRef;
  try {
    ref = parseImageRef(text, 'target');
  } catch {
    return undefined;
  }
  const name = canonicalRepositoryName(ref.registry ? `${ref.registry}/${ref.repository}` : ref.repository);
  return { name, ...(ref.digest ? { digest: ref.digest } : { tag: ref.tag ?? 'latest' }) };
}

function sameImage(expected: string, candidates: readonly string[]): boolean {
  if (candidates.includes(expected)) return true;
  const want = canonicalImage(expected);
  if (!want) return false;
  return candidates.some((c) => {
    const have = canonicalImage(c);
    if (!have || have.name !== want.name) return false;
    return want.digest ? have.digest === want.digest : have.tag === want.tag;
  });
}

function normalPath(p: string, cwd?: string): string {
  const slashed = p.replace(/\\/g, '/');
  const resolved = cwd ? posix.resolve(cwd.replace(/\\/g, '/'), slashed) : posix.normalize(slashed);
  return resolved.length > 1 ? resolved.replace(/\/+$/, '') : resolved;
}

/**
 * Returns why `report` is not about `expected`, or undefined when it is (or when nothing was
 * asked, i.e. neither `target` nor `input` is set). Rules:
 * - image mode: `ArtifactType` must be `container_image`; a tarball (`input`) must be the same path
 *   as `ArtifactName`; a reference must equal `ArtifactName`, `Metadata.Reference`, a `RepoTags` or
 *   a `RepoDigests` entry, after Docker's defaults (docker.io, library/, :latest) are filled in.
 *   With `imageId`, a report whose `Metadata.ImageID` differs is refused even when a name matches
 *   (a stale report of an earlier build under the same tag), and one whose `ImageID` is equal is
 *   accepted under any name (the same image scanned under another tag).
 * - fs mode: `ArtifactType` must be `filesystem` or `repository` (`trivy fs` / `trivy repo`) and
 *   `ArtifactName` the same path (normalised; resolved against `cwd` when given).
 */
export function artifactMismatch(report: TrivyReport, expected: ExpectedArtifact): string | undefined {
  const asked = expected.input ?? expected.target;
  if (asked === undefined || asked === '') return undefined;
  const what = `${report.artifactType} "${report.artifactName}"`;
  if (expected.mode === 'image') {
    if (report.artifactType !== 'container_image') return `the report is for ${what}, but an image scan of "${asked}" was asked`;
    if (expected.input !== undefined) {
      return normalPath(report.artifactName, expected.cwd) === normalPath(expected.input, expected.cwd)
        ? undefined : `the report is for ${what}, not for the image tarball "${expected.input}"`;
    }
    const gated = `the image "${asked}"${expected.imageId ? ` (${expected.imageId})` : ''}`;
    if (expected.imageId && report.imageId) {
      return report.imageId === expected.imageId ? undefined : `the report is for ${what} with ImageID ${report.imageId}, not for ${gated}`;
    }
    return sameImage(asked, [report.artifactName, ...report.imageNames])
      ? undefined : `the report is for ${what}${report.imageNames.length ? ` (also known as ${report.imageNames.join(', ')})` : ''}, not for ${gated}`;
  }
  if (!FS_ARTIFACT_TYPES.includes(report.artifactType)) return `the report is for ${what}, but a filesystem scan of "${asked}" was asked`;
  return normalPath(report.artifactName, expected.cwd) === normalPath(asked, expected.cwd)
    ? undefined : `the report is for ${what}, not for the path "${asked}"`;
}
