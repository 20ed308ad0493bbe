import { randomUUID } from 'node:crypto';
import type { Logger } from '../report/logger.ts';
import type { RunOptions, RunResult } from './process.ts';
import { run } from './process.ts';
import { InputError } from '../domain/errors.ts';
import { classifyGitPushRejection } from '../domain/push-rejection.ts';
import { globMatcher, globPrefix } from '../domain/bump-files.ts';

/**
 * The git CLI, and a `CommitStore` over a local clone.
 *
 * Every call is `git <argv array>` through `run` (no shell). Credentials never reach argv: an HTTPS
 * token travels as an `http.<origin>.extraheader` set through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
 * `GIT_CONFIG_VALUE_n` environment variables (git-config(1), "ENVIRONMENT"), and is masked in logs.
 * Nothing here ever force-pushes: pushes use a plain refspec (no `+`, no `--force*`), so the
 * remote refuses anything that is not a fast-forward.
 */

/** A file as stored in a commit: repository-relative POSIX path, exact bytes, git file mode. */
export interface RepoFile {
  path: string;
  content: Buffer;
  /** `100644` or `100755`. */
  mode: string;
}

export interface GitAuthor {
  name: string;
  email: string;
}

/** One commit as a bump reports it: full SHA, author, first line of the message. */
export interface CommitInfo {
  sha: string;
  author: GitAuthor;
  subject: string;
}

/** At most this many commits are listed by `commitsBetween` (a bump branch is short; a warning needs a few names). */
export const COMMITS_LISTED = 50;

/**
 * `updated`: the branch now points at the commit. `rejected`: it moved meanwhile (re-read and
 * retry). Any other refusal (protected branch, rule, hook, permission) throws `PushRefusedError`.
 */
export type BranchUpdate = 'updated' | 'rejected';

/** The server refused a branch update for a reason a retry cannot change (domain/push-rejection.ts). */
export class PushRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PushRefusedError';
  }
}

/**
 * Where a bump reads files from and writes commits to: a local clone pushing to its remote
 * (`LocalGitStore`) or a GitHub repository through the Git Data API (`GitHubCommitStore`).
 * Branch names are short (`main`, `trunkline/bump/app`); commits are 40-hex SHAs.
 */
export interface CommitStore {
  /** For logs: `origin of /work/gitops` or `github.com/acme/gitops`. */
  readonly description: string;
  /** The remote's default branch (its HEAD), or undefined when it cannot be told. */
  defaultBranch(): Promise<string | undefined>;
  /** The remote head of `branch` (fetched locally when needed), or undefined when it does not exist. */
  branchHead(branch: string): Promise<string | undefined>;
  /** True when `ancestor` is `descendant` or one of its ancestors. */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Commits reachable from `head` but not from `base` (`git log base..head`), newest first, at most `COMMITS_LISTED`. */
  commitsBetween(base: string, head: string): Promise<CommitInfo[]>;
  /** Files of `commit` matching any glob (`globMatcher`: the same picomatch rules in every mode), sorted. */
  listFiles(commit: string, globs: readonly string[]): Promise<string[]>;
  /** The regular files among `paths` in `commit`; missing paths are absent from the map. Symlinks throw. */
  readFiles(commit: string, paths: readonly string[]): Promise<Map<string, RepoFile>>;
  /** Writes a commit with `parent` as its only parent and `files` replacing existing entries. */
  commit(parent: string, files: readonly RepoFile[], message: string, author?: GitAuthor): Promise<string>;
  /** Moves `branch` from `expected` (undefined: create it) to `sha`, fast-forward only. Throws `PushRefusedError` when refused for good. */
  updateBranch(branch: string, sha: string, expected: string | undefined): Promise<BranchUpdate>;
}

export interface GitOptions extends Omit<RunOptions, 'cwd'> {
  cwd: string;
}

/** Environment every git call gets: no prompts (a missing credential fails fast), stable messages. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' };

/** Runs `git <args>` in `options.cwd`; rejects with `ProcessError` on failure (see `run`). */
export function git(args: readonly string[], options: GitOptions): Promise<RunResult> {
  return run('git', args, { ...options, env: { ...GIT_ENV, ...options.env } });
}

