import * as core from '@actions/core';
import { VERIFY_METRICS_INPUTS, verifyMetricsConfigFromInputs } from '@trunkline/core/domain/verify-metrics-config';
import type { VerifyMetricsConfig } from '@trunkline/core/domain/verify-metrics-config';
import { rawInputsFromEnv } from '@trunkline/core/domain/raw-inputs';
import { urlCredentials } from '@trunkline/core/domain/url-credentials';

/**
 * action-verify-metrics' inputs (`INPUT_*`, see action.yml) → `VerifyMetricsConfig` through the
 * stage's one resolver (E15 errors name the input and line). Values stay untrimmed, because line
 * numbers in `expect` and `env` must match what the user wrote. A user name or password inside
 * `base-url` is masked before anything can print it. The runner's run id, attempt and
 * `RUNNER_TEMP` are passed in: the stage reads no environment.
 */
export function readContext(env: NodeJS.ProcessEnv = process.env): VerifyMetricsConfig {
  const raw = rawInputsFromEnv(VERIFY_METRICS_INPUTS, env);
  for (const secret of urlCredentials(raw['base-url'] ?? '')) core.setSecret(secret);
  return verifyMetricsConfigFromInputs(raw, { runId: env.GITHUB_RUN_ID, runAttempt: env.GITHUB_RUN_ATTEMPT, outputDir: env.RUNNER_TEMP });
}
