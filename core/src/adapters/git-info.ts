import { git as gitCli } from './git.ts';

/**
 * Read-only facts about a local git checkout, for labels (`created`, `revision`), the
 * `SOURCE_DATE_EPOCH` of a build and the release history the tag policy consults. Every call goes
 * through the git adapter (`git.ts`: argument array, no prompts) in `dir`; nothing is written.
 */
export interface GitInfo {
  /** 40-hex `HEAD`. */
  sha: string;
  /** Committer time of `HEAD`, RFC 3339 with the committer's offset (git `%cI`). */
  commitTime: string;
  /** Committer time of `HEAD` in whole seconds since the Unix epoch (git `%ct`). */
  commitEpoch: number;
  /** Current branch; undefined when `HEAD` is detached. */
  branch?: string;
  /** The remote's default branch from `refs/remotes/origin/HEAD`, when the clone recorded it. */
  defaultBranch?: string;
  /** `remote.origin.url` as configured (may carry credentials: never log it raw). */
  remoteUrl?: string;
}

function git(dir: string, args: string[]) {
  return gitCli(args, { cwd: dir, allowFailure: true, timeoutMs: 30_000 });
}

/** Facts about `HEAD` of the checkout at `dir`; undefined when `dir` is not in a git work tree (or git is missing). */
export async function readGitInfo(dir: string): Promise<GitInfo | undefined> {
  let head;
  try {
    head = await git(dir, ['log', '-1', '--format=%H%n%ct%n%cI', 'HEAD']);
  } catch {
    return undefined; // git not installed, or `dir` does not exist
  }
  if (head.code !== 0) return undefined;
  const [sha, epoch, iso] = head.stdout.trim().split('\n');
  if (!sha || !epoch || !iso) return undefined;
  const info: GitInfo = { sha, commitEpoch: Number(epoch), commitTime: iso };
  // Independent read-only queries: run them side by side (this is on the build's start-up path).
  const [branch, originHead, remote] = await Promise.all([
    git(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']),
    git(dir, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']),
    git(dir, ['config', '--get', 'remote.origin.url']),
  ]);
  if (branch.code === 0 && branch.stdout.trim()) info.branch = branch.stdout.trim();
  if (originHead.code === 0 && originHead.stdout.trim().startsWith('origin/')) info.defaultBranch = originHead.stdout.trim().slice('origin/'.length);
  if (remote.code === 0 && remote.stdout.trim()) info.remoteUrl = remote.stdout.trim();
  return info;
}

/**
 * Committer time of `rev` in the checkout at `dir` as `{ iso, epoch }` (git `%cI`, `%ct`);
 * undefined when the commit is not present (e.g. a shallow clone of another commit).
 */
export async function commitTime(dir: string, rev: string): Promise<{ iso: string; epoch: number } | undefined> {
  if (!/^[0-9A-Za-z._/-]+$/.test(rev) || rev.startsWith('-')) return undefined;
  try {
    const r = await git(dir, ['log', '-1', '--format=%ct%n%cI', rev, '--']);
    const [epoch, iso] = r.stdout.trim().split('\n');
    return r.code === 0 && epoch && iso ? { iso, epoch: Number(epoch) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every tag name in the checkout (`git tag --list`), for the "highest release" decision; undefined
 * when the history is unknown: not a git work tree, or a shallow clone without tags (the default
 * `actions/checkout` fetch), where "no tags" would wrongly mean "first release".
 */
export async function listTags(dir: string): Promise<string[] | undefined> {
  try {
    const [tags, shallow] = await Promise.all([git(dir, ['tag', '--list']), git(dir, ['rev-parse', '--is-shallow-repository'])]);
    if (tags.code !== 0) return undefined;
    const names = tags.stdout.split('\n').map((t) => t.trim()).filter(Boolean);
    if (shallow.stdout.trim() === 'true' && names.length <= 1) return undefined;
    return names;
  } catch {
    return undefined;
  }
}
