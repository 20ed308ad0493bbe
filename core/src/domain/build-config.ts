import { InputError } from './errors.ts';
import type { EventContext } from './event-context.ts';
import { eventContextFromGithub, gitRefProblem, withRepositoryFromEnv } from './event-context.ts';
import { parseRepositoryRef, validateTag } from './image-ref.ts';
import { parseLabelLines } from './labels.ts';
import type { TagPolicy } from './tags.ts';
import {
  BUILDER_PREFERENCES, parseBuildArgs, parseCacheSpecs, parseCommand, parseNetwork, parsePlatforms, parseProvenance, parseTarget,
} from './build-options.ts';
import type { BuilderPreference } from './build-options.ts';
import type { InputTable, RawInputs } from './raw-inputs.ts';
import { checkRawSizes, RawReader } from './raw-inputs.ts';

/**
 * The build stage's one resolver (lint's inputs are part of it): action-build's inputs, the
 * `trunkline build` / `tags` / `lint` flags and (next) `trunkline.yaml` keys → one typed,
 * validated `BuildSettings`. Names and defaults are action-build/action.yml's, checked by
 * core/test/door/parity.test.ts. Pure: the doors read the event payload file and pass it in.
 */
export const BUILD_INPUTS: InputTable = [
  { name: 'image' },
  { name: 'context', default: '.' },
  { name: 'dockerfile' },
  { name: 'build-args', list: 'lines' },
  { name: 'target' },
  { name: 'network' },
  { name: 'lint-command' },
  { name: 'platforms', list: 'items' },
  { name: 'cache-from', list: 'lines' },
  { name: 'cache-to', list: 'lines' },
  { name: 'provenance' },
  { name: 'sbom' },
  { name: 'push', default: 'false' },
  { name: 'builder', default: 'auto' },
  { name: 'tag' },
  { name: 'extra-tags', list: 'items' },
  { name: 'latest', default: 'auto' },
  { name: 'pr-sha', default: 'head' },
  { name: 'branch-tag', default: 'false' },
  { name: 'labels', list: 'lines' },
  { name: 'licenses' },
  { name: 'title' },
  { name: 'summary', default: 'true', actionOnly: true },
  // The event as the runner gives it to an action (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REF,
  // GITHUB_SHA): flags on the command line, runner variables in the action door.
  { name: 'event-name', cliOnly: true },
  { name: 'event-path', cliOnly: true },
  { name: 'ref', cliOnly: true },
  { name: 'sha', cliOnly: true },
];

/** What the resolver needs besides raw values: facts the doors read (I/O) and pass in. */
export interface BuildExtras {
  /** The parsed JSON at `event-path` / `GITHUB_EVENT_PATH` (`{}` when there is none). */
  eventPayload?: unknown;
  /** `GITHUB_REPOSITORY` and `GITHUB_SERVER_URL`: repository facts a payload lacks (the `source` label). */
  repository?: string;
  serverUrl?: string;
  /** The action door: the event must be given (a runner always sets it). */
  requireEvent?: boolean;
}

/** The build stage's typed settings (the stage adds the door's callbacks). */
export interface BuildSettings {
  /** Build context directory. */
  context: string;
  /** Dockerfile path; default `<context>/Dockerfile`. */
  dockerfile?: string;
  /** Repository reference without tag or digest, e.g. `127.0.0.1:5000/sample-service`. */
  image: string;
  /** The triggering event; absent: the git checkout of `context`, taken as a push to its default branch. */
  event?: EventContext;
  tagPolicy: Partial<TagPolicy>;
  buildArgs: Record<string, string>;
  target?: string;
  network?: string;
  /** Lint command (argument array, no shell); absent: no lint. */
  lintCommand?: string[];
  /** `os/arch[/variant]`; more than one needs buildx and `push`. */
  platforms: string[];
  cacheFrom: string[];
  cacheTo: string[];
  provenance?: string;
  sbom?: boolean;
  push: boolean;
  builder: BuilderPreference;
  /** Write the job summary (action input `summary`). */
  jobSummary: boolean;
}

const SHA = /^[0-9a-f]{40}$/;

/**
 * The event from `event-name`, `ref`, `sha` and the payload, or undefined when no event name is
 * given and none is required (a local checkout). Throws `InputError` naming the input: an event
 * name that is no GitHub event name, a `sha` that is not 40 hex, a `ref` git would refuse
 * (`gitRefProblem`), or `event-path`/`ref`/`sha` without `event-name`.
 */
