import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { InputError } from '../../domain/errors.ts';
import type { EventContext } from '../../domain/event-context.ts';
import { eventContextFromGithub, withRepositoryFromEnv } from '../../domain/event-context.ts';
import { parseLabelLines } from '../../domain/labels.ts';
import type { TagPolicy } from '../../domain/tags.ts';
import { computeBuildMetadata } from '../../stages/build.ts';
import type { StageResult } from '../../report/result.ts';
import { timed } from '../../report/result.ts';
import type { BuildOutputs } from '../../stages/build.ts';

/**
 * Flags shared by `trunkline tags` and `trunkline build`: the GitHub event (as the runner gives
 * it to an action) and the tag policy switches, spelled like action-build's inputs.
 */
export const eventFlags = {
  'event-name': { type: 'string' },
  'event-path': { type: 'string' },
  ref: { type: 'string' },
  sha: { type: 'string' },
} as const;

export const policyFlags = {
  tag: { type: 'string' },
  'extra-tags': { type: 'string', multiple: true },
  latest: { type: 'string' },
  'pr-sha': { type: 'string' },
  'branch-tag': { type: 'boolean' },
  labels: { type: 'string', multiple: true },
  licenses: { type: 'string' },
  title: { type: 'string' },
} as const;

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
  --branch-tag          also tag default-branch pushes with the branch name
  --labels K=V          extra/overriding labels (repeatable)
  --licenses SPDX       org.opencontainers.image.licenses
  --title TEXT          org.opencontainers.image.title`;

/** `value` when it is one of `allowed`; throws `InputError(flag)` listing them otherwise. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new InputError(flag, `must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * The event from `--event-name/--event-path/--ref/--sha`, or undefined when none is given (the
 * stage then reads the local checkout). Repository facts missing from the payload come from
 * `GITHUB_REPOSITORY`/`GITHUB_SERVER_URL`, as in the action.
 */
export function eventFromFlags(values: FlagValues): EventContext | undefined {
  const name = values['event-name'] as string | undefined;
  if (name === undefined) {
    for (const f of ['event-path', 'ref', 'sha']) if (values[f] !== undefined) throw new InputError(`--${f}`, 'needs --event-name too');
    return undefined;
  }
  if (!/^[a-z_]+$/.test(name)) throw new InputError('--event-name', `must be a GitHub event name such as push or pull_request (got "${name}")`);
  const ref = (values.ref as string | undefined) ?? '';
  const sha = values.sha as string | undefined;
  if (!sha || !/^[0-9a-f]{40}$/.test(sha)) throw new InputError('--sha', `must be the 40-hex commit (GITHUB_SHA) (got ${JSON.stringify(sha ?? '')})`);
  if (ref && !/^refs\/[\w./-]+$/.test(ref)) throw new InputError('--ref', `must be a full ref such as refs/heads/main (got "${ref}")`);
  let payload: unknown = {};
  const path = values['event-path'] as string | undefined;
  if (path) {
    let text: string;
    try { text = readFileSync(path, 'utf8'); } catch { throw new InputError('--event-path', `file ${JSON.stringify(path)} cannot be read`); }
    try { payload = JSON.parse(text); } catch { throw new InputError('--event-path', `file ${JSON.stringify(path)} is not JSON`); }
  }
  return withRepositoryFromEnv(eventContextFromGithub(name, payload, ref, sha), process.env);
}

/** The tag policy from the policy flags (unset flags keep the defaults). */
export function policyFromFlags(values: FlagValues): Partial<TagPolicy> {
  const policy: Partial<TagPolicy> = {};
  const latest = oneOf(values.latest as string | undefined, ['auto', 'true', 'false'] as const, '--latest');
  const prSha = oneOf(values['pr-sha'] as string | undefined, ['head', 'merge'] as const, '--pr-sha');
  if (latest) policy.latest = latest;
  if (prSha) policy.prSha = prSha;
  if (values['branch-tag'] === true) policy.branchTag = true;
  if (typeof values.tag === 'string') policy.tag = values.tag;
  const extra = ((values['extra-tags'] as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (extra.length) policy.extraTags = extra;
  const labels: NonNullable<TagPolicy['labels']> = {};
  const lines = (values.labels as string[] | undefined) ?? [];
  if (lines.length) labels.overrides = parseLabelLines(lines, '--labels');
  if (typeof values.licenses === 'string') labels.licenses = values.licenses;
  if (typeof values.title === 'string') labels.title = values.title;
  if (Object.keys(labels).length) policy.labels = labels;
  return policy;
}

/**
 * `trunkline tags`: prints (stdout) the JSON of action-build's `json` output for an event,
 * without building — the same `computeBuildMetadata` the action runs, so the two agree.
 */
export const command: CliCommand = {
  name: 'tags',
  printsOwnReport: true,
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
    return timed('tags', async () => {
      const { values } = parseFlags(argv, { ...eventFlags, ...policyFlags, image: { type: 'string' }, context: { type: 'string' } });
      const context = resolve(values.context ?? '.');
      const event = eventFromFlags(values);
      const image = values.image ?? `local/${context.split('/').pop()!.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[._-]+$/g, '') || 'image'}`;
      const meta = await computeBuildMetadata({ image, ...(event ? { event } : {}), tagPolicy: policyFromFlags(values), gitDir: context });
      for (const note of meta.notes) log.info(note);
      process.stdout.write(`${JSON.stringify(meta.json, null, 2)}\n`);
      return { status: 'passed', outputs: meta.outputs, findings: [], notes: meta.notes };
    });
  },
};
