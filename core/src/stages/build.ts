import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../domain/errors.ts';
import type { EventContext } from '../domain/event-context.ts';
import { localEventContext, repositoryFromRemoteUrl } from '../domain/event-context.ts';
import { formatImageRef, imageName, parseRepositoryRef, validateTag } from '../domain/image-ref.ts';
import { labelLines, OCI, rfc3339 } from '../domain/labels.ts';
import type { TagComputation, TagEntry, TagPolicy } from '../domain/tags.ts';
import { computeTags, DEFAULT_TAG_POLICY } from '../domain/tags.ts';
import {
  declaredBuildArgs, derivedBuildArgs, parseCacheSpecs, parseNetwork, parsePlatforms, parseProvenance, parseTarget, validateBuildArgs,
} from '../domain/build-options.ts';
import type { BuilderPreference } from '../domain/build-options.ts';
import type { BuilderInfo } from '../adapters/docker-build.ts';
import { detectBuilder, runDockerBuild } from '../adapters/docker-build.ts';
import { commitTime, listTags, readGitInfo } from '../adapters/git-info.ts';
import type { Logger } from '../report/logger.ts';
import type { StageBody, StageResult } from '../report/result.ts';
import { runStage } from '../report/result.ts';
import type { SummarySection } from '../report/render.ts';
import { markdownTable, stageMarkdown } from '../report/render.ts';
import { runLint } from './lint.ts';

/**
 * The build stage: validate every input, compute tags and OCI labels from the event, run the
 * optional lint command, then build the image with the best builder present (see
 * adapters/docker-build.ts). Nothing is built when any input is invalid.
 */
export interface BuildConfig {
  /** Build context directory. */
  context: string;
  /** Dockerfile path; default `<context>/Dockerfile`. Relative paths resolve against `cwd`. */
  dockerfile?: string;
  /** Repository reference without tag or digest, e.g. `127.0.0.1:5000/sample-service`. */
  image: string;
  /** The triggering event; default: the git checkout of `context`, taken as a push to its default branch. */
  event?: EventContext;
  /** Tag policy switches (`DEFAULT_TAG_POLICY` fills the rest). */
  tagPolicy?: Partial<TagPolicy>;
  /** Precomputed tags (first is primary): replace the policy's tags. Each is validated. */
  tags?: string[];
  buildArgs?: Record<string, string>;
  /** Dockerfile stage to build (`--target`). */
  target?: string;
  /** Build network, e.g. `host` (the local pipeline keeps all traffic on loopback). */
  network?: string;
  /** Lint command run before the build (argument array, no shell). */
  lintCommand?: string[];
  /** Where the lint command runs; default `context`. */
  lintCwd?: string;
  /** `os/arch[/variant]`; more than one needs buildx and `push`. Empty: the daemon's platform. */
  platforms?: string[];
  cacheFrom?: string[];
  cacheTo?: string[];
  /** buildx provenance: `true`, `false`, `mode=min`, `mode=max`; undefined keeps buildx's default. */
  provenance?: string;
  sbom?: boolean;
  /** Push during the build (default false: pushing is the sign stage's job, after verification). */
  push?: boolean;
  builder?: BuilderPreference;
  /** Base for relative paths; default `process.cwd()`. */
  cwd?: string;
  /** Build timeout in milliseconds (default 30 minutes). */
  timeoutMs?: number;
  /**
   * Called once the tag outputs are known, before lint or build: the action publishes them early so
   * a later step can name the image even when the build fails.
   */
  onMetadata?: (outputs: BuildOutputs) => void | Promise<void>;
  /** Called around the lint command (`start`, `end`): the action registers its problem matchers. */
  onLint?: (phase: 'start' | 'end') => void;
  /** Write the job summary (default true); false leaves `summaryMarkdown` unset. */
  jobSummary?: boolean;
}

/** The `json` output (and `trunkline tags` output): everything a next step needs, one object. */
export interface BuildJson {
  [key: string]: unknown;
  image: string;
  tags: string[];
  tag: string;
  'image-ref': string;
  /** Every full reference, primary first. */
  refs: string[];
  labels: Record<string, string>;
  /** Why each tag was made, in tag order. */
  reasons: TagEntry[];
  version?: string;
  event: { name: string; ref: string; sha: string; 'pr-head-sha'?: string; 'pr-merge-sha'?: string };
  'source-date-epoch'?: number;
  'image-id'?: string;
  digest?: string;
  builder?: string;
}

