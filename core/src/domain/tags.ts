import semver from 'semver';
import type { EventContext } from './event-context.ts';
import { InputError } from './errors.ts';
import { validateTag, TAG_PATTERN } from './image-ref.ts';
import type { LabelOptions } from './labels.ts';
import { ociLabels } from './labels.ts';

/**
 * Trunkline's tag policy: which tags an image gets for a GitHub event, and why.
 *
 * | Event / ref                                   | Tags (first is primary)                             |
 * |-----------------------------------------------|-----------------------------------------------------|
 * | pull_request, pull_request_target             | `pr-<N>`, `sha-<7>` of the PR head (or merge commit)|
 * | push to the default branch (from the payload) | `sha-<7>`, `latest`, [`<branch>` with branch-tag]   |
 * | push of `v1.2.3` / `1.2.3` tag, `release/1.2.3` branch, release event | `1.2.3`, `1.2`, `1`, `latest` — floating tags and `latest` only when this is the highest release of their line; a prerelease gets only `1.2.3-rc.1` |
 * | push of a non-semver tag                      | the tag name (sanitized)                            |
 * | push to another branch                        | `sha-<7>`, `<branch>` (sanitized)                   |
 * | workflow_dispatch, repository_dispatch        | classified by `GITHUB_REF` exactly like a push      |
 * | schedule                                      | `nightly`                                           |
 * | anything else                                 | `sha-<7>` (never an empty list)                     |
 *
 * `0.x` versions get no `0` tag (semver §4: major version zero promises no stability).
 * Every tag is validated against the OCI tag grammar; an invalid one throws `InputError` naming
 * the input that produced it (`tag`, `extra-tags`, or the event's `GITHUB_REF`).
 */
export interface TagPolicy {
  /** Which commit `sha-<7>` names on a pull request: the head the author pushed (default) or the merge commit. */
  prSha: 'head' | 'merge';
  /** `auto`: the table above; `true`: also on every other non-prerelease build; `false`: never. */
  latest: 'auto' | 'true' | 'false';
  /** Also tag pushes to the default branch with the branch name. */
  branchTag: boolean;
  /**
   * Versions already released (git tag names; non-semver ones are ignored), used to decide
   * whether a version is the highest of its line. Undefined: unknown, assume it is the highest.
   */
  knownVersions?: readonly string[];
  /** Explicit tag (input `tag`): added first and made primary. */
  tag?: string;
  /** More tags (input `extra-tags`), added after the computed ones. */
  extraTags?: readonly string[];
  /** Label overrides and defaults (inputs `labels`, `licenses`, `title`). */
  labels?: Omit<LabelOptions, 'version'>;
}

export const DEFAULT_TAG_POLICY: TagPolicy = { prSha: 'head', latest: 'auto', branchTag: false };

export interface TagEntry {
  tag: string;
  /** Why the tag was made, in words for the job summary. */
  reason: string;
}

export interface TagComputation {
  /** Deduplicated, primary first. Never empty. */
  tags: TagEntry[];
  /** The one tag the next step should use (`tag` output, `version` label). */
  primary: string;
  /** The semantic version when the event names one (`1.2.3`, `1.2.3-rc.1`). */
  version?: string;
  /** OCI labels, sorted by key. */
  labels: Record<string, string>;
  /** Decisions a reader may wonder about (why no `latest`, what was sanitized). */
  notes: string[];
}

/** `sha-` + the first 7 hex digits (Git's default abbreviation length). */
export function shaTag(sha: string): string {
  if (!/^[0-9a-f]{7,64}$/i.test(sha)) throw new InputError('sha', `must be a hex commit id (got ${JSON.stringify(sha)})`);
  return `sha-${sha.slice(0, 7).toLowerCase()}`;
}

/**
 * Turns free text (a branch or git tag name) into a valid tag: every run of characters outside
 * `[A-Za-z0-9._-]` becomes `-`, leading and trailing `.`/`-` are dropped, and the result is cut to
 * 128 characters. Returns undefined when nothing is left.
 */
export function sanitizeTag(text: string): string | undefined {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '').slice(0, 128);
  return cleaned.length ? cleaned : undefined;
}

/** The version a git tag or release branch name carries (`v1.2.3`, `1.2.3`), or undefined. */
export function versionFromName(name: string): semver.SemVer | undefined {
  const text = name.replace(/^[vV](?=\d)/, '');
  return semver.parse(text) ?? undefined;
}

class TagList {
  readonly entries: TagEntry[] = [];
  add(tag: string, reason: string, inputName: string): void {
    validateTag(tag, inputName);
    const existing = this.entries.find((e) => e.tag === tag);
    if (existing) existing.reason = `${existing.reason}; ${reason}`;
    else this.entries.push({ tag, reason });
  }
  remove(tag: string): void {
    const i = this.entries.findIndex((e) => e.tag === tag);
    if (i >= 0) this.entries.splice(i, 1);
  }
  has(tag: string): boolean {
    return this.entries.some((e) => e.tag === tag);
  }
}

