import { InputError } from './errors.ts';
import { parseFailOn } from './gate.ts';
import type { InputTable, RawInputs } from './raw-inputs.ts';
import { checkRawSizes, RawReader } from './raw-inputs.ts';
import type { Severity } from './trivy-report.ts';

/**
 * The scan stage's one resolver: action-scan's inputs, the `trunkline scan` flags and (next)
 * `trunkline.yaml` keys → one typed, validated `ScanConfig`. Names and defaults are
 * action-scan/action.yml's, checked by core/test/door/parity.test.ts. Pure: the doors pass what
 * needs the disk or the environment (default ignore files, the output directory, a DB cache hit).
 */

/** The Trivy release Trunkline installs by default (action.yml's `trivy-version` default). */
export const TRIVY_DEFAULT_VERSION = '0.74.0';

/**
 * `required`: no scan (Trivy absent) fails the stage, so nothing unscanned is published.
 * `optional`: no scan is `skipped`, and the summaries and the image say "not scanned".
 */
export const SCAN_POLICIES = ['required', 'optional'] as const;
export type ScanPolicy = (typeof SCAN_POLICIES)[number];

export const SCAN_INPUTS_TABLE: InputTable = [
  { name: 'scan-type' },
  { name: 'scan-ref' },
  { name: 'image-ref' },
  { name: 'input' },
  { name: 'report' },
  { name: 'fail-on', default: 'HIGH' },
  { name: 'ignore-unfixed', default: 'false' },
  { name: 'ignore-files', list: 'items' },
  { name: 'scanners', default: 'vuln,secret', list: 'items' },
  { name: 'skip-dirs', list: 'items' },
  { name: 'output-dir' },
  { name: 'install-trivy', default: 'true' },
  { name: 'trivy-version', default: TRIVY_DEFAULT_VERSION },
  { name: 'trivy-sha256' },
  // Read by the composite action's cache steps only (actions/cache), never by the stage.
  { name: 'cache', default: 'true', actionOnly: true },
  { name: 'cache-dir' },
  { name: 'db-repositories', list: 'items' },
  { name: 'java-db-repositories', list: 'items' },
  { name: 'skip-db-update', default: 'false' },
  { name: 'timeout', default: '10m' },
  { name: 'summary-max-findings', default: '20' },
  { name: 'scan-policy', default: 'required' },
  // A Trivy binary already on the machine (the CLI door also reads TRUNKLINE_TRIVY); it turns install-trivy off.
  { name: 'trivy', cliOnly: true },
];

/** Trivy scanners the gate understands (`config` is Trivy's old name for `misconfig`). */
export const SCANNERS: readonly string[] = ['vuln', 'secret', 'misconfig'];

