import * as core from '@actions/core';
import { rawInputsFromEnv } from '@trunkline/core/domain/raw-inputs';
import { resolveSignInputs, SIGN_INPUTS } from '@trunkline/core/domain/sign-config';
import type { ResolvedSignInputs } from '@trunkline/core/domain/sign-config';

/**
 * action-sign's door: collects the raw `INPUT_*` values of every input in `SIGN_INPUTS`, masks the
 * secret ones (private key, passphrase, password) before anything can log them, and hands them to
 * the one resolver with what the runner knows: the event (for the privileged-event guard), the
 * run's provenance claims and `RUNNER_TEMP`.
 */
export type SignContext = ResolvedSignInputs;

/**
 * The run's provenance claims: commit and run URL (as the runner describes them). The URL names
 * the run, not the attempt, so a re-run signs the same payload and adds no second signature.
 */
export function runAnnotations(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.GITHUB_SHA) out['git-sha'] = env.GITHUB_SHA;
  if (env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    out['run-url'] = `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  }
  return out;
}

/** Reads and validates every input for the chosen mode. Throws `InputError` naming the input. */
export function readContext(env: NodeJS.ProcessEnv = process.env): SignContext {
  const raw = rawInputsFromEnv(SIGN_INPUTS, env);
  for (const spec of SIGN_INPUTS) {
    const value = raw[spec.name];
    if (spec.secret && value?.trim()) {
      core.setSecret(value);
      core.setSecret(value.trim());
      // The runner hides exact matches only: a PEM key printed line by line must stay hidden too.
      for (const line of value.split(/\r?\n/).map((l) => l.trim())) if (line.length >= 8 && !line.startsWith('-----')) core.setSecret(line);
    }
  }
  return resolveSignInputs(raw, {
    ...(env.GITHUB_EVENT_NAME ? { eventName: env.GITHUB_EVENT_NAME } : {}),
    runAnnotations: runAnnotations(env),
    ...(env.RUNNER_TEMP ? { workDir: env.RUNNER_TEMP } : {}),
  });
}
