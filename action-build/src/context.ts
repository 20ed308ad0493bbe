import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { BUILD_INPUTS, resolveBuildConfig } from '@trunkline/core/domain/build-config';
import { rawInputsFromEnv } from '@trunkline/core/domain/raw-inputs';
import { readEventPayload } from '@trunkline/core/adapters/event-payload';
import type { BuildConfig, BuildOutputs } from '@trunkline/core/stages/build';
import { outputToString } from '@trunkline/core/report/render';

/** Problem matcher files shipped beside dist/ and src/ (action-build/matchers). */
function matcherPaths(): string[] {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'matchers');
  return ['eslint-stylish.json', 'tsc.json'].map((f) => join(dir, f));
}

/** Registers the ESLint and tsc problem matchers while the lint command runs, removes them after. */
function problemMatchers(phase: 'start' | 'end'): void {
  if (phase === 'start') for (const file of matcherPaths()) core.info(`::add-matcher::${file}`);
  else for (const owner of ['trunkline-eslint-stylish', 'trunkline-tsc']) core.info(`::remove-matcher owner=${owner}::`);
}

/** Publishes the tag outputs as soon as they are known, so they exist even if the build fails. */
function publishEarly(outputs: BuildOutputs): void {
  for (const [key, value] of Object.entries(outputs)) if (value !== undefined) core.setOutput(key, outputToString(value));
}

/**
 * action-build's door: collects the raw inputs (`INPUT_*`) and the runner's event
 * (`GITHUB_EVENT_NAME`, the payload at `GITHUB_EVENT_PATH`, `GITHUB_REF`, `GITHUB_SHA`,
 * `GITHUB_REPOSITORY`, `GITHUB_SERVER_URL`) and hands them to `resolveBuildConfig`, the one
 * resolver `trunkline build` uses too. Throws `InputError` naming the input.
 */
export async function readContext(env: NodeJS.ProcessEnv = process.env): Promise<BuildConfig> {
  const raw = {
    ...rawInputsFromEnv(BUILD_INPUTS, env),
    'event-name': env.GITHUB_EVENT_NAME,
    ref: env.GITHUB_REF,
    sha: env.GITHUB_SHA,
  };
  const eventPayload = await readEventPayload(env.GITHUB_EVENT_PATH, 'GITHUB_EVENT_PATH', { missingIsEmpty: true });
  const settings = resolveBuildConfig(raw, { eventPayload, repository: env.GITHUB_REPOSITORY, serverUrl: env.GITHUB_SERVER_URL, requireEvent: true });
  return { ...settings, cwd: process.cwd(), onMetadata: publishEarly, onLint: problemMatchers };
}