/** Keys of `BuildJson` only a build can fill: `trunkline tags` prints the rest. */
export const BUILD_ONLY_KEYS = ['image-id', 'digest', 'builder'] as const;

/** Output names are exactly action-build's outputs. */
export type BuildOutputs = {
  image: string;
  /** Bare tag names, primary first (newline list as a step output). */
  tags: string[];
  /** The primary tag. */
  tag: string;
  /** `image:primary-tag`. */
  'image-ref': string;
  'image-id'?: string;
  /** Manifest digest, only when pushed. */
  digest?: string;
  /** `key=value` lines. */
  labels: string[];
  json: BuildJson;
};

export interface MetadataRequest {
  image: string;
  event?: EventContext;
  tagPolicy?: Partial<TagPolicy>;
  tags?: string[];
  /** A directory inside the checkout: commit time and release history come from its git. */
  gitDir: string;
}

export interface BuildMetadata {
  computation: TagComputation;
  event: EventContext;
  json: BuildJson;
  outputs: BuildOutputs;
  sourceDateEpoch?: number;
  notes: string[];
}

/**
 * Tags, labels and outputs for `request` without building: what `trunkline tags` prints and what
 * the build publishes before it starts. The commit time (label `created`, `SOURCE_DATE_EPOCH`)
 * is git's committer time of `event.sha` in `gitDir`, else the payload's `head_commit.timestamp`;
 * never the wall clock. The release history for "highest version" is `git tag --list` there
 * (unknown in a shallow clone). Throws `InputError` for an invalid image or tag.
 */
export async function computeBuildMetadata(request: MetadataRequest): Promise<BuildMetadata> {
  const ref = parseRepositoryRef(request.image, 'image');
  const notes: string[] = [];
  const policy: TagPolicy = { ...DEFAULT_TAG_POLICY, ...request.tagPolicy };
  // Started now, read after the commit facts: the git calls are independent. Never rejects.
  const knownTags = policy.knownVersions === undefined ? listTags(request.gitDir) : undefined;
  let event = request.event;
  if (!event) {
    const git = await readGitInfo(request.gitDir);
    if (!git) throw new InputError('context', `is not inside a git checkout (${request.gitDir}) and no event was given: commit time and SHA are unknown`);
    event = localEventContext({ sha: git.sha, commitTime: git.commitTime, branch: git.defaultBranch ?? git.branch, repository: repositoryFromRemoteUrl(git.remoteUrl) });
    notes.push(`Local checkout at ${git.sha.slice(0, 7)} treated as a push to its default branch ${event.ref.slice('refs/heads/'.length)}.`);
  } else {
    const fromGit = await commitTime(request.gitDir, event.sha);
    if (fromGit) event = { ...event, commitTime: fromGit.iso };
  }
  const known = await knownTags;
  if (known) policy.knownVersions = known;
  const computation = computeTags(event, policy);
  if (request.tags?.length) {
    const given = request.tags.map((t) => ({ tag: validateTag(t, 'tags'), reason: 'given by the caller' }));
    computation.tags = given.filter((t, i) => given.findIndex((g) => g.tag === t.tag) === i);
    computation.primary = given[0]!.tag;
    computation.labels[`${OCI}.version`] = computation.primary;
  }
  notes.push(...computation.notes);
  let sourceDateEpoch: number | undefined;
  const created = event.commitTime ? rfc3339(event.commitTime) : undefined;
  if (created) sourceDateEpoch = Math.floor(Date.parse(created) / 1000);
  else notes.push('Commit time unknown (no git history, no payload timestamp): no created label and no SOURCE_DATE_EPOCH.');

  const name = imageName(ref);
  const tags = computation.tags.map((t) => t.tag);
  const refs = tags.map((tag) => formatImageRef({ ...ref, tag }));
  const json: BuildJson = {
    image: name,
    tags,
    tag: computation.primary,
    'image-ref': refs[0]!,
    refs,
    labels: computation.labels,
    reasons: computation.tags,
    ...(computation.version ? { version: computation.version } : {}),
    event: {
      name: event.eventName,
      ref: event.ref,
      sha: event.sha,
      ...(event.pullRequest ? { 'pr-head-sha': event.pullRequest.headSha } : {}),
      ...(event.pullRequest?.mergeSha ? { 'pr-merge-sha': event.pullRequest.mergeSha } : {}),
    },
    ...(sourceDateEpoch !== undefined ? { 'source-date-epoch': sourceDateEpoch } : {}),
  };
  const outputs: BuildOutputs = { image: name, tags, tag: computation.primary, 'image-ref': refs[0]!, labels: labelLines(computation.labels), json };
  return { computation, event, json, outputs, ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}), notes };
}

