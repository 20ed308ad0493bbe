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
import { gateReport, gateVerdictLine, zeroCounts } from '../domain/gate.ts';
import type { ScanConfig, TrivyOptions } from '../domain/scan-config.ts';
import { validateScanConfig } from '../domain/scan-config.ts';
import { toSarif } from '../domain/sarif.ts';
import type { TrivyFinding, TrivyReport } from '../domain/trivy-report.ts';
import { SEVERITIES, TrivyReportError, artifactMismatch, parseTrivyReport } from '../domain/trivy-report.ts';
import type { IgnoreRule } from '../domain/trivyignore.ts';
import { IgnoreFileError, parseIgnoreFile } from '../domain/trivyignore.ts';
import type { Logger } from '../report/logger.ts';
import type { SummarySection } from '../report/render.ts';
import { markdownTable, stageMarkdown } from '../report/render.ts';
import type { Finding, StageBody, StageResult } from '../report/result.ts';
import { runStage } from '../report/result.ts';
import { writeFileAtomic } from '../adapters/atomic-file.ts';

export type { ScanConfig, ScanPolicy, TrivyOptions } from '../domain/scan-config.ts';
export { validateScanConfig } from '../domain/scan-config.ts';

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
function scanSections(report: TrivyReport, gate: GateResult, options: { ignoreUnfixed: boolean; maxRows?: number }): SummarySection[] {
  const maxRows = options.maxRows ?? 20;
  const os = report.os ? `, ${report.os}` : '';
  const parts = [`Artifact \`${report.artifactName}\` (${report.artifactType}${os}) · Trivy ${report.trivyVersion ?? 'version unknown'} · fail-on **${gate.failOn}** · ignore-unfixed: ${options.ignoreUnfixed ? 'yes' : 'no'}`];
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
  return [{ body: parts.join('\n\n') }];
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
    // Trivy has exited 0 without writing its report (a crash it did not report, a full disk).
    if (!existsSync(partial)) throw new StageFailure(`Trivy wrote no report: it exited 0 but ${partial} does not exist; the scan is not trusted, so nothing was checked`);
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
 *   failure (including a DB that could not be downloaded, and Trivy exiting 0 without writing its
 *   report: "Trivy wrote no report"), findings at or above `failOn`, or — with `policy` `required`,
 *   the default — no `report` and no Trivy to run.
 * - `skipped`: no `report`, no Trivy, and `policy` `optional`; the notes say "not scanned", the
 *   reason and an install hint.
 * Never throws (`runStage`); the job summary is `stageMarkdown` with the gate's section.
 * `findings` of the result are the entries that tripped the gate; `summaryMarkdown` the job summary.
 */
export async function runScan(cfg: ScanConfig, log: Logger): Promise<StageResult<ScanOutputs>> {
  let reportPath = '';
  let sections: SummarySection[] = [];
  const result = await runStage<ScanOutputs>(STAGE, async (): Promise<StageBody<ScanOutputs>> => {
    const notes: string[] = [];
    const fail = (message: string, outputs = noOutputs(reportPath)): StageBody<ScanOutputs> => ({ status: 'failed', outputs, findings: [], notes, error: message });
    const config = validateScanConfig(cfg);
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
          if ((config.policy ?? 'required') === 'required') {
            return fail(`${reason}. scan-policy is required, so an unscanned image is never published: ${TRIVY_INSTALL_HINT}, or set scan-policy: optional to publish it marked "not scanned"`);
          }
          log.warning(`not scanned: ${reason}. To scan: ${TRIVY_INSTALL_HINT}`);
          return { status: 'skipped', outputs: noOutputs(), findings: [], notes: [`not scanned (scan-policy optional): ${reason}`, `To scan: ${TRIVY_INSTALL_HINT}`] };
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
        ...(config.imageId !== undefined ? { imageId: config.imageId } : {}),
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
      sections = scanSections(report, gate, { ignoreUnfixed: config.ignoreUnfixed, ...(config.maxSummaryRows ? { maxRows: config.maxSummaryRows } : {}) });
      const findings = gate.tripped.map(toStageFinding);
      if (gate.passed) {
        log.info(`Trivy gate passed: ${gateVerdictLine(gate)}`);
        return { status: 'passed', outputs, findings, notes };
      }
      return { ...fail(`Trivy gate failed: ${gateVerdictLine(gate)}`, outputs), findings };
    } catch (error) {
      if (error instanceof StageFailure || error instanceof TrivyReportError || error instanceof IgnoreFileError || error instanceof InputError) {
        return fail(error.message);
      }
      // Install and Trivy failures (checksum mismatch, DB download, crash): fail closed, with the cause.
      return fail(`${(error as Error).name === 'Error' ? '' : `${(error as Error).name}: `}${(error as Error).message}`);
    }
  }, { failedOutputs: () => noOutputs(reportPath) });
  if (result.error) log.error(result.error);
  return { ...result, summaryMarkdown: stageMarkdown(result, sections) };
}
