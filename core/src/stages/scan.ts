import { existsSync } from 'node:fs';
import { readFile, rename, rm, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TrivyInstallation } from '../adapters/trivy.ts';
import {
  DEFAULT_DB_REPOSITORIES, DEFAULT_JAVA_DB_REPOSITORIES, TRIVY_INSTALL_HINT, installTrivy, runTrivyScan, trivyBinary, trivyVersion,
} from '../adapters/trivy.ts';
import { InputError } from '../domain/errors.ts';
import type { GateResult, SeverityCounts } from '../domain/gate.ts';
import { gateReport, gateVerdictLine, parseFailOn, zeroCounts } from '../domain/gate.ts';
import { toSarif } from '../domain/sarif.ts';
import type { Severity, TrivyFinding, TrivyReport } from '../domain/trivy-report.ts';
import { SEVERITIES, TrivyReportError, artifactMismatch, parseTrivyReport } from '../domain/trivy-report.ts';
import type { IgnoreRule } from '../domain/trivyignore.ts';
import { IgnoreFileError, parseIgnoreFile } from '../domain/trivyignore.ts';
import type { Logger } from '../report/logger.ts';
import { markdownTable, statusIcon } from '../report/render.ts';
import type { Finding, StageBody, StageResult } from '../report/result.ts';
import { timed } from '../report/result.ts';
import { writeFileAtomic } from '../adapters/atomic-file.ts';

/** Trivy scanners the gate understands (`config` is Trivy's old name for `misconfig`). */
const SCANNERS: readonly string[] = ['vuln', 'secret', 'misconfig'];

/** How to get and run Trivy. Everything is optional: defaults suit a developer machine. */
export interface TrivyOptions {
  /** Binary to run; default `TRUNKLINE_TRIVY` or `trivy` on PATH. Ignored when `install` is set. */
  binary?: string;
  /** Install this release into the tool cache (checksum-verified) instead of looking on PATH. */
  install?: { version: string; sha256?: string; baseUrl?: string };
  /** Trivy cache directory (DB + scan cache); the action restores it with actions/cache. */
  cacheDir?: string;
  /** DB repositories in fallback order (default mirrors first, see adapters/trivy.ts). */
  dbRepositories?: string[];
  javaDbRepositories?: string[];
  /** Use the cached DB without checking for an update. */
  skipDbUpdate?: boolean;
  /** Trivy `--timeout` (Go duration, default 10m). */
  timeout?: string;
  /** Retries when the DB registry answers TOOMANYREQUESTS (default 3) and their waits in ms. */
  retries?: number;
  backoffMs?: number[];
}

/** The scan stage's typed config: built by action-scan/src/context.ts and `trunkline scan`. */
export interface ScanConfig {
  /** `fs` scans a directory, `image` an image reference or a saved tarball (`input`). */
  mode: 'fs' | 'image';
  /** fs: the directory (default `.`); image: the image reference. With `report`: what the report must be about. */
  target?: string;
  /** image: a `docker save` tarball / OCI layout scanned with `trivy image --input`. */
  input?: string;
  /** Gate this existing Trivy JSON report instead of running Trivy. */
  report?: string;
  /** Threshold: CRITICAL | HIGH | MEDIUM | LOW | UNKNOWN (default HIGH). Validated again here. */
  failOn: Severity;
  ignoreUnfixed: boolean;
  /** `.trivyignore` / `.trivyignore.yaml` files; each must exist. */
  ignoreFiles: string[];
  /** Default `['vuln', 'secret']`. */
  scanners: string[];
  skipDirs: string[];
  /** Where the report JSON (when Trivy runs) and the SARIF are written. */
  outputDir: string;
  /** Base for relative paths (default `process.cwd()`). */
  cwd?: string;
  trivy?: TrivyOptions;
  /** Rows of the job-summary findings table before "and N more" (default 20). */
  maxSummaryRows?: number;
  /** Clock for ignore-rule expiry (tests). */
  now?: Date;
}

