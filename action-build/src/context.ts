import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { getBoolean, getEnum, getList, getString, getStringOr } from '@trunkline/core/door/inputs';
import { InputError } from '@trunkline/core/domain/errors';
import type { EventContext } from '@trunkline/core/domain/event-context';
import { eventContextFromGithub, withRepositoryFromEnv } from '@trunkline/core/domain/event-context';
import { parseBuildArgs, parseCommand } from '@trunkline/core/domain/build-options';
import { parseLabelLines } from '@trunkline/core/domain/labels';
import type { TagPolicy } from '@trunkline/core/domain/tags';
import { BUILDER_PREFERENCES } from '@trunkline/core/adapters/docker-build';
import type { BuildConfig, BuildOutputs } from '@trunkline/core/stages/build';
import { outputToString } from '@trunkline/core/report/render';

/**
 * action-build's inputs (action.yml) → `BuildConfig`. The event is what the runner provides:
 * `GITHUB_EVENT_NAME`, the payload at `GITHUB_EVENT_PATH`, `GITHUB_REF`, `GITHUB_SHA`. Every
 * input is validated here or in the stage, and errors name the input.
 */
export function readEvent(env: NodeJS.ProcessEnv = process.env): EventContext {
  const name = env.GITHUB_EVENT_NAME;
  const sha = env.GITHUB_SHA;
  if (!name || !sha) throw new InputError('GITHUB_EVENT_NAME', 'and GITHUB_SHA must be set (the runner sets them): run this action inside a workflow, or use `trunkline build` locally');
  let payload: unknown = {};
  const path = env.GITHUB_EVENT_PATH;
  if (path && existsSync(path)) {
    try { payload = JSON.parse(readFileSync(path, 'utf8')); } catch { throw new InputError('GITHUB_EVENT_PATH', `file ${path} is not JSON`); }
  }
  return withRepositoryFromEnv(eventContextFromGithub(name, payload, env.GITHUB_REF ?? '', sha), env);
}

function tagPolicy(): Partial<TagPolicy> {
  const policy: Partial<TagPolicy> = {
    latest: getEnum('latest', ['auto', 'true', 'false'] as const, 'auto'),
    prSha: getEnum('pr-sha', ['head', 'merge'] as const, 'head'),
    branchTag: getBoolean('branch-tag', false),
  };
  // Not split like a list: a newline inside `tag` must be refused (the stage does), not turned into two tags.
  const tag = core.getInput('tag');
  if (tag) policy.tag = tag;
  const extra = getList('extra-tags');
  if (extra.length) policy.extraTags = extra;
  const labels: NonNullable<TagPolicy['labels']> = {};
  const lines = getList('labels', { commas: false });
  if (lines.length) labels.overrides = parseLabelLines(lines, 'labels');
  const licenses = getString('licenses');
  const title = getString('title');
  if (licenses) labels.licenses = licenses;
  if (title) labels.title = title;
  if (Object.keys(labels).length) policy.labels = labels;
  return policy;
}

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

/** Reads and validates every input into the build stage's config. */
export function readContext(): BuildConfig {
  const cfg: BuildConfig = {
    image: getString('image', { required: true })!,
    context: getStringOr('context', '.'),
    event: readEvent(),
    tagPolicy: tagPolicy(),
    buildArgs: parseBuildArgs(getList('build-args', { commas: false }), 'build-args'),
    platforms: getList('platforms'),
    cacheFrom: getList('cache-from', { commas: false }),
    cacheTo: getList('cache-to', { commas: false }),
    push: getBoolean('push', false),
    builder: getEnum('builder', BUILDER_PREFERENCES, 'auto'),
    jobSummary: getBoolean('summary', true),
    onMetadata: publishEarly,
    onLint: problemMatchers,
  };
  const dockerfile = getString('dockerfile');
  const target = getString('target');
  const network = getString('network');
  const provenance = getString('provenance');
  const lint = parseCommand(core.getInput('lint-command'), 'lint-command');
  if (dockerfile) cfg.dockerfile = dockerfile;
  if (target) cfg.target = target;
  if (network) cfg.network = network;
  if (provenance) cfg.provenance = provenance;
  if (getString('sbom')) cfg.sbom = getBoolean('sbom', false);
  if (lint.length) cfg.lintCommand = lint;
  return cfg;
}
