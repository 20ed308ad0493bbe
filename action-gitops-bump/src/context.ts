import type { BumpConfig } from '@trunkline/core/domain/bump-config';
import { BUMP_INPUTS, bumpConfigFromInputs } from '@trunkline/core/domain/bump-config';
import { rawInputsFromEnv } from '@trunkline/core/domain/raw-inputs';

/**
 * action-gitops-bump's inputs (`INPUT_*`, see action.yml) → `BumpConfig` through the bump's one
 * resolver. Errors are `InputError`s naming the input. The token is registered as a secret by the
 * stage before any use.
 */
export function readContext(env: NodeJS.ProcessEnv = process.env): BumpConfig {
  return bumpConfigFromInputs(rawInputsFromEnv(BUMP_INPUTS, env), env.GITHUB_EVENT_NAME ? { eventName: env.GITHUB_EVENT_NAME } : {});
}