/**
 * Files changed on HEAD's side since it forked from `ref`: `git diff --name-only <ref>...HEAD`
 * (three dots: against the merge base, git-diff(1)), limited to `cwd` and relative to it
 * (`--relative`), as POSIX paths. Throws `InputError("changed-since")` when `ref` is not a commit
 * (or looks like an option), and a plain `Error` when there is no merge base (a shallow clone).
 */
export async function changedFilesSince(ref: string, cwd: string): Promise<string[]> {
  if (!ref || ref.startsWith('-') || /[\s\0]/.test(ref)) throw new InputError('changed-since', `must be a git revision such as HEAD~1, origin/main or a commit SHA (got "${ref}")`);
  const commit = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, allowFailure: true, timeoutMs: 30_000 });
  if (commit.code !== 0) throw new InputError('changed-since', `must name a commit of the repository at ${cwd} (got "${ref}"; fetch it first in a shallow clone)`);
  const diff = await git(['diff', '--name-only', '--relative', '-z', `${commit.stdout.trim()}...HEAD`], { cwd, timeoutMs: 60_000 });
  return diff.stdout.split('\0').filter(Boolean);
}

/**
 * Environment that makes git send `Authorization: basic base64(x-access-token:<token>)` to the
 * remote's origin (how actions/checkout authenticates), appended after any `GIT_CONFIG_COUNT`
 * entries already present. Returns the env and the strings to mask.
 */
export function gitTokenEnv(remoteUrl: string, token: string, baseEnv: NodeJS.ProcessEnv = process.env): { env: NodeJS.ProcessEnv; secrets: string[] } {
  const url = new URL(remoteUrl);
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  const index = Number(baseEnv.GIT_CONFIG_COUNT ?? 0) || 0;
  return {
    env: {
      GIT_CONFIG_COUNT: String(index + 1),
      [`GIT_CONFIG_KEY_${index}`]: `http.${url.origin}/.extraheader`,
      [`GIT_CONFIG_VALUE_${index}`]: `AUTHORIZATION: basic ${basic}`,
    },
    secrets: [token, basic],
  };
}

const MISSING_REF = /couldn't find remote ref|no such ref|not our ref/i;

/**
 * A local clone as a `CommitStore`: remote heads are fetched into private temporary refs
 * (`refs/trunkline/tmp/<uuid>`, deleted after reading) so that concurrent bumps in one clone do
 * not fight over `FETCH_HEAD` or remote-tracking refs; commits are built with plumbing
 * (`hash-object`, `mktree` along the changed paths only, `commit-tree`) so the index and working
 * tree are untouched until `syncLocalBranch`.
 */
export class LocalGitStore implements CommitStore {
  readonly cwd: string;
  readonly remote: string;
  readonly description: string;
  private readonly log: Logger | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly secrets: string[];

  constructor(cwd: string, remote: string, options: { log?: Logger; env?: NodeJS.ProcessEnv; secrets?: string[] } = {}) {
    this.cwd = cwd;
    this.remote = remote;
    this.description = `${remote} of ${cwd}`;
    this.log = options.log;
    this.env = options.env ?? {};
    this.secrets = options.secrets ?? [];
  }

  /** `git <args>` in the clone with this store's auth environment. */
  git(args: readonly string[], options: Omit<RunOptions, 'cwd'> = {}): Promise<RunResult> {
    const opts: GitOptions = { ...options, cwd: this.cwd, env: { ...this.env, ...options.env }, secrets: [...this.secrets, ...(options.secrets ?? [])] };
    this.log?.debug(`git ${args.join(' ')}`);
    return git(args, opts);
  }

