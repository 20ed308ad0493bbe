import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rawInputsFromEnv } from '@trunkline/core/domain/raw-inputs';
import type { ScanConfig } from '@trunkline/core/domain/scan-config';
import { resolveScanConfig, SCAN_INPUTS_TABLE } from '@trunkline/core/domain/scan-config';
import { defaultIgnoreFiles } from '@trunkline/core/stages/scan';

/** Every input of action.yml (the runner sets `INPUT_<NAME>` with dashes kept). */
export const SCAN_INPUTS = SCAN_INPUTS_TABLE.filter((s) => !s.cliOnly).map((s) => s.name);

/**
 * The composite step passes dashed inputs with underscores (`INPUT_FAIL_ON`: env names a shell can
 * hold); the runner's own contract is `INPUT_FAIL-ON`. Returns `env` with each underscore form
 * copied to the dashed name when the dashed one is absent, so both contracts work.
 */
function withDashedInputs(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of SCAN_INPUTS) {
    if (!name.includes('-')) continue;
    const dashed = `INPUT_${name.toUpperCase()}`;
    const underscored = dashed.replace(/-/g, '_');
    if (out[dashed] === undefined && out[underscored] !== undefined) out[dashed] = out[underscored];
  }
  return out;
}

/**
 * action-scan's door: collects the raw inputs and what needs the disk or the runner (the default
 * `.trivyignore`, `$RUNNER_TEMP/trunkline-scan`, a complete same-day DB restored by the composite's
 * cache step) and calls `resolveScanConfig`, the one resolver `trunkline scan` uses too. Throws
 * `InputError` naming the input, e.g. `Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")`.
 */
export function readContext(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ScanConfig {
  const raw = rawInputsFromEnv(SCAN_INPUTS_TABLE, withDashedInputs(env));
  const cacheDir = raw['cache-dir']?.trim();
  // A same-day DB restored by actions/cache: no need to ask a rate-limited registry again.
  const dbCacheHit = env.TRUNKLINE_TRIVY_DB_CACHE_HIT === 'true' && !!cacheDir && existsSync(join(cacheDir, 'db', 'metadata.json'));
  return resolveScanConfig(raw, {
    cwd,
    defaultOutputDir: join(env.RUNNER_TEMP ?? join(cwd, '.trunkline'), 'trunkline-scan'),
    defaultIgnoreFiles: defaultIgnoreFiles(cwd),
    dbCacheHit,
  });
}