interface ValidatedBuild {
  context: string;
  dockerfile: string;
  platforms: string[];
  cacheFrom: string[];
  cacheTo: string[];
  network?: string;
  target?: string;
  provenance?: string;
  buildArgs: Record<string, string>;
}

/** Every check that needs no builder: paths exist, options are well-formed. Throws `InputError`. */
export function validateBuildConfig(cfg: BuildConfig): ValidatedBuild {
  const base = cfg.cwd ?? process.cwd();
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const context = at(cfg.context);
  if (!existsSync(context) || !statSync(context).isDirectory()) throw new InputError('context', `directory ${JSON.stringify(cfg.context)} does not exist`);
  const dockerfile = cfg.dockerfile ? at(cfg.dockerfile) : join(context, 'Dockerfile');
  if (!existsSync(dockerfile) || !statSync(dockerfile).isFile()) {
    throw new InputError('dockerfile', `file ${JSON.stringify(cfg.dockerfile ?? join(cfg.context, 'Dockerfile'))} does not exist (resolved to ${dockerfile})`);
  }
  parseRepositoryRef(cfg.image, 'image');
  const platforms = parsePlatforms(cfg.platforms ?? []);
  if (platforms.length > 1 && !cfg.push) {
    throw new InputError('platforms', `lists ${platforms.length} platforms, which needs push: true (a local image store holds one platform per tag)`);
  }
  const out: ValidatedBuild = {
    context,
    dockerfile,
    platforms,
    cacheFrom: parseCacheSpecs(cfg.cacheFrom ?? [], 'cache-from'),
    cacheTo: parseCacheSpecs(cfg.cacheTo ?? [], 'cache-to'),
    buildArgs: validateBuildArgs(cfg.buildArgs ?? {}),
  };
  if (cfg.network) out.network = parseNetwork(cfg.network);
  if (cfg.target) out.target = parseTarget(cfg.target);
  if (cfg.provenance) out.provenance = parseProvenance(cfg.provenance);
  return out;
}

/** Refuses what the detected builder cannot do, before anything is built. */
function checkBuilderFit(builder: BuilderInfo, v: ValidatedBuild): void {
  if (builder.kind === 'buildx' || v.platforms.length === 0) return;
  const host = builder.serverPlatform;
  if (v.platforms.length > 1 || (host && v.platforms[0] !== host && !(host === 'linux/arm64' && v.platforms[0] === 'linux/arm64/v8'))) {
    throw new InputError('platforms', `asks for ${v.platforms.join(', ')} but the ${builder.kind} builder builds only for the daemon's platform ${host ?? '(unknown)'}; install buildx for other platforms`);
  }
}

/** The build's own job-summary sections (under `stageMarkdown`'s common header): image, tags and why, labels. */
function buildSections(meta: BuildMetadata, builder: BuilderInfo | undefined, imageId: string | undefined): SummarySection[] {
  return [
    { body: `Image \`${meta.json.image}\`${builder ? ` built by the **${builder.kind}** builder (${builder.version})` : ''}${imageId ? `: \`${imageId}\`` : ''}` },
    { body: markdownTable([['Tag', 'Why'], ...meta.computation.tags.map((t) => [`\`${t.tag}\``, t.reason])]) },
    { heading: 'Labels', collapsed: true, body: markdownTable([['Label', 'Value'], ...Object.entries(meta.computation.labels)]) },
  ];
}

/**
 * Runs the build stage. Order: validate inputs (InputError naming the input) → tags and labels →
 * `onMetadata` → builder detection and builder-specific checks → lint → build. Returns `passed`
 * with every output; `failed` (outputs other than `image-id`/`digest` still set) when lint or the
 * build fails, and for bad input (never throws: `runStage`). Build arguments the Dockerfile declares
 * get `APP_VERSION`/`GIT_SHA`/`SOURCE_DATE_EPOCH` from the event (`derivedBuildArgs`). The notes
 * say which builder ran; the job summary comes from `stageMarkdown` unless `jobSummary` is false.
 */
