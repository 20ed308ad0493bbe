/**
 * What the tag and label policies need to know about the event that triggered a build, read once
 * from a GitHub event (name, payload, `GITHUB_REF`, `GITHUB_SHA`) or from a local checkout.
 * Pure: callers read the payload file and git; this module only interprets values.
 */
export interface PullRequestInfo {
  number: number;
  /** The PR's head commit (`pull_request.head.sha`): the commit the author pushed. */
  headSha: string;
  /**
   * The synthetic merge commit the runner checks out for `pull_request` (`GITHUB_SHA`, ref
   * `refs/pull/<N>/merge`); for `pull_request_target` the payload's `merge_commit_sha` (may be absent).
   */
  mergeSha?: string;
  headRef?: string;
  baseRef?: string;
}

export interface ReleaseInfo {
  tagName: string;
  prerelease: boolean;
  draft: boolean;
}

export interface RepositoryInfo {
  /** `owner/name`. */
  fullName?: string;
  name?: string;
  /** `https://github.com/owner/name`: the OCI `source` and `url` labels. */
  htmlUrl?: string;
  description?: string;
  /** SPDX id from the payload's `repository.license.spdx_id` (GitHub's `NOASSERTION` dropped). */
  license?: string;
}

export interface EventContext {
  /** `push`, `pull_request`, `release`, `workflow_dispatch`, `schedule`, ... or `local`. */
  eventName: string;
  /** Full ref, e.g. `refs/heads/main`, `refs/tags/v1.2.3`, `refs/pull/7/merge`. */
  ref: string;
  /** 40-hex commit the workspace holds (`GITHUB_SHA`; `HEAD` locally). */
  sha: string;
  /** From the payload (`repository.default_branch`), never assumed; absent when unknown. */
  defaultBranch?: string;
  pullRequest?: PullRequestInfo;
  release?: ReleaseInfo;
  repository: RepositoryInfo;
  /** Commit time (ISO 8601) when the payload carries it (`head_commit.timestamp` on push). */
  commitTime?: string;
  /** Action field of the payload (`opened`, `synchronize`, `published`, ...). */
  action?: string;
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function repositoryInfo(payload: Json): RepositoryInfo {
  const repo = obj(payload.repository);
  if (!repo) return {};
  const spdx = str(obj(repo.license)?.spdx_id);
  const info: RepositoryInfo = {};
  const fullName = str(repo.full_name);
  const name = str(repo.name);
  const htmlUrl = str(repo.html_url);
  const description = str(repo.description);
  if (fullName) info.fullName = fullName;
  if (name) info.name = name;
  if (htmlUrl) info.htmlUrl = htmlUrl;
  if (description) info.description = description;
  if (spdx && spdx !== 'NOASSERTION') info.license = spdx;
  return info;
}

/**
 * Builds an `EventContext` from what the runner provides: `GITHUB_EVENT_NAME`, the JSON at
 * `GITHUB_EVENT_PATH`, `GITHUB_REF` and `GITHUB_SHA` (GitHub docs, "Events that trigger
 * workflows"). Facts come from the payload where the payload is authoritative:
 * - default branch: `repository.default_branch` (falls back to the legacy `master_branch`);
 * - pull requests: number and head SHA from `pull_request`; the merge SHA is `GITHUB_SHA` for
 *   `pull_request` (the runner checks out `refs/pull/N/merge`) and `pull_request.merge_commit_sha`
 *   for `pull_request_target` (whose `GITHUB_SHA` is the base branch);
 * - releases: `release.tag_name`, `prerelease`, `draft`;
 * - push: commit time from `head_commit.timestamp`.
 * `payload` may be `{}` (a `schedule` run carries almost nothing).
 */
export function eventContextFromGithub(eventName: string, payload: unknown, ref: string, sha: string): EventContext {
  const p = obj(payload) ?? {};
  const repo = obj(p.repository);
  const ctx: EventContext = { eventName, ref, sha, repository: repositoryInfo(p) };
  const defaultBranch = str(repo?.default_branch) ?? str(repo?.master_branch);
  if (defaultBranch) ctx.defaultBranch = defaultBranch;
  const action = str(p.action);
  if (action) ctx.action = action;
  const pr = obj(p.pull_request);
  if (pr && (eventName === 'pull_request' || eventName === 'pull_request_target' || eventName === 'pull_request_review')) {
    const head = obj(pr.head);
    const base = obj(pr.base);
    const number = typeof pr.number === 'number' ? pr.number : typeof p.number === 'number' ? p.number : undefined;
    const headSha = str(head?.sha);
    if (number !== undefined && headSha) {
      const info: PullRequestInfo = { number, headSha };
      const mergeSha = eventName === 'pull_request_target' ? str(pr.merge_commit_sha) : sha;
      if (mergeSha) info.mergeSha = mergeSha;
      const headRef = str(head?.ref);
      const baseRef = str(base?.ref);
      if (headRef) info.headRef = headRef;
      if (baseRef) info.baseRef = baseRef;
      ctx.pullRequest = info;
    }
  }
  const release = obj(p.release);
  // A release payload without `tag_name` (hand-written, or trimmed by a proxy) still names its tag in GITHUB_REF.
  const tagName = str(release?.tag_name) ?? (eventName === 'release' && ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined);
  if (eventName === 'release' && tagName) {
    ctx.release = { tagName, prerelease: release?.prerelease === true, draft: release?.draft === true };
  }
  const commitTime = str(obj(p.head_commit)?.timestamp);
  if (commitTime) ctx.commitTime = commitTime;
  return ctx;
}

/**
 * The event a local build stands for: a push of `HEAD` to the default branch (so the policy gives
 * `latest` and `sha-<7>`, as on trunk). `branch` is the checkout's branch (default `main`); it is
 * also taken as the default branch, because a local run has no payload to say otherwise.
 */
export function localEventContext(info: { sha: string; commitTime?: string; branch?: string; repository?: RepositoryInfo }): EventContext {
  const branch = info.branch ?? 'main';
  const ctx: EventContext = { eventName: 'push', ref: `refs/heads/${branch}`, sha: info.sha, defaultBranch: branch, repository: info.repository ?? {} };
  if (info.commitTime) ctx.commitTime = info.commitTime;
  return ctx;
}

/**
 * Fills repository facts a payload lacks (a `schedule` payload is only `{"schedule": cron}`) from
 * the runner's environment: `GITHUB_REPOSITORY` (`owner/name`) and `GITHUB_SERVER_URL`.
 * Returns a new context; facts the payload gave are kept.
 */
export function withRepositoryFromEnv(ctx: EventContext, env: Record<string, string | undefined>): EventContext {
  const fullName = env.GITHUB_REPOSITORY;
  if (!fullName || !/^[\w.-]+\/[\w.-]+$/.test(fullName)) return ctx;
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  return {
    ...ctx,
    repository: {
      fullName,
      name: fullName.split('/')[1],
      htmlUrl: `${server}/${fullName}`,
      ...ctx.repository,
    },
  };
}

/**
 * Repository facts from a git remote URL, for local builds: `https://host/owner/name(.git)`,
 * `ssh://git@host/owner/name.git` and scp-like `git@host:owner/name.git` give
 * `{ fullName, name, htmlUrl: https://host/owner/name }`. Credentials in the URL are dropped
 * (they must never reach an image label). Local paths and other forms give `{}`.
 */
export function repositoryFromRemoteUrl(url: string | undefined): RepositoryInfo {
  if (!url) return {};
  const m = /^(?:https?:\/\/(?:[^@/]*@)?|ssh:\/\/(?:[^@/]*@)?|[\w.-]+@)([\w.-]+(?::\d+)?)[:/]([\w.-]+\/[\w.-]+?)(?:\.git)?\/?$/.exec(url);
  if (!m) return {};
  const host = m[1]!.replace(/:\d+$/, '');
  const fullName = m[2]!;
  return { fullName, name: fullName.split('/')[1]!, htmlUrl: `https://${host}/${fullName}` };
}

/** Longest ref accepted (git has no limit; GitHub refuses refs over 255 bytes per component). */
const MAX_REF_LENGTH = 1024;

/**
 * Why `ref` is not a full git ref, or undefined when it is one. The rules are git's
 * (`git check-ref-format`, "refname rules"): starts with `refs/`; no control character, space,
 * `~ ^ : ? * [ \`; no `..`, `@{` or `//`; no component starting with `.` or ending with `.lock`;
 * not ending with `/` or `.`. So `refs/heads/my/feature#1245`, `refs/heads/renovate/@types-node-20.x`
 * and `refs/tags/v1.2.3+build.5` are refs, as GitHub hands them to an action.
 */
export function gitRefProblem(ref: string): string | undefined {
  if (ref.length > MAX_REF_LENGTH) return `is longer than ${MAX_REF_LENGTH} characters`;
  if (!ref.startsWith('refs/')) return 'must be a full ref starting with refs/, such as refs/heads/main';
  // eslint-disable-next-line no-control-regex
  const bad = /[\x00-\x20\x7f~^:?*[\\]/.exec(ref);
  if (bad) return `contains ${JSON.stringify(bad[0])}, which git does not allow in a ref`;
  if (ref.includes('..') || ref.includes('@{') || ref.includes('//')) return 'contains "..", "@{" or "//", which git does not allow in a ref';
  if (ref.endsWith('/') || ref.endsWith('.')) return 'must not end with "/" or "."';
  if (ref.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock'))) return 'has a component starting with "." or ending with ".lock"';
  return undefined;
}
