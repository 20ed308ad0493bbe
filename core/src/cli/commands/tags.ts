import { resolve } from 'node:path';
import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { readEventPayload } from '../../adapters/event-payload.ts';
import type { BuildExtras } from '../../domain/build-config.ts';
import { BUILD_INPUTS, resolveEvent, resolveTagPolicy } from '../../domain/build-config.ts';
import type { RawInputs } from '../../domain/raw-inputs.ts';
import { checkRawSizes, flagsFromTable, rawInputsFromFlags } from '../../domain/raw-inputs.ts';
import { computeBuildMetadata } from '../../stages/build.ts';
import type { BuildOutputs } from '../../stages/build.ts';
import type { StageResult } from '../../report/result.ts';
import { runStage } from '../../report/result.ts';

export const EVENT_USAGE = `Event (omit all four for a local checkout, taken as a push to its default branch):
  --event-name NAME     GitHub event name (pull_request, push, release, workflow_dispatch, schedule, ...)
  --event-path FILE     the event payload JSON (what GITHUB_EVENT_PATH holds)
  --ref REF             GITHUB_REF, e.g. refs/pull/7/merge, refs/heads/main, refs/tags/v1.2.3
  --sha SHA             GITHUB_SHA (40 hex)`;

export const POLICY_USAGE = `Tag policy (same names as action-build inputs):
  --tag TAG             explicit tag, made primary
  --extra-tags T[,T]    more tags (repeatable)
  --latest auto|true|false   default auto
  --pr-sha head|merge   which commit sha-<7> names on a pull request (default head)
  --branch-tag true|false  also tag default-branch pushes with the branch name (default false)
  --labels K=V          extra/overriding labels (repeatable)
  --licenses SPDX       org.opencontainers.image.licenses
  --title TEXT          org.opencontainers.image.title`;

/**
 * The CLI's build inputs from argv: flags generated from `BUILD_INPUTS` (the action's input names),
 * the event payload read from `--event-path`, and repository facts from `GITHUB_REPOSITORY` /
 * `GITHUB_SERVER_URL` as the action reads them. Returns the raw values, the resolver's extras and
 * the positionals; throws `InputError` for an unknown flag or an unreadable payload.
 */
export async function buildRawFromArgv(argv: string[], env: NodeJS.ProcessEnv): Promise<{ raw: RawInputs; extra: BuildExtras; positionals: string[] }> {
  const { values, positionals } = parseFlags(argv, flagsFromTable(BUILD_INPUTS));
  const raw = rawInputsFromFlags(BUILD_INPUTS, values);
  checkRawSizes(raw);
  const eventPayload = await readEventPayload(raw['event-path'], 'event-path');
  return { raw, extra: { eventPayload, repository: env.GITHUB_REPOSITORY, serverUrl: env.GITHUB_SERVER_URL }, positionals };
}

/**
 * `trunkline tags`: prints (stdout) the JSON of action-build's `json` output for an event,
 * without building — the same resolver and `computeBuildMetadata` the action runs, so the two agree.
 */
export const command: CliCommand = {
  name: 'tags',
  printsOwnReport: true,
  stdoutOutput: 'json',
  summary: 'Print the tags, labels and references a build would get (action-build json output)',
  usage: `Usage: trunkline tags [options]

Prints the JSON action-build gives as its \`json\` output (minus image-id, digest and builder,
which only a build knows).

  --image REF           repository without tag (default: local/<checkout directory name>)
  --context DIR         directory inside the git checkout (commit time, release tags); default .

${EVENT_USAGE}

${POLICY_USAGE}

Example:
  trunkline tags --event-name pull_request --event-path payload.json --ref refs/pull/7/merge --sha <sha>`,
  async run(argv, log): Promise<StageResult<BuildOutputs>> {
    // Bad flags throw InputError here, before the stage: `main` exits 2 for bad usage.
    const { raw, extra } = await buildRawFromArgv(argv, process.env);
    const context = resolve(raw.context ?? '.');
    const event = resolveEvent(raw, extra);
    const tagPolicy = resolveTagPolicy(raw);
    const image = raw.image ?? `local/${context.split('/').pop()!.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[._-]+$/g, '') || 'image'}`;
    return runStage('tags', async () => {
      const meta = await computeBuildMetadata({ image, ...(event ? { event } : {}), tagPolicy, gitDir: context });
      for (const note of meta.notes) log.info(note);
      return { status: 'passed', outputs: meta.outputs, findings: [], notes: meta.notes };
    });
  },
};