interface Classified {
  primary: string;
  version?: semver.SemVer;
  prerelease: boolean;
}

/** Is `v` at least every known stable version that `sameLine` selects? */
function highest(v: semver.SemVer, known: readonly semver.SemVer[] | undefined, sameLine: (k: semver.SemVer) => boolean): boolean {
  if (!known) return true;
  return known.filter((k) => k.prerelease.length === 0 && sameLine(k)).every((k) => semver.gte(v, k));
}

function addVersionTags(list: TagList, v: semver.SemVer, forcedPrerelease: boolean, source: string, policy: TagPolicy, notes: string[]): Classified {
  const full = v.version; // without build metadata: `+` is not allowed in a tag
  if (v.build.length) notes.push(`Build metadata "+${v.build.join('.')}" dropped from ${source}: "+" is not allowed in a tag.`);
  list.add(full, `version from ${source}`, 'GITHUB_REF');
  const prerelease = forcedPrerelease || v.prerelease.length > 0;
  if (prerelease) {
    notes.push(`${full} is a prerelease${forcedPrerelease && !v.prerelease.length ? ' (the release is marked prerelease)' : ''}: no floating tags and no latest.`);
    return { primary: full, version: v, prerelease };
  }
  const known = policy.knownVersions?.map((n) => versionFromName(n)).filter((k): k is semver.SemVer => k !== undefined);
  if (!known) notes.push(`No release history was given (git tags unavailable, e.g. a shallow clone): ${full} is assumed to be the highest release.`);
  if (highest(v, known, (k) => k.major === v.major && k.minor === v.minor)) {
    list.add(`${v.major}.${v.minor}`, `highest release of ${v.major}.${v.minor}.x`, 'GITHUB_REF');
  } else {
    notes.push(`No ${v.major}.${v.minor} tag: a higher ${v.major}.${v.minor}.x release exists.`);
  }
  if (v.major === 0) notes.push(`No "0" tag: 0.x versions promise no compatibility (semver §4).`);
  else if (highest(v, known, (k) => k.major === v.major)) list.add(`${v.major}`, `highest release of ${v.major}.x`, 'GITHUB_REF');
  else notes.push(`No ${v.major} tag: a higher ${v.major}.x release exists.`);
  if (policy.latest === 'auto') {
    if (highest(v, known, () => true)) list.add('latest', `highest release (${full})`, 'GITHUB_REF');
    else notes.push(`No latest: a higher release than ${full} exists.`);
  }
  return { primary: full, version: v, prerelease };
}

function addBranchTags(list: TagList, event: EventContext, branch: string, policy: TagPolicy, notes: string[]): Classified {
  const release = /^release\/(.+)$/.exec(branch);
  const releaseVersion = release ? versionFromName(release[1]!) : undefined;
  if (releaseVersion) return addVersionTags(list, releaseVersion, false, `release branch ${branch}`, policy, notes);
  const sha = shaTag(event.sha);
  list.add(sha, `commit ${event.sha.slice(0, 7)} on ${branch}`, 'GITHUB_SHA');
  if (event.defaultBranch === undefined) {
    notes.push('The event payload names no default branch (repository.default_branch): no latest.');
  }
  if (branch === event.defaultBranch) {
    if (policy.latest === 'auto') list.add('latest', `push to the default branch ${branch}`, 'GITHUB_REF');
    if (policy.branchTag) addSanitized(list, branch, `default branch ${branch} (branch-tag)`, notes);
  } else {
    addSanitized(list, branch, `branch ${branch}`, notes);
  }
  return { primary: sha, prerelease: false };
}

function addSanitized(list: TagList, name: string, reason: string, notes: string[]): string | undefined {
  const tag = sanitizeTag(name);
  if (tag === undefined) {
    notes.push(`${JSON.stringify(name)} has no character usable in a tag; no tag made from it.`);
    return undefined;
  }
  if (tag !== name) notes.push(`${JSON.stringify(name)} was sanitized to ${tag} (a tag must match ${TAG_PATTERN}).`);
  list.add(tag, reason, 'GITHUB_REF');
  return tag;
}

function classifyRef(list: TagList, event: EventContext, policy: TagPolicy, notes: string[]): Classified {
  const ref = event.ref;
  if (ref.startsWith('refs/tags/')) {
    const name = ref.slice('refs/tags/'.length);
    const v = versionFromName(name);
    if (v) return addVersionTags(list, v, false, `tag ${name}`, policy, notes);
    const tag = addSanitized(list, name, `git tag ${name} (not a semantic version)`, notes);
    if (tag) return { primary: tag, prerelease: false };
  } else if (ref.startsWith('refs/heads/')) {
    return addBranchTags(list, event, ref.slice('refs/heads/'.length), policy, notes);
  }
  const sha = shaTag(event.sha);
  list.add(sha, `commit ${event.sha.slice(0, 7)} (fallback for ${event.eventName} on ${ref || 'no ref'})`, 'GITHUB_SHA');
  return { primary: sha, prerelease: false };
}

