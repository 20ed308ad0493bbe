import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { TRIVY_DEFAULT_VERSION } from '../../adapters/trivy.ts';
import { InputError } from '../../domain/errors.ts';
import { parseFailOn } from '../../domain/gate.ts';
import type { ScanConfig, TrivyOptions } from '../../stages/scan.ts';
import { defaultIgnoreFiles, runScan, validateScanConfig } from '../../stages/scan.ts';

const flags = {
  mode: { type: 'string' },
  target: { type: 'string' },
  input: { type: 'string' },
  report: { type: 'string' },
  'fail-on': { type: 'string' },
  'ignore-unfixed': { type: 'boolean' },
  'ignore-file': { type: 'string', multiple: true },
  scanners: { type: 'string' },
  'skip-dirs': { type: 'string', multiple: true },
  'output-dir': { type: 'string' },
  trivy: { type: 'string' },
  'install-trivy': { type: 'boolean' },
  'trivy-version': { type: 'string' },
  'trivy-sha256': { type: 'string' },
  'cache-dir': { type: 'string' },
  'db-repository': { type: 'string', multiple: true },
  'java-db-repository': { type: 'string', multiple: true },
  'skip-db-update': { type: 'boolean' },
  timeout: { type: 'string' },
} as const;

const split = (values: readonly string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);

/**
 * The `ScanConfig` for `trunkline scan` argv, validated exactly like action-scan's inputs (the
 * errors name the flag). A positional argument is the target. Without `--ignore-file`, a
 * `.trivyignore` in `cwd` is used when present (Trivy's own default).
 */
export function scanConfigFromArgv(argv: string[], cwd = process.cwd()): ScanConfig {
  const { values, positionals } = parseFlags(argv, flags);
  if (positionals.length > 1) throw new InputError('target', `takes one path or image reference (got ${positionals.join(' ')})`);
  const mode = values.mode ?? 'fs';
  if (mode !== 'fs' && mode !== 'image') throw new InputError('--mode', `must be fs or image (got "${mode}")`);
  const failOn = parseFailOn(values['fail-on'] ?? 'HIGH', '--fail-on');
  const target = values.target ?? positionals[0];
  const trivy: TrivyOptions = {};
  if (values.trivy) trivy.binary = values.trivy;
  if (values['install-trivy'] || values['trivy-version'] || values['trivy-sha256']) {
    trivy.install = { version: (values['trivy-version'] ?? TRIVY_DEFAULT_VERSION).replace(/^v/, ''), ...(values['trivy-sha256'] ? { sha256: values['trivy-sha256'] } : {}) };
  }
  if (values['cache-dir']) trivy.cacheDir = values['cache-dir'];
  if (values['db-repository']) trivy.dbRepositories = split(values['db-repository']);
  if (values['java-db-repository']) trivy.javaDbRepositories = split(values['java-db-repository']);
  if (values['skip-db-update']) trivy.skipDbUpdate = true;
  if (values.timeout) trivy.timeout = values.timeout;
  const cfg: ScanConfig = {
    mode,
    failOn,
    ignoreUnfixed: values['ignore-unfixed'] ?? false,
    ignoreFiles: values['ignore-file'] ?? defaultIgnoreFiles(cwd),
    scanners: split(values.scanners ? [values.scanners] : ['vuln,secret']),
    skipDirs: split(values['skip-dirs']),
    outputDir: values['output-dir'] ?? '.trunkline/scan',
    cwd,
    trivy,
    ...(target !== undefined ? { target } : {}),
    ...(values.input !== undefined ? { input: values.input } : {}),
    ...(values.report !== undefined ? { report: values.report } : {}),
  };
  validateScanConfig(cfg);
  return cfg;
}

/** `trunkline scan`: the Trivy gate from argv. */
export const command: CliCommand = {
  name: 'scan',
  summary: 'Run Trivy once (or read a Trivy JSON report) and gate it on a severity threshold',
  usage: `Usage: trunkline scan [TARGET] [options]

  --mode fs|image          fs scans a directory (default), image an image reference or --input tarball
  --target T               directory or image reference (or give it as TARGET)
  --input FILE             image tarball from docker save (image mode)
  --report FILE            gate this Trivy JSON report instead of running Trivy
  --fail-on SEVERITY       CRITICAL | HIGH | MEDIUM | LOW | UNKNOWN: fail at or above it (default HIGH)
  --ignore-unfixed         drop vulnerabilities that have no fix
  --ignore-file FILE       .trivyignore or .trivyignore.yaml (repeatable; default ./.trivyignore if present)
  --scanners LIST          vuln,secret,misconfig (default vuln,secret)
  --skip-dirs DIR          repeatable or comma-separated
  --output-dir DIR         where the report and SARIF go (default .trunkline/scan)
  --trivy PATH             Trivy binary (default $TRUNKLINE_TRIVY or trivy on PATH)
  --install-trivy          install Trivy ${TRIVY_DEFAULT_VERSION} (checksum-verified) into the tool cache first
  --trivy-version V        install this version instead (needs --trivy-sha256 unless pinned)
  --trivy-sha256 HEX       sha256 of the release archive, from its checksums.txt
  --cache-dir DIR          Trivy cache (vulnerability DB)
  --db-repository REPO     DB repositories in fallback order (default: mirrors, then ghcr.io)
  --java-db-repository R   Java DB repositories in fallback order
  --skip-db-update         use the cached DB as is
  --timeout DURATION       Trivy --timeout (default 10m)

Without --report and without Trivy, the stage is skipped (never passed) with an install hint.`,
  async run(argv, log) {
    return runScan(scanConfigFromArgv(argv), log);
  },
};
