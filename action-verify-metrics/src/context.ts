import * as core from '@actions/core';
import { uniqueContainerName } from '@trunkline/core/adapters/docker-run';
import { VERIFY_METRICS_INPUTS, verifyMetricsConfigFromInputs } from '@trunkline/core/domain/verify-metrics-config';
import type { VerifyMetricsConfig, VerifyMetricsRawInputs } from '@trunkline/core/domain/verify-metrics-config';

/**
 * action-verify-metrics' inputs (action.yml) → `VerifyMetricsConfig`, through the same conversion
 * and validation as `trunkline verify-metrics` (E15 errors name the input and line).
 *
 * Read with `@actions/core.getInput`, untrimmed, because line numbers in `expect` and `env` must
 * match what the user wrote. An input whose `INPUT_*` variable is absent is left undefined so the
 * default applies; the runner always sets it (from action.yml's default), so there an empty value
 * of a list input (`env`, `docker-args`, `lint-ignore`) means "none".
 */
export function readContext(env: NodeJS.ProcessEnv = process.env): VerifyMetricsConfig {
  const raw: VerifyMetricsRawInputs = {};
  for (const name of VERIFY_METRICS_INPUTS) {
    if (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] !== undefined) raw[name] = core.getInput(name, { trimWhitespace: false });
  }
  const runId = env.GITHUB_RUN_ID ?? 'local';
  const extra: Partial<VerifyMetricsConfig> = {
    runId,
    // Named here, before anything starts, so main can hand the name to the post step first.
    containerName: uniqueContainerName('vm', runId, env.GITHUB_RUN_ATTEMPT ?? '1'),
  };
  if (env.RUNNER_TEMP) extra.outputDir = env.RUNNER_TEMP;
  return verifyMetricsConfigFromInputs(raw, extra);
}