export async function runBuild(cfg: BuildConfig, log: Logger): Promise<StageResult<BuildOutputs>> {
  let meta: BuildMetadata | undefined;
  let builder: BuilderInfo | undefined;
  const result = await runStage<BuildOutputs>('build', async () => {
    const v = validateBuildConfig(cfg);
    meta = await computeBuildMetadata({
      image: cfg.image,
      ...(cfg.event ? { event: cfg.event } : {}),
      ...(cfg.tagPolicy ? { tagPolicy: cfg.tagPolicy } : {}),
      ...(cfg.tags ? { tags: cfg.tags } : {}),
      gitDir: v.context,
    });
    const m = meta;
    const notes = [...m.notes];
    await log.group('Tags', async () => {
      for (const t of m.computation.tags) log.info(`${t.tag}  (${t.reason})`);
    });
    await cfg.onMetadata?.(m.outputs);
    builder = await detectBuilder(cfg.builder ?? 'auto');
    checkBuilderFit(builder, v);
    notes.unshift(`Built with the ${builder.kind} builder (${builder.kind === 'buildx' ? 'buildx' : 'Docker client'} ${builder.version}).`);
    if (builder.kind !== 'buildx' && m.sourceDateEpoch !== undefined) {
      notes.push(`Commit time ${m.sourceDateEpoch} (SOURCE_DATE_EPOCH); the ${builder.kind} builder does not rewrite timestamps, so the image ID repeats through the layer cache: byte-identical rebuilds from a cold cache need buildx (BuildKit >= 0.11).`);
    }
    const fail = (error: string): StageBody<BuildOutputs> => ({ status: 'failed', outputs: m.outputs, findings: [], notes, error });

    if (cfg.lintCommand?.length) {
      cfg.onLint?.('start');
      let lint;
      try {
        lint = await runLint({ command: cfg.lintCommand, cwd: cfg.lintCwd ?? v.context }, log);
      } finally {
        cfg.onLint?.('end');
      }
      notes.push(...lint.notes);
      if (lint.status === 'failed') return fail(lint.error ?? 'lint failed');
    }
    const buildArgs = derivedBuildArgs(declaredBuildArgs(await readFile(v.dockerfile, 'utf8')), {
      version: m.computation.primary, sha: m.event.sha, ...(m.sourceDateEpoch !== undefined ? { sourceDateEpoch: m.sourceDateEpoch } : {}),
    }, v.buildArgs);
    const b = builder;
    let outcome;
    try {
      outcome = await log.group(`Build ${m.json['image-ref']}`, () => runDockerBuild(b, {
        context: v.context,
        dockerfile: v.dockerfile,
        refs: m.json.refs,
        labels: m.computation.labels,
        buildArgs,
        ...(v.target ? { target: v.target } : {}),
        ...(v.network ? { network: v.network } : {}),
        platforms: v.platforms,
        cacheFrom: v.cacheFrom,
        cacheTo: v.cacheTo,
        ...(v.provenance ? { provenance: v.provenance } : {}),
        ...(cfg.sbom !== undefined ? { sbom: cfg.sbom } : {}),
        push: cfg.push ?? false,
        ...(m.sourceDateEpoch !== undefined ? { sourceDateEpoch: m.sourceDateEpoch } : {}),
      }, log, cfg.timeoutMs));
    } catch (error) {
      return fail(`docker build failed: ${(error as Error).message}`);
    }
    notes.push(...outcome.notes);
    const json: BuildJson = { ...m.json, 'image-id': outcome.imageId, ...(outcome.digest ? { digest: outcome.digest } : {}), builder: b.kind };
    const outputs: BuildOutputs = { ...m.outputs, 'image-id': outcome.imageId, ...(outcome.digest ? { digest: outcome.digest } : {}), json };
    return { status: 'passed', outputs, findings: [], notes };
  }, { failedOutputs: () => (meta?.outputs ?? ({} as BuildOutputs)) });
  // The job summary is rendered after runStage so its header carries the measured time.
  if (cfg.jobSummary === false) return result;
  return { ...result, summaryMarkdown: stageMarkdown(result, meta ? buildSections(meta, builder, result.outputs['image-id']) : []) };
}