  /** The top of the working tree (`git rev-parse --show-toplevel`), or undefined outside a clone. */
  async topLevel(): Promise<string | undefined> {
    const r = await this.git(['rev-parse', '--show-toplevel'], { allowFailure: true });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** The URL of the remote (`git remote get-url`). */
  async remoteUrl(): Promise<string> {
    return (await this.git(['remote', 'get-url', '--', this.remote])).stdout.trim();
  }

  /** The checked-out branch, or undefined on a detached HEAD. */
  async currentBranch(): Promise<string | undefined> {
    const r = await this.git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowFailure: true });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** The commit `rev` names (`HEAD`, a branch, a SHA). */
  async revParse(rev: string): Promise<string> {
    return (await this.git(['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`])).stdout.trim();
  }

  async defaultBranch(): Promise<string | undefined> {
    const r = await this.git(['ls-remote', '--symref', '--', this.remote, 'HEAD'], { allowFailure: true });
    return /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(r.stdout)?.[1];
  }

  async branchHead(branch: string): Promise<string | undefined> {
    const tmp = `refs/trunkline/tmp/${randomUUID()}`;
    const r = await this.git(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--', this.remote, `refs/heads/${branch}:${tmp}`], { allowFailure: true });
    if (r.code !== 0) {
      if (MISSING_REF.test(r.stderr)) return undefined;
      throw new Error(`git fetch ${this.remote} ${branch} failed: ${r.stderr.trim()}`);
    }
    try {
      return (await this.git(['rev-parse', '--verify', tmp])).stdout.trim();
    } finally {
      await this.git(['update-ref', '-d', tmp], { allowFailure: true });
    }
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await this.git(['merge-base', '--is-ancestor', ancestor, descendant], { allowFailure: true });
    if (r.code > 1) throw new Error(`git merge-base --is-ancestor failed: ${r.stderr.trim()}`);
    return r.code === 0;
  }

  async commitsBetween(base: string, head: string): Promise<CommitInfo[]> {
    // NUL-separated fields and records: names and subjects may hold any other character.
    const r = await this.git(['log', '-z', `--max-count=${COMMITS_LISTED}`, '--format=%H%x00%an%x00%ae%x00%s', `${base}..${head}`, '--']);
    const f = r.stdout.split('\0');
    const out: CommitInfo[] = [];
    for (let i = 0; i + 3 < f.length; i += 4) out.push({ sha: f[i]!.trim(), author: { name: f[i + 1]!, email: f[i + 2]! }, subject: f[i + 3]! });
    return out;
  }

  async listFiles(commit: string, globs: readonly string[]): Promise<string[]> {
    // Only the static prefix of each glob is listed, so a 5,000-file repository is not walked
    // for `apps/sample/*.yaml`.
    const prefixes = [...new Set(globs.map(globPrefix))];
    const args = ['ls-tree', '-r', '-z', '--name-only', commit, '--', ...(prefixes.includes('') ? [] : prefixes)];
    const names = (await this.git(args)).stdout.split('\0').filter(Boolean);
    return names.filter(globMatcher(globs)).sort();
  }

  async readFiles(commit: string, paths: readonly string[]): Promise<Map<string, RepoFile>> {
    const out = new Map<string, RepoFile>();
    if (!paths.length) return out;
    const listing = (await this.git(['ls-tree', '-z', '--full-tree', commit, '--', ...paths])).stdout.split('\0').filter(Boolean);
    const entries: Array<{ path: string; mode: string; sha: string }> = [];
    for (const line of listing) {
      const m = /^(\d{6}) (\w+) ([0-9a-f]{40,64})\t(.*)$/s.exec(line);
      if (!m) continue;
      const [, mode, type, sha, path] = m;
      if (!paths.includes(path!)) continue;
      if (mode === '120000') throw new Error(`${path} is a symbolic link in ${commit.slice(0, 12)}; a bump edits regular files only`);
      if (type !== 'blob') continue;
      entries.push({ path: path!, mode: mode!, sha: sha! });
    }
    if (!entries.length) return out;
    const batch = await this.git(['cat-file', '--batch'], { input: entries.map((e) => `${e.sha}\n`).join(''), binary: true });
    let buf = batch.stdoutBuffer ?? Buffer.alloc(0);
    for (const e of entries) {
      const nl = buf.indexOf(0x0a);
      const header = buf.subarray(0, nl).toString('utf8');
      const size = Number(/ blob (\d+)$/.exec(header)?.[1]);
      if (!Number.isFinite(size)) throw new Error(`git cat-file: unexpected header "${header}" for ${e.path}`);
      out.set(e.path, { path: e.path, mode: e.mode, content: Buffer.from(buf.subarray(nl + 1, nl + 1 + size)) });
      buf = buf.subarray(nl + 1 + size + 1);
    }
    return out;
  }

  /** Writes the tree of `treeSha` with `changes` (paths relative to it) applied; only changed paths are walked. */
  private async writeTree(treeSha: string, changes: Map<string, { mode: string; sha: string }>): Promise<string> {
    const entries = (await this.git(['ls-tree', '-z', treeSha])).stdout.split('\0').filter(Boolean).map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, sha] = line.slice(0, tab).split(' ');
      return { mode: mode!, type: type!, sha: sha!, name: line.slice(tab + 1) };
    });
    const subdirs = new Map<string, Map<string, { mode: string; sha: string }>>();
    for (const [path, blob] of changes) {
      const slash = path.indexOf('/');
      if (slash < 0) {
        const entry = entries.find((e) => e.name === path && e.type === 'blob');
        if (!entry) throw new Error(`${path} does not exist in the parent tree; a bump never creates files`);
        entry.sha = blob.sha;
        entry.mode = blob.mode;
      } else {
        const dir = path.slice(0, slash);
        const sub = subdirs.get(dir) ?? new Map();
        sub.set(path.slice(slash + 1), blob);
        subdirs.set(dir, sub);
      }
    }
    for (const [dir, sub] of subdirs) {
      const entry = entries.find((e) => e.name === dir && e.type === 'tree');
      if (!entry) throw new Error(`${dir}/ does not exist in the parent tree; a bump never creates files`);
      entry.sha = await this.writeTree(entry.sha, sub);
    }
    const input = entries.map((e) => `${e.mode} ${e.type} ${e.sha}\t${e.name}\0`).join('');
    return (await this.git(['mktree', '-z'], { input })).stdout.trim();
  }

  async commit(parent: string, files: readonly RepoFile[], message: string, author?: GitAuthor): Promise<string> {
    const changes = new Map<string, { mode: string; sha: string }>();
    for (const f of files) {
      const sha = (await this.git(['hash-object', '-w', '--stdin'], { input: f.content })).stdout.trim();
      changes.set(f.path, { mode: f.mode, sha });
    }
    const parentTree = (await this.git(['rev-parse', '--verify', `${parent}^{tree}`])).stdout.trim();
    const tree = await this.writeTree(parentTree, changes);
    const identity: NodeJS.ProcessEnv = author
      ? { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email }
      : {};
    return (await this.git(['commit-tree', tree, '-p', parent, '-F', '-'], { input: message, env: identity })).stdout.trim();
  }

  async updateBranch(branch: string, sha: string, _expected: string | undefined): Promise<BranchUpdate> {
    // Plain refspec: the remote accepts only a fast-forward from its current head. `_expected` is
    // implied: `sha` descends from it, so if the branch moved meanwhile the push is rejected.
    const r = await this.git(['push', '--porcelain', '--no-verify', '--', this.remote, `${sha}:refs/heads/${branch}`], { allowFailure: true });
    if (r.code === 0) return 'updated';
    const rejection = classifyGitPushRejection(`${r.stdout}\n${r.stderr}`, branch, this.description);
    if (rejection?.race) return 'rejected';
    if (rejection) throw new PushRefusedError(rejection.message);
    throw new Error(`git push ${this.remote} ${branch} failed: ${(r.stderr || r.stdout).trim()}`);
  }

  /**
   * After a successful push, brings the clone up to date without losing anything: the
   * remote-tracking ref is set; a checked-out `branch` with a clean working tree is fast-forwarded
   * (`merge --ff-only`); a local `branch` that is not checked out is moved only when that is a
   * fast-forward. Returns a sentence saying what happened.
   */
  async syncLocalBranch(branch: string, sha: string): Promise<string> {
    await this.git(['update-ref', `refs/remotes/${this.remote}/${branch}`, sha], { allowFailure: true });
    const current = await this.currentBranch();
    const local = await this.git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { allowFailure: true });
    const localSha = local.code === 0 ? local.stdout.trim() : undefined;
    if (localSha === sha) return `local branch ${branch} already at ${sha.slice(0, 7)}`;
    if (localSha && !(await this.isAncestor(localSha, sha))) return `local branch ${branch} has other commits; left as it is`;
    if (current === branch) {
      const dirty = (await this.git(['status', '--porcelain', '--untracked-files=no'])).stdout.trim();
      if (dirty) return `working tree of ${branch} has local changes; not fast-forwarded (the push landed)`;
      await this.git(['merge', '--ff-only', '--quiet', sha]);
      return `working tree fast-forwarded to ${sha.slice(0, 7)}`;
    }
    await this.git(['update-ref', `refs/heads/${branch}`, sha, ...(localSha ? [localSha] : [''])]);
    return `local branch ${branch} set to ${sha.slice(0, 7)}`;
  }
}