/** The action's outputs, exactly: `passed`, `counts`, `findings`, `report`, `sarif`. */
export interface ScanOutputs {
  [key: string]: boolean | number | string | Record<string, number>;
  /** True only when a report was read and nothing tripped the gate. */
  passed: boolean;
  /** Vulnerability entries after filters by severity; `{}` when no report was read. */
  counts: SeverityCounts | Record<string, never>;
  /** Number of findings that tripped the gate. */
  findings: number;
  /** Path of the Trivy JSON report that was gated ('' when none). */
  report: string;
  /** Path of the SARIF 2.1.0 file ('' when none). */
  sarif: string;
}

const STAGE = 'scan';
const REPORT_FILE = 'trivy-report.json';
const SARIF_FILE = 'trivy-results.sarif';

const noOutputs = (report = ''): ScanOutputs => ({ passed: false, counts: {}, findings: 0, report, sarif: '' });

/** Thrown inside the stage for a fault that fails it with a message (never a crash). */
class StageFailure extends Error {}

/**
 * Checks a config before anything runs and returns it normalised (fail-on upper-cased, `config`
 * scanner renamed, defaults filled). Throws `InputError` naming the input, e.g. `fail-on` with the
 * allowed values, `scanners`, `mode`, or `target` when an image scan has nothing to scan.
 */
export function validateScanConfig(cfg: ScanConfig): ScanConfig {
  const failOn = parseFailOn(String(cfg.failOn ?? 'HIGH'), 'fail-on');
  if (cfg.mode !== 'fs' && cfg.mode !== 'image') throw new InputError('scan-type', `must be fs or image (got "${String(cfg.mode)}")`);
  const scanners = (cfg.scanners.length ? cfg.scanners : ['vuln', 'secret']).map((s) => (s.trim() === 'config' ? 'misconfig' : s.trim()));
  const unknown = scanners.filter((s) => !SCANNERS.includes(s));
  if (unknown.length) throw new InputError('scanners', `must be a list of ${SCANNERS.join(', ')} (got "${unknown.join(', ')}")`);
  if (cfg.mode === 'image' && !cfg.report && !cfg.target && !cfg.input) {
    throw new InputError('image-ref', 'is required for an image scan: give an image reference, or a tarball in input, or an existing report in report');
  }
  if (cfg.target?.startsWith('-') || cfg.input?.startsWith('-')) throw new InputError(cfg.input ? 'input' : 'scan-ref', 'must not start with "-" (it would be read as a Trivy flag)');
  for (const dir of cfg.skipDirs) if (dir.startsWith('-')) throw new InputError('skip-dirs', `must be paths (got "${dir}")`);
  // fs scans default to the current directory; a given report is only checked against a target named explicitly.
  const target = cfg.target ?? (cfg.mode === 'fs' && !cfg.report ? '.' : undefined);
  return { ...cfg, failOn, scanners: [...new Set(scanners)], ...(target !== undefined ? { target } : {}) };
}

/**
 * Trivy's default ignore file: `[".trivyignore"]` when `cwd` has one, else `[]`. The action and
 * the CLI use it when no ignore file is named, so behaviour matches a plain `trivy` run.
 */
export function defaultIgnoreFiles(cwd: string): string[] {
  return existsSync(join(cwd, '.trivyignore')) ? ['.trivyignore'] : [];
}

async function readReport(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StageFailure(`the report ${path} does not exist`);
    throw new StageFailure(`the report ${path} cannot be read (${code ?? (error as Error).message})`);
  }
}

