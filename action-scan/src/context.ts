import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TRIVY_DEFAULT_VERSION } from '@trunkline/core/adapters/trivy';
import { InputError } from '@trunkline/core/domain/errors';
import { parseFailOn } from '@trunkline/core/domain/gate';
import { getBoolean, getInteger, getList, getString, getStringOr } from '@trunkline/core/door/inputs';
import type { ScanConfig, TrivyOptions } from '@trunkline/core/stages/scan';
import { defaultIgnoreFiles, validateScanConfig } from '@trunkline/core/stages/scan';

/** Every input of action.yml (the runner sets `INPUT_<NAME>` with dashes kept). */
export const SCAN_INPUTS = [
  'scan-type', 'scan-ref', 'image-ref', 'input', 'report', 'fail-on', 'ignore-unfixed', 'ignore-files', 'scanners', 'skip-dirs',
  'output-dir', 'install-trivy', 'trivy-version', 'trivy-sha256', 'cache', 'cache-dir', 'db-repositories', 'java-db-repositories',
  'skip-db-update', 'timeout', 'summary-max-findings',
] as const;

/**
 * The composite step passes dashed inputs with underscores (`INPUT_FAIL_ON`: env names a shell can
 * hold); `@actions/core` reads `INPUT_FAIL-ON`. Copies each underscore form to the dashed name when
 * the dashed one is absent, so both the composite step and a plain node runner contract work.
 */
function aliasUnderscoreInputs(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of SCAN_INPUTS) {
    if (!name.includes('-')) continue;
    const dashed = `INPUT_${name.toUpperCase()}`;
    const underscored = dashed.replace(/-/g, '_');
    if (env[dashed] === undefined && env[underscored] !== undefined) env[dashed] = env[underscored];
  }
}

/**
 * action-scan's inputs → `ScanConfig`, validated before anything runs (errors name the input, e.g.
 * `Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")`).
 * Defaults: scan-type inferred (image when image-ref or input is set), outputs in
 * `$RUNNER_TEMP/trunkline-scan`, Trivy installed (pinned, checksum-verified) unless
 * install-trivy is false, `./.trivyignore` when present and no ignore file is named.
 */
export function readContext(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ScanConfig {
  aliasUnderscoreInputs(env);
  const failOn = parseFailOn(getStringOr('fail-on', 'HIGH'), 'fail-on');
  const imageRef = getString('image-ref');
  const input = getString('input');
  const report = getString('report');
  const scanType = getString('scan-type') ?? (imageRef || input ? 'image' : 'fs');
  if (scanType !== 'fs' && scanType !== 'image') throw new InputError('scan-type', `must be fs or image (got "${scanType}")`);
  const target = scanType === 'image' ? imageRef : (getString('scan-ref') ?? (report ? undefined : '.'));
  const timeout = getString('timeout');
  if (timeout && !/^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/.test(timeout)) throw new InputError('timeout', `must be a duration such as 10m or 1h30m (got "${timeout}")`);
  const trivySha = getString('trivy-sha256')?.toLowerCase();
  if (trivySha && !/^[0-9a-f]{64}$/.test(trivySha)) throw new InputError('trivy-sha256', `must be 64 hex digits (got "${trivySha}")`);
  const version = getStringOr('trivy-version', TRIVY_DEFAULT_VERSION).replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new InputError('trivy-version', `must be a release version such as ${TRIVY_DEFAULT_VERSION} (got "${version}")`);

  const trivy: TrivyOptions = {};
  if (getBoolean('install-trivy', true)) trivy.install = { version, ...(trivySha ? { sha256: trivySha } : {}) };
  const cacheDir = getString('cache-dir');
  if (cacheDir) trivy.cacheDir = cacheDir;
  const db = getList('db-repositories');
  if (db.length) trivy.dbRepositories = db;
  const javaDb = getList('java-db-repositories');
  if (javaDb.length) trivy.javaDbRepositories = javaDb;
  // A same-day DB restored by actions/cache: no need to ask a rate-limited registry again.
  const cacheHit = env.TRUNKLINE_TRIVY_DB_CACHE_HIT === 'true' && cacheDir !== undefined && existsSync(join(cacheDir, 'db', 'metadata.json'));
  if (getBoolean('skip-db-update', false) || cacheHit) trivy.skipDbUpdate = true;
  if (timeout) trivy.timeout = timeout;

  const ignoreFiles = getList('ignore-files');
  const cfg: ScanConfig = {
    mode: scanType,
    failOn,
    ignoreUnfixed: getBoolean('ignore-unfixed', false),
    ignoreFiles: ignoreFiles.length ? ignoreFiles : defaultIgnoreFiles(cwd),
    scanners: getList('scanners'),
    skipDirs: getList('skip-dirs'),
    outputDir: getString('output-dir') ?? join(env.RUNNER_TEMP ?? join(cwd, '.trunkline'), 'trunkline-scan'),
    cwd,
    trivy,
    maxSummaryRows: getInteger('summary-max-findings', 20, { min: 1, max: 1000 }),
    ...(target !== undefined ? { target } : {}),
    ...(input !== undefined ? { input } : {}),
    ...(report !== undefined ? { report } : {}),
  };
  return validateScanConfig(cfg);
}