/** How to get and run Trivy. Everything is optional: defaults suit a developer machine. */
export interface TrivyOptions {
  /** Binary to run (default `trivy` on PATH). Ignored when `install` is set. */
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

/** The scan stage's typed config: from `resolveScanConfig`, or built by the local pipeline. */
export interface ScanConfig {
  /** `fs` scans a directory, `image` an image reference or a saved tarball (`input`). */
  mode: 'fs' | 'image';
  /** fs: the directory (default `.`); image: the image reference. With `report`: what the report must be about. */
  target?: string;
  /** image: the image ID (`sha256:…`) the gate is about; a report naming another `ImageID` is refused. */
  imageId?: string;
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
  /** What happens when Trivy is absent (default `required`: the stage fails). */
  policy?: ScanPolicy;
  /** Rows of the job-summary findings table before "and N more" (default 20). */
  maxSummaryRows?: number;
  /** Clock for ignore-rule expiry (tests). */
  now?: Date;
}

/** What the resolver needs besides raw values: facts the doors read and pass in. */
export interface ScanExtras {
  /** Base for relative paths. */
  cwd: string;
  /** Used when `output-dir` is empty: `$RUNNER_TEMP/trunkline-scan` (action), `.trunkline/scan` (CLI). */
  defaultOutputDir: string;
  /** Used when `ignore-files` is empty: `['.trivyignore']` when `cwd` has one (Trivy's own default). */
  defaultIgnoreFiles: string[];
  /** The composite action restored today's DB (and it is complete): no DB update. */
  dbCacheHit?: boolean;
}

/**
 * Checks a config and returns it normalised (fail-on upper-cased, `config` scanner renamed,
 * default scanners and fs target filled). Throws `InputError` naming the input, e.g. `fail-on`
 * with the allowed values, `scanners`, `scan-type`, or `image-ref` when an image scan has nothing
 * to scan. The stage runs it again on configs the pipeline builds.
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
  if (cfg.policy !== undefined && !(SCAN_POLICIES as readonly string[]).includes(cfg.policy)) throw new InputError('scan-policy', `must be one of ${SCAN_POLICIES.join(', ')} (got "${String(cfg.policy)}")`);
  // fs scans default to the current directory; a given report is only checked against a target named explicitly.
  const target = cfg.target ?? (cfg.mode === 'fs' && !cfg.report ? '.' : undefined);
  return { ...cfg, failOn, scanners: [...new Set(scanners)], ...(target !== undefined ? { target } : {}) };
}

/**
 * Raw values keyed by `SCAN_INPUTS_TABLE` names → a validated `ScanConfig`, with action.yml's
 * defaults: scan-type inferred (image when image-ref or input is set), Trivy installed (pinned,
 * checksum-verified) unless install-trivy is false or a `trivy` binary is named, scan-policy
 * `required`. Throws `InputError` naming the input (docs/errors.md, `input-invalid`), e.g.
 * `Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")`.
 */
export function resolveScanConfig(raw: RawInputs, extra: ScanExtras): ScanConfig {
  checkRawSizes(raw);
  const read = new RawReader(raw, SCAN_INPUTS_TABLE);
  const failOn = parseFailOn(read.string('fail-on') ?? 'HIGH', 'fail-on');
  const imageRef = read.string('image-ref');
  const input = read.string('input');
  const report = read.string('report');
  const mode = read.oneOf('scan-type', ['fs', 'image'] as const, imageRef || input ? 'image' : 'fs');
  const target = mode === 'image' ? imageRef : (read.string('scan-ref') ?? (report ? undefined : '.'));
  const timeout = read.string('timeout');
  if (timeout && !/^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/.test(timeout)) throw new InputError('timeout', `must be a duration such as 10m or 1h30m (got "${timeout}")`);
  const trivySha = read.string('trivy-sha256')?.toLowerCase();
  if (trivySha && !/^[0-9a-f]{64}$/.test(trivySha)) throw new InputError('trivy-sha256', `must be 64 hex digits (got "${trivySha}")`);
  const version = (read.string('trivy-version') ?? TRIVY_DEFAULT_VERSION).replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new InputError('trivy-version', `must be a release version such as ${TRIVY_DEFAULT_VERSION} (got "${version}")`);
  read.boolean('cache', true); // validated here even though only the composite's cache steps read it

  const trivy: TrivyOptions = {};
  const binary = read.string('trivy');
  if (binary) trivy.binary = binary;
  else if (read.boolean('install-trivy', true)) trivy.install = { version, ...(trivySha ? { sha256: trivySha } : {}) };
  const cacheDir = read.string('cache-dir');
  if (cacheDir) trivy.cacheDir = cacheDir;
  const db = read.list('db-repositories');
  if (db.length) trivy.dbRepositories = db;
  const javaDb = read.list('java-db-repositories');
  if (javaDb.length) trivy.javaDbRepositories = javaDb;
  if (read.boolean('skip-db-update', false) || (extra.dbCacheHit && cacheDir !== undefined)) trivy.skipDbUpdate = true;
  if (timeout) trivy.timeout = timeout;

  const ignoreFiles = read.list('ignore-files');
  const cfg: ScanConfig = {
    mode,
    failOn,
    ignoreUnfixed: read.boolean('ignore-unfixed', false),
    ignoreFiles: ignoreFiles.length ? ignoreFiles : extra.defaultIgnoreFiles,
    scanners: read.list('scanners'),
    skipDirs: read.list('skip-dirs'),
    outputDir: read.string('output-dir') ?? extra.defaultOutputDir,
    cwd: extra.cwd,
    trivy,
    policy: read.oneOf('scan-policy', SCAN_POLICIES, 'required'),
    maxSummaryRows: read.integer('summary-max-findings', 20, { min: 1, max: 1000 }),
    ...(target !== undefined ? { target } : {}),
    ...(input !== undefined ? { input } : {}),
    ...(report !== undefined ? { report } : {}),
  };
  return validateScanConfig(cfg);
}