function pullRequestTags(list: TagList, event: EventContext, policy: TagPolicy): Classified {
  const pr = event.pullRequest!;
  const primary = `pr-${pr.number}`;
  list.add(primary, `pull request #${pr.number}`, 'GITHUB_REF');
  if (policy.prSha === 'merge') {
    if (!pr.mergeSha) throw new InputError('pr-sha', `is "merge" but the ${event.eventName} payload has no merge commit; use "head"`);
    list.add(shaTag(pr.mergeSha), `merge commit ${pr.mergeSha.slice(0, 7)} of pull request #${pr.number} (pr-sha: merge)`, 'GITHUB_SHA');
  } else {
    list.add(shaTag(pr.headSha), `head commit ${pr.headSha.slice(0, 7)} of pull request #${pr.number}`, 'pull_request.head.sha');
  }
  return { primary, prerelease: false };
}

/** The pull request number from `refs/pull/<N>/merge` when the payload lacks one. */
function prNumberFromRef(ref: string): number | undefined {
  const m = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(ref);
  return m ? Number(m[1]) : undefined;
}

/**
 * Computes the tags (each with its reason), the primary tag and the OCI labels for `event` under
 * `policy` (see the table on `TagPolicy`). Pure and deterministic: the same event and policy give
 * the same result. Throws `InputError` naming the input behind an invalid tag.
 */
export function computeTags(event: EventContext, policy: TagPolicy = DEFAULT_TAG_POLICY): TagComputation {
  const list = new TagList();
  const notes: string[] = [];
  let classified: Classified;
  const name = event.eventName;
  const prFromRef = name === 'pull_request' ? prNumberFromRef(event.ref) : undefined;
  if ((name === 'pull_request' || name === 'pull_request_target' || name === 'pull_request_review') && event.pullRequest) {
    classified = pullRequestTags(list, event, policy);
    if (name === 'pull_request_target') notes.push('pull_request_target runs with the base repository\'s secrets: build untrusted PR code only with care.');
  } else if (prFromRef !== undefined) {
    const n = prFromRef;
    list.add(`pr-${n}`, `pull request #${n} (from ${event.ref})`, 'GITHUB_REF');
    list.add(shaTag(event.sha), `commit ${event.sha.slice(0, 7)} (payload has no head SHA)`, 'GITHUB_SHA');
    classified = { primary: `pr-${n}`, prerelease: false };
  } else if (name === 'release' && event.release) {
    const v = versionFromName(event.release.tagName);
    if (v) {
      classified = addVersionTags(list, v, event.release.prerelease, `release ${event.release.tagName}`, policy, notes);
    } else {
      const tag = addSanitized(list, event.release.tagName, `release ${event.release.tagName} (not a semantic version)`, notes);
      classified = tag ? { primary: tag, prerelease: event.release.prerelease } : classifyRef(list, event, policy, notes);
    }
  } else if (name === 'schedule') {
    list.add('nightly', 'scheduled build', 'GITHUB_EVENT_NAME');
    classified = { primary: 'nightly', prerelease: false };
  } else if (name === 'push' || name === 'workflow_dispatch' || name === 'repository_dispatch' || name === 'create') {
    classified = classifyRef(list, event, policy, notes);
  } else {
    const sha = shaTag(event.sha);
    list.add(sha, `commit ${event.sha.slice(0, 7)} (fallback for event ${name})`, 'GITHUB_SHA');
    classified = { primary: sha, prerelease: false };
  }

  if (policy.latest === 'true' && !classified.prerelease) list.add('latest', 'latest: true', 'latest');
  if (policy.latest === 'false') list.remove('latest');
  if (policy.latest === 'true' && classified.prerelease) notes.push('latest: true ignored: prereleases never get latest.');
  for (const extra of policy.extraTags ?? []) list.add(extra, 'input extra-tags', 'extra-tags');
  let primary = classified.primary;
  if (policy.tag !== undefined) {
    if (/[\r\n]/.test(policy.tag)) throw new InputError('tag', `must be a single tag on one line (got ${JSON.stringify(policy.tag)}); use extra-tags for more`);
    validateTag(policy.tag, 'tag');
    list.add(policy.tag, 'input tag', 'tag');
    primary = policy.tag;
  }
  // Primary first: `image-ref` is "the first full reference" and must be the primary one.
  const tags = [...list.entries.filter((e) => e.tag === primary), ...list.entries.filter((e) => e.tag !== primary)];
  if (!list.has('latest') && policy.latest !== 'false' && !notes.some((n) => n.includes('latest'))) {
    notes.push(`No latest: ${name} on ${event.ref || 'no ref'} is not a push to the default branch or the highest release.`);
  }
  const labels = ociLabels(event, { ...policy.labels, version: primary });
  const result: TagComputation = { tags, primary, labels, notes };
  if (classified.version) result.version = classified.version.version;
  return result;
}