async function loadIgnoreRules(files: readonly string[], cwd: string, log: Logger, notes: string[]): Promise<IgnoreRule[]> {
  const rules: IgnoreRule[] = [];
  for (const file of files) {
    const path = resolve(cwd, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new StageFailure(`ignore file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const parsed = parseIgnoreFile(text, file);
    for (const w of parsed.warnings) {
      log.warning(w);
      notes.push(w);
    }
    rules.push(...parsed.rules);
  }
  return rules;
}

/** Counts of kept findings by Trivy result class (os-pkgs, lang-pkgs, secret, config) and severity. */
function countsByClass(findings: readonly TrivyFinding[]): Map<string, SeverityCounts> {
  const byClass = new Map<string, SeverityCounts>();
  for (const f of findings) {
    const key = f.resultClass || f.kind;
    let row = byClass.get(key);
    if (!row) byClass.set(key, (row = zeroCounts()));
    row[f.severity]++;
  }
  return byClass;
}

function findingLink(f: TrivyFinding): string {
  const id = f.id.replace(/[[\]]/g, '');
  return f.url && /^https:\/\//.test(f.url) ? `[${id}](${f.url})` : id;
}

/**
 * The job summary: verdict, artifact, counts by class and severity, what was suppressed, and a
 * table of the findings that tripped the gate (ID with link, package, installed → fixed, target),
 * capped at `maxRows` with an "and N more" line.
 */
function scanSummaryMarkdown(report: TrivyReport, gate: GateResult, options: { ignoreUnfixed: boolean; maxRows?: number }): string {
  const maxRows = options.maxRows ?? 20;
  const parts = [`### ${statusIcon(gate.passed ? 'passed' : 'failed')} scan: Trivy gate ${gate.passed ? 'passed' : 'failed'}: ${gateVerdictLine(gate, 3)}`];
  const os = report.os ? `, ${report.os}` : '';
  parts.push(`Artifact \`${report.artifactName}\` (${report.artifactType}${os}) · Trivy ${report.trivyVersion ?? 'version unknown'} · fail-on **${gate.failOn}** · ignore-unfixed: ${options.ignoreUnfixed ? 'yes' : 'no'}`);
  const byClass = countsByClass(gate.kept);
  const rows = [...byClass.entries()].map(([cls, c]) => [cls, ...SEVERITIES.map((s) => String(c[s])), String(SEVERITIES.reduce((n, s) => n + c[s], 0))]);
  if (rows.length) parts.push(markdownTable([['Class', ...SEVERITIES, 'Total'], ...rows]));
  else parts.push('No findings in the report (after filters).');
  const ignored = gate.suppressed.filter((s) => s.reason === 'ignored');
  const unfixed = gate.suppressed.filter((s) => s.reason === 'unfixed');
  if (ignored.length || unfixed.length) {
    const sources = [...new Set(ignored.map((s) => s.rule?.source ?? ''))].filter(Boolean);
    parts.push(`Suppressed: ${ignored.length} by ignore rules${sources.length ? ` (${sources.slice(0, 5).join(', ')}${sources.length > 5 ? ', …' : ''})` : ''}, ${unfixed.length} without a fix (ignore-unfixed).`);
  }
  for (const rule of gate.expiredRules) parts.push(`⚠️ The ignore rule for ${rule.id} (${rule.source}) expired on ${rule.expiresAt?.toISOString().slice(0, 10)}; it no longer applies.`);
  if (gate.tripped.length) {
    parts.push(`#### Findings at or above ${gate.failOn}`);
    const table = gate.tripped.slice(0, maxRows).map((f) => [
      f.severity,
      findingLink(f),
      f.pkgName ?? (f.kind === 'secret' ? `secret: ${f.title ?? f.id}` : f.title ?? f.kind),
      f.kind === 'vulnerability' ? `${f.installedVersion} → ${f.fixedVersion ?? 'no fix'}` : f.startLine ? `line ${f.startLine}` : '',
      f.target,
    ]);
    parts.push(markdownTable([['Severity', 'ID', 'Package', 'Installed → Fixed', 'Target'], ...table]));
    if (gate.tripped.length > maxRows) parts.push(`…and ${gate.tripped.length - maxRows} more`);
  }
  return parts.join('\n\n');
}

function toStageFinding(f: TrivyFinding): Finding {
  const message = f.kind === 'vulnerability'
    ? `${f.pkgName} ${f.installedVersion} → ${f.fixedVersion ?? 'no fix'}${f.title ? `: ${f.title}` : ''}`
    : `${f.kind}: ${f.title ?? f.id}${f.startLine ? ` (line ${f.startLine})` : ''}`;
  return { id: f.id, message, severity: f.severity, location: f.target };
}

/** Finds or installs Trivy. Returns undefined (with the reason) when it is simply not there. */
async function locateTrivy(options: TrivyOptions, log: Logger): Promise<{ binary: string; version?: string; installation?: TrivyInstallation } | { missing: string }> {
  if (options.install) {
    // An install that fails (bad checksum, no download) is a failure, never a skip.
    const installation = await installTrivy({ ...options.install, log });
    return { binary: installation.binary, version: installation.version, installation };
  }
  const binary = options.binary ?? trivyBinary();
  const version = await trivyVersion(binary);
  if (version === undefined) return { missing: `Trivy is not installed (\`${binary} --version\` could not run)` };
  return { binary, version };
}

/** Runs Trivy once for `cfg` and leaves its complete report at `at.reportPath` (in `at.outputDir`). */
async function runTrivy(cfg: ScanConfig, binary: string, at: { cwd: string; outputDir: string; reportPath: string }, log: Logger, notes: string[]): Promise<void> {
  const trivy = cfg.trivy ?? {};
  const { cwd, outputDir, reportPath } = at;
  await mkdir(outputDir, { recursive: true });
  // Trivy writes a temp file that is renamed only after a clean exit: never a half-written report.
  const partial = `${reportPath}.${process.pid}.partial`;
  const dbRepositories = trivy.dbRepositories?.length ? trivy.dbRepositories : [...DEFAULT_DB_REPOSITORIES];
  try {
    const { attempts } = await runTrivyScan({
      binary,
      mode: cfg.mode,
      // Paths are made absolute: Trivy runs in this process's directory, not necessarily `cwd`.
      ...(cfg.target !== undefined ? { target: cfg.mode === 'fs' ? resolve(cwd, cfg.target) : cfg.target } : {}),
      ...(cfg.input !== undefined ? { input: resolve(cwd, cfg.input) } : {}),
      outputFile: partial,
      scanners: cfg.scanners,
      skipDirs: cfg.skipDirs,
      ...(trivy.cacheDir ? { cacheDir: resolve(cwd, trivy.cacheDir) } : {}),
      dbRepositories,
      javaDbRepositories: trivy.javaDbRepositories?.length ? trivy.javaDbRepositories : [...DEFAULT_JAVA_DB_REPOSITORIES],
      ...(trivy.skipDbUpdate ? { skipDbUpdate: true } : {}),
      ...(trivy.timeout ? { timeout: trivy.timeout } : {}),
      noIgnoreFile: join(outputDir, '.trunkline-no-trivyignore'),
    }, {
      log,
      ...(trivy.retries !== undefined ? { retries: trivy.retries } : {}),
      ...(trivy.backoffMs ? { backoffMs: trivy.backoffMs } : {}),
    });
    await rename(partial, reportPath);
    notes.push(`Trivy ran once (${cfg.mode} ${cfg.input ?? cfg.target}, scanners ${cfg.scanners.join(',')}${attempts > 1 ? `, ${attempts} attempts after rate limits` : ''}); DB repositories: ${trivy.skipDbUpdate ? 'cached DB, no update' : dbRepositories.join(', ')}`);
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * The scan stage: runs Trivy once (or reads `cfg.report`), gates the JSON with `gateReport`, writes
 * SARIF, and returns a StageResult whose outputs are exactly the action's outputs.
 *
 * - `passed`: a report was read and nothing tripped the gate.
 * - `failed`: invalid config (message names the input and allowed values, before any scan), an
 *   unreadable/empty/truncated/non-JSON report or unknown SchemaVersion (`TrivyReportError`), a
 *   report about another artifact than `target`/`input`, a bad ignore file, an install or Trivy
 *   failure (including a DB that could not be downloaded), or findings at or above `failOn`.
 * - `skipped`: no `report` and no Trivy to run; the notes carry the reason and an install hint.
 * `findings` of the result are the entries that tripped the gate; `summaryMarkdown` the job summary.
 */
export async function runScan(cfg: ScanConfig, log: Logger): Promise<StageResult<ScanOutputs>> {
  return timed<ScanOutputs>(STAGE, async (): Promise<StageBody<ScanOutputs>> => {
    const notes: string[] = [];
    let reportPath = '';
    const fail = (message: string, outputs = noOutputs(reportPath)): StageBody<ScanOutputs> => {
      log.error(message);
      return { status: 'failed', outputs, findings: [], notes, error: message };
    };
    let config: ScanConfig;
    try {
      config = validateScanConfig(cfg);
    } catch (error) {
      if (error instanceof InputError) return fail(error.message);
      throw error;
    }
    const cwd = config.cwd ?? process.cwd();
    const outputDir = resolve(cwd, config.outputDir);
    try {
      let text: string;
      if (config.report) {
        reportPath = resolve(cwd, config.report);
        text = await readReport(reportPath);
      } else {
        const located = await locateTrivy(config.trivy ?? {}, log);
        if ('missing' in located) {
          const reason = `${located.missing}; the scan did not run, so nothing was checked`;
          log.warning(`${reason}. To scan: ${TRIVY_INSTALL_HINT}`);
          return { status: 'skipped', outputs: noOutputs(), findings: [], notes: [reason, `To scan: ${TRIVY_INSTALL_HINT}`] };
        }
        reportPath = join(outputDir, REPORT_FILE);
        await runTrivy(config, located.binary, { cwd, outputDir, reportPath }, log, notes);
        text = await readReport(reportPath);
      }
      const report = parseTrivyReport(text, reportPath);
      const mismatch = artifactMismatch(report, {
        mode: config.mode,
        ...(config.target !== undefined ? { target: config.target } : {}),
        ...(config.input !== undefined ? { input: config.input } : {}),
        cwd,
      });
      if (mismatch) throw new StageFailure(`${reportPath}: ${mismatch}`);
      const ignoreRules = await loadIgnoreRules(config.ignoreFiles, cwd, log, notes);
      const gate = gateReport(report, { failOn: config.failOn, ignoreUnfixed: config.ignoreUnfixed, ignoreRules, ...(config.now ? { now: config.now } : {}) });

      const sarifPath = join(outputDir, SARIF_FILE);
      const rootUri = config.mode === 'fs' && !config.report ? pathToFileURL(resolve(cwd, config.target ?? '.') + '/').href : undefined;
      await writeFileAtomic(sarifPath, `${JSON.stringify(toSarif(report, gate.kept, rootUri ? { rootUri } : {}), null, 2)}\n`);

      notes.unshift(`Gated ${report.artifactType} "${report.artifactName}" (${report.findings.length} findings in ${report.resultCount} results) at fail-on ${gate.failOn}${config.ignoreUnfixed ? ' with ignore-unfixed' : ''}: ${gateVerdictLine(gate)}`);
      if (gate.suppressed.length) notes.push(`Suppressed ${gate.suppressed.length}: ${gate.suppressed.filter((s) => s.reason === 'ignored').length} by ignore rules, ${gate.suppressed.filter((s) => s.reason === 'unfixed').length} without a fix`);
      for (const rule of gate.expiredRules) notes.push(`The ignore rule for ${rule.id} (${rule.source}) has expired and no longer applies`);
      const outputs: ScanOutputs = { passed: gate.passed, counts: gate.counts, findings: gate.tripped.length, report: reportPath, sarif: sarifPath };
      const summaryMarkdown = scanSummaryMarkdown(report, gate, { ignoreUnfixed: config.ignoreUnfixed, ...(config.maxSummaryRows ? { maxRows: config.maxSummaryRows } : {}) });
      const findings = gate.tripped.map(toStageFinding);
      if (gate.passed) {
        log.info(`Trivy gate passed: ${gateVerdictLine(gate)}`);
        return { status: 'passed', outputs, findings, notes, summaryMarkdown };
      }
      const error = `Trivy gate failed: ${gateVerdictLine(gate)}`;
      log.error(error);
      return { status: 'failed', outputs, findings, notes, error, summaryMarkdown };
    } catch (error) {
      if (error instanceof StageFailure || error instanceof TrivyReportError || error instanceof IgnoreFileError || error instanceof InputError) {
        return fail(error.message);
      }
      // Install and Trivy failures (checksum mismatch, DB download, crash): fail closed, with the cause.
      return fail(`${(error as Error).name === 'Error' ? '' : `${(error as Error).name}: `}${(error as Error).message}`);
    }
  });
}