export function resolveEvent(raw: RawInputs, extra: BuildExtras = {}): EventContext | undefined {
  const read = new RawReader(raw);
  const name = read.string('event-name', extra.requireEvent ? { required: 'the runner sets GITHUB_EVENT_NAME and GITHUB_SHA: run the action inside a workflow, or `trunkline build` locally' } : {});
  if (name === undefined) {
    for (const other of ['event-path', 'ref', 'sha']) if (read.string(other) !== undefined) throw new InputError(other, 'needs event-name too');
    return undefined;
  }
  if (!/^[a-z_]+$/.test(name)) throw new InputError('event-name', `must be a GitHub event name such as push or pull_request (got ${JSON.stringify(name)})`);
  const sha = read.string('sha') ?? '';
  if (!SHA.test(sha)) throw new InputError('sha', `must be the 40-hex commit (GITHUB_SHA) (got ${JSON.stringify(sha)})`);
  const ref = read.string('ref') ?? '';
  const problem = ref ? gitRefProblem(ref) : undefined;
  if (problem) throw new InputError('ref', `${problem} (got ${JSON.stringify(ref)})`);
  const event = eventContextFromGithub(name, extra.eventPayload ?? {}, ref, sha);
  return withRepositoryFromEnv(event, { GITHUB_REPOSITORY: extra.repository, GITHUB_SERVER_URL: extra.serverUrl });
}

/** The tag policy inputs (`tag`, `extra-tags`, `latest`, `pr-sha`, `branch-tag`, `labels`, `licenses`, `title`). */
export function resolveTagPolicy(raw: RawInputs): Partial<TagPolicy> {
  const read = new RawReader(raw, BUILD_INPUTS);
  const policy: Partial<TagPolicy> = {
    latest: read.oneOf('latest', ['auto', 'true', 'false'] as const, 'auto'),
    prSha: read.oneOf('pr-sha', ['head', 'merge'] as const, 'head'),
    branchTag: read.boolean('branch-tag', false),
  };
  // Not split like a list: a newline inside `tag` is refused, never turned into two tags.
  const tag = read.string('tag');
  if (tag !== undefined) {
    if (/[\r\n]/.test(tag)) throw new InputError('tag', `must be a single tag on one line (got ${JSON.stringify(tag)}); use extra-tags for more`);
    policy.tag = validateTag(tag, 'tag');
  }
  const extra = read.list('extra-tags').map((t) => validateTag(t, 'extra-tags'));
  if (extra.length) policy.extraTags = extra;
  const labels: NonNullable<TagPolicy['labels']> = {};
  const lines = read.list('labels', { commas: false });
  if (lines.length) labels.overrides = parseLabelLines(lines, 'labels');
  const licenses = read.string('licenses');
  const title = read.string('title');
  if (licenses) labels.licenses = licenses;
  if (title) labels.title = title;
  if (Object.keys(labels).length) policy.labels = labels;
  return policy;
}

/** The lint command: a JSON array or words (never a shell string); `[]` when not given. Throws `InputError('lint-command')`. */
export function resolveLintCommand(raw: RawInputs): string[] {
  return parseCommand(new RawReader(raw, BUILD_INPUTS).string('lint-command') ?? '', 'lint-command');
}

/**
 * Raw values keyed by `BUILD_INPUTS` names → `BuildSettings`, with action.yml's defaults. Every
 * value is checked before anything runs (paths are checked by the stage, which may touch the
 * disk); throws `InputError` naming the input and the allowed form (docs/errors.md,
 * `input-invalid`), e.g. `Input "builder" must be one of auto, buildx, buildkit, classic (got "kaniko")`.
 */
export function resolveBuildConfig(raw: RawInputs, extra: BuildExtras = {}): BuildSettings {
  checkRawSizes(raw);
  const read = new RawReader(raw, BUILD_INPUTS);
  const image = read.string('image', { required: 'the repository without tag, e.g. ghcr.io/acme/app or 127.0.0.1:5000/sample-service' })!;
  parseRepositoryRef(image, 'image');
  const settings: BuildSettings = {
    image,
    context: read.string('context') ?? '.',
    tagPolicy: resolveTagPolicy(raw),
    buildArgs: parseBuildArgs(read.list('build-args', { commas: false }), 'build-args'),
    platforms: parsePlatforms(read.list('platforms')),
    cacheFrom: parseCacheSpecs(read.list('cache-from', { commas: false }), 'cache-from'),
    cacheTo: parseCacheSpecs(read.list('cache-to', { commas: false }), 'cache-to'),
    push: read.boolean('push', false),
    builder: read.oneOf('builder', BUILDER_PREFERENCES, 'auto'),
    jobSummary: read.boolean('summary', true),
  };
  const event = resolveEvent(raw, extra);
  if (event) settings.event = event;
  const dockerfile = read.string('dockerfile');
  const target = read.string('target');
  const network = read.string('network');
  const provenance = read.string('provenance');
  const lint = resolveLintCommand(raw);
  if (dockerfile) settings.dockerfile = dockerfile;
  if (target) settings.target = parseTarget(target);
  if (network) settings.network = parseNetwork(network);
  if (provenance) settings.provenance = parseProvenance(provenance);
  if (read.string('sbom') !== undefined) settings.sbom = read.boolean('sbom', false);
  if (lint.length) settings.lintCommand = lint;
  return settings;
}
