import { glob, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { Logger } from '../report/logger.ts';
import type { StageResult, StageStatus } from '../report/result.ts';
import { failedFromError, timed } from '../report/result.ts';
import { writeFileAtomic } from '../adapters/atomic-file.ts';
import { markdownTable, statusIcon } from '../report/render.ts';
import { InputError } from '../domain/errors.ts';
import { assertEventAllowed } from '../domain/privileged-event.ts';
import type { BumpConfig } from '../domain/bump-config.ts';
import { bumpTargets } from '../domain/bump-config.ts';
import type { ImageTarget } from '../domain/bump-targets.ts';
import { bumpBranchName, isForbiddenPath, isGlob } from '../domain/bump-targets.ts';
import type { ScalarEdit, SpliceResult } from '../domain/yaml-splice.ts';
import { BumpTargetError, describeNoMatch, spliceImageTags } from '../domain/yaml-splice.ts';
import type { CommitStore, RepoFile } from '../adapters/git.ts';
import { LocalGitStore, gitTokenEnv } from '../adapters/git.ts';
import type { PullRequest } from '../adapters/github.ts';
import { withRetry } from '../adapters/retry.ts';

export { resolveBumpConfig } from '../domain/bump-config.ts';

/**
 * The GitOps bump stage: set image tags (and digests) in a Flux repository's HelmRelease, values
 * or kustomization files, changing only the target scalars (`spliceImageTags`), then, by `mode`:
 * `none` write the files in place; `push` commit and push to a branch; `pr` push to a fixed branch
 * and create or update its one pull request; `api` the same through GitHub's Git Data API.
 *
 * Git side rules (docs/gitops.md, "Git side rules"): no change → no commit, no PR,
 * `changed=false`; every commit is made against an explicit parent and the branch only moves by
 * fast-forward; when it moved meanwhile the files are re-read at the new head, the edit re-applied
 * and the update retried (`maxRetries`, jittered exponential back-off); never a force-push.
 */

export const BUMP_STAGE = 'gitops-bump';

/** Step outputs of action-gitops-bump (same keys in `.trunkline/summary.json`). */
export type BumpOutputs = {
  /** True when a file changed (and, beyond mode `none`, a commit landed). */
  changed: boolean;
  /** Changed files, relative to `path`. */
  files: string[];
  /** Tag found before the bump (first match), without any `@digest`. */
  'old-tag': string;
  'new-tag': string;
  /** The new commit, '' when none was made. */
  'commit-sha': string;
  'pr-number': string;
  'pr-url': string;
};

interface FilePlan {
  file: RepoFile;
  after: Buffer;
  result: SpliceResult;
}

interface BumpPlan {
  examined: FilePlan[];
  changed: FilePlan[];
  warnings: string[];
}

/** What each mode hands back to `runBump`. */
interface ModeOutcome {
  plan: BumpPlan;
  outputs: BumpOutputs;
  headline: string;
}

interface CommitOutcome {
  plan: BumpPlan;
  /** The commit the edit was applied to. */
  parent: string;
  /** The branch head before this run (undefined: the branch did not exist). */
  head: string | undefined;
  commit?: string;
  attempts: number;
}

/** Thrown inside the retry loop when the branch moved between reading and updating it. */
class BranchMovedError extends Error {
  constructor(branch: string) {
    super(`branch ${branch} moved while the bump was being committed`);
    this.name = 'BranchMovedError';
  }
}

/**
 * Applies the splice to every file; an explicitly named file without a match and a target found
 * nowhere are errors naming what the files do hold. Throws `BumpTargetError`.
 */
function planBump(files: readonly RepoFile[], explicit: ReadonlySet<string>, cfg: Pick<BumpConfig, 'kind' | 'keyPath'>, targets: readonly ImageTarget[]): BumpPlan {
  const examined: FilePlan[] = [];
  const matchedTargets = new Set<string>();
  const warnings: string[] = [];
  for (const file of files) {
    const text = file.content.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(file.content)) throw new BumpTargetError(`${file.path}: not valid UTF-8; refusing to edit it`);
    let result: SpliceResult;
    try {
      result = spliceImageTags(text, { kind: cfg.kind, targets, ...(cfg.keyPath ? { keyPath: cfg.keyPath } : {}) });
    } catch (error) {
      if (error instanceof BumpTargetError) throw new BumpTargetError(`${file.path}: ${error.message}`);
      throw error;
    }
    if (!result.matched.length && explicit.has(file.path)) throw new BumpTargetError(describeNoMatch(file.path, targets, result));
    for (const t of result.matchedTargets) matchedTargets.add(t);
    warnings.push(...result.warnings.map((w) => `${file.path}: ${w}`));
    examined.push({ file, after: result.changed ? Buffer.from(result.text, 'utf8') : file.content, result });
  }
  const missing = targets.filter((t) => !matchedTargets.has(t.repository));
  if (missing.length) {
    if (examined.length === 1) throw new BumpTargetError(describeNoMatch(examined[0]!.file.path, missing, examined[0]!.result));
    const seen = examined.flatMap((p) => p.result.found.map((f) => `${f.repository}${f.tag ? `:${f.tag}` : ''} (${p.file.path}:${f.line})`));
    const list = seen.length ? `images in those files: ${seen.slice(0, 20).join('; ')}${seen.length > 20 ? `; …and ${seen.length - 20} more` : ''}` : 'those files name no images';
    const valuesFrom = examined.flatMap((p) => p.result.valuesFrom);
    throw new BumpTargetError(`no image ${missing.map((t) => t.repository).join(', ')} found in ${examined.length} files; ${list}`
      + (valuesFrom.length ? `; ${valuesFrom.join('; ')} takes its values from valuesFrom, which a bump cannot follow` : ''));
  }
  return { examined, changed: examined.filter((p) => p.result.changed), warnings };
}

/** Default commit message: subject `chore(gitops): bump <image> to <tag>`, body one line per edit. */
function defaultCommitMessage(targets: readonly ImageTarget[], plan: BumpPlan): string {
  const subject = targets.length === 1
    ? `chore(gitops): bump ${targets[0]!.repository} to ${targets[0]!.tag}`
    : `chore(gitops): bump ${targets.length} images (${targets.map((t) => `${t.repository.split('/').pop()}:${t.tag}`).join(', ')})`;
  const lines = plan.changed.flatMap((p) => p.result.edits.map((e) => `- ${p.file.path}:${e.line} ${e.path}: ${e.oldValue} -> ${e.newValue}`));
  return `${subject}\n\n${lines.join('\n')}\n`;
}

/** The changed lines of each file as a unified-style diff (`@@ -L +L @@`), CR shown as nothing. */
function renderDiff(plan: BumpPlan): string {
  const out: string[] = [];
  for (const p of plan.changed) {
    const a = p.file.content.toString('utf8').split('\n');
    const b = p.after.toString('utf8').split('\n');
    out.push(`--- a/${p.file.path}`, `+++ b/${p.file.path}`);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] === b[i]) continue;
      out.push(`@@ -${i + 1} +${i + 1} @@`);
      if (a[i] !== undefined) out.push(`-${a[i]!.replace(/\r$/, '')}`);
      if (b[i] !== undefined) out.push(`+${b[i]!.replace(/\r$/, '')}`);
    }
  }
  return out.join('\n');
}

function editsTable(plan: BumpPlan): string {
  const rows = plan.changed.flatMap((p) => p.result.edits.map((e: ScalarEdit) => [p.file.path, String(e.line), e.path, `\`${e.oldValue}\``, `\`${e.newValue}\``]));
  return markdownTable([['File', 'Line', 'Key', 'Old', 'New'], ...rows]);
}

/** The default pull-request body: what changed, the diff, and warnings. */
function pullRequestBody(targets: readonly ImageTarget[], plan: BumpPlan): string {
  const images = targets.map((t) => `- \`${t.repository}\` → \`${t.tag}\`${t.digest ? ` (\`${t.digest}\`)` : ''}`).join('\n');
  const parts = ['This pull request was opened by Trunkline gitops-bump.', '', images, '', editsTable(plan), '', '```diff', renderDiff(plan), '```'];
  if (plan.warnings.length) parts.push('', ...plan.warnings.map((w) => `> ⚠️ ${w}`));
  parts.push('', '<!-- trunkline:gitops-bump -->');
  return parts.join('\n');
}

function emptyOutputs(targets: readonly ImageTarget[]): BumpOutputs {
  return { changed: false, files: [], 'old-tag': '', 'new-tag': targets[0]?.tag ?? '', 'commit-sha': '', 'pr-number': '', 'pr-url': '' };
}

function outputsFor(plan: BumpPlan, targets: readonly ImageTarget[], landed: boolean, commit?: string, pr?: PullRequest): BumpOutputs {
  const firstEdit = plan.changed.flatMap((p) => p.result.edits).find((e) => e.role !== 'digest');
  const firstMatch = plan.examined.flatMap((p) => p.result.matched)[0];
  return {
    changed: landed && plan.changed.length > 0,
    files: landed ? plan.changed.map((p) => p.file.path) : [],
    'old-tag': firstEdit?.oldTag ?? firstMatch?.tag ?? '',
    'new-tag': targets[0]?.tag ?? '',
    'commit-sha': commit ?? '',
    'pr-number': pr ? String(pr.number) : '',
    'pr-url': pr?.url ?? '',
  };
}

function summaryMarkdown(status: StageStatus, headline: string, plan: BumpPlan | undefined, notes: readonly string[], ms: number, error?: string): string {
  const parts = [`### ${statusIcon(status)} ${BUMP_STAGE}: ${status} (${ms} ms)`, headline];
  if (error) parts.push(`**Error:** ${error}`);
  if (plan?.changed.length) parts.push(editsTable(plan), '```diff', renderDiff(plan), '```');
  for (const n of notes) parts.push(`- ${n}`);
  return parts.join('\n\n');
}

/** Resolves `files` in a working tree: explicit paths are checked (regular file, inside `root`); globs walk only from their static prefix. */
async function workingTreeFiles(root: string, files: readonly string[]): Promise<{ files: RepoFile[]; explicit: Set<string> }> {
  const realRoot = await realpath(root);
  const explicit = new Set(files.filter((f) => !isGlob(f)));
  const globs = files.filter(isGlob);
  const paths = new Set(explicit);
  if (globs.length) {
    const skip = new Set(['.git', '.github', 'node_modules']);
    for await (const match of glob(globs, { cwd: root, exclude: (p: unknown) => skip.has(basename(typeof p === 'string' ? p : (p as { name: string }).name)) })) {
      const rel = String(match).split(sep).join('/');
      if (!isForbiddenPath(rel)) paths.add(rel);
    }
  }
  const out: RepoFile[] = [];
  for (const rel of [...paths].sort()) {
    const abs = resolve(root, rel);
    let info;
    try {
      info = await stat(abs);
    } catch {
      if (explicit.has(rel)) throw new InputError('files', `names ${rel}, which does not exist under ${root}`);
      continue;
    }
    if (!info.isFile()) {
      if (explicit.has(rel)) throw new InputError('files', `names ${rel}, which is not a regular file`);
      continue;
    }
    const real = await realpath(abs);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new InputError('files', `names ${rel}, which resolves outside "path" (${real})`);
    if (isForbiddenPath(relative(realRoot, real).split(sep).join('/'))) throw new InputError('files', `names ${rel}, which resolves under .git/ or .github/`);
    out.push({ path: rel, content: await readFile(abs), mode: info.mode & 0o111 ? '100755' : '100644' });
  }
  if (!out.length) throw new InputError('files', `matches no file under ${root} (${files.join(', ')})`);
  return { files: out, explicit };
}

/** Reads the files of `commit` in a store and plans the edit (globs listed from their prefix only). */
async function planAtCommit(store: CommitStore, commit: string, cfg: BumpConfig, targets: readonly ImageTarget[]): Promise<BumpPlan> {
  const explicit = new Set(cfg.files.filter((f) => !isGlob(f)));
  const globs = cfg.files.filter(isGlob);
  // Same rule as in a working tree: a glob never reaches into .git/ or .github/.
  const listed = globs.length ? (await store.listFiles(commit, globs)).filter((p) => !isForbiddenPath(p)) : [];
  const paths = [...new Set([...explicit, ...listed])].sort();
  const files = await store.readFiles(commit, paths);
  for (const p of explicit) {
    if (!files.has(p)) throw new InputError('files', `names ${p}, which is not a file in ${commit.slice(0, 12)} on ${store.description}`);
  }
  if (!files.size) throw new InputError('files', `matches no file in ${commit.slice(0, 12)} on ${store.description} (${cfg.files.join(', ')})`);
  return planBump(paths.filter((p) => files.has(p)).map((p) => files.get(p)!), explicit, cfg, targets);
}

/**
 * Read → edit → commit → fast-forward `branch`, retried from the top when the branch moved.
 * `parentFor(head)` chooses the commit to edit given the branch's current head.
 */
async function commitWithRetries(store: CommitStore, branch: string, parentFor: (head: string | undefined) => Promise<string>,
  cfg: BumpConfig, targets: readonly ImageTarget[], log: Logger): Promise<CommitOutcome> {
  return withRetry(async (attempt) => {
    const head = await store.branchHead(branch);
    const parent = await parentFor(head);
    const plan = await planAtCommit(store, parent, cfg, targets);
    if (!plan.changed.length) return { plan, parent, head, attempts: attempt };
    const message = cfg.commitMessage ?? defaultCommitMessage(targets, plan);
    const sha = await store.commit(parent, plan.changed.map((p) => ({ ...p.file, content: p.after })), message, cfg.author);
    log.info(`commit ${sha.slice(0, 12)} on ${parent.slice(0, 12)}: ${plan.changed.map((p) => p.file.path).join(', ')}`);
    if ((await store.updateBranch(branch, sha, head)) === 'rejected') throw new BranchMovedError(branch);
    log.info(`${branch} on ${store.description} → ${sha.slice(0, 12)} (fast-forward, attempt ${attempt})`);
    return { plan, parent, head, commit: sha, attempts: attempt };
  }, {
    attempts: cfg.maxRetries + 1,
    baseDelayMs: cfg.retryDelayMs,
    what: `update of ${branch}`,
    isRetryable: (e) => e instanceof BranchMovedError,
    log,
  }).catch((error: unknown) => {
    if (error instanceof BranchMovedError) {
      throw new Error(`${branch} on ${store.description} kept moving: gave up after ${cfg.maxRetries + 1} attempts (nothing was force-pushed); re-run the bump`);
    }
    throw error;
  });
}

/** A local clone store with the token (if any) as an HTTPS extra header, unless the clone already has one. */
async function localStore(cfg: BumpConfig, root: string, log: Logger, notes: string[]): Promise<LocalGitStore> {
  const probe = new LocalGitStore(root, cfg.remote, { log });
  const top = await probe.topLevel();
  if (!top || (await realpath(top)) !== (await realpath(root))) {
    throw new InputError('path', `must be the top directory of a git clone for mode ${cfg.mode} (got ${root}${top ? `, inside ${top}` : ''})`);
  }
  if (!cfg.token) return probe;
  const url = await probe.remoteUrl().catch(() => '');
  if (!/^https?:\/\//.test(url)) return probe;
  const persisted = await probe.git(['config', '--get-regexp', '^http\\..*\\.extraheader$'], { allowFailure: true });
  if (persisted.stdout.trim()) {
    notes.push('git uses the credentials the checkout persisted (http.extraheader)');
    return probe;
  }
  const auth = gitTokenEnv(url, cfg.token);
  for (const s of auth.secrets) log.secret(s);
  return new LocalGitStore(root, cfg.remote, { log, env: auth.env, secrets: auth.secrets });
}

async function bumpInPlace(cfg: BumpConfig, targets: ImageTarget[], log: Logger, notes: string[]): Promise<ModeOutcome> {
  const root = resolve(cfg.path);
  const { files, explicit } = await workingTreeFiles(root, cfg.files);
  const plan = planBump(files, explicit, cfg, targets);
  for (const p of plan.changed) {
    // Same mode as the file it replaces: a bump changes bytes, never permissions.
    const path = join(root, p.file.path);
    await writeFileAtomic(path, p.after, (await stat(path)).mode & 0o7777);
  }
  notes.push(plan.changed.length ? `edited in place: ${plan.changed.map((p) => p.file.path).join(', ')}` : 'already up to date: no file changed');
  for (const p of plan.changed) log.info(`edited ${p.file.path}: ${p.result.edits.map((e) => `${e.path} ${e.oldValue} → ${e.newValue}`).join('; ')}`);
  return { plan, outputs: outputsFor(plan, targets, true), headline: headline(targets, plan) };
}

function headline(targets: readonly ImageTarget[], plan: BumpPlan, where = ''): string {
  const what = targets.map((t) => `**${t.repository}** → \`${t.tag}\``).join(', ');
  if (!plan.changed.length) return `${what}: already up to date in ${plan.examined.length} file(s); nothing to commit.`;
  return `${what} in ${plan.changed.length} file(s)${where}.`;
}

async function bumpAndPush(cfg: BumpConfig, targets: ImageTarget[], log: Logger, notes: string[]): Promise<ModeOutcome> {
  const root = resolve(cfg.path);
  const store = await localStore(cfg, root, log, notes);
  const branch = cfg.branch ?? (await store.currentBranch());
  if (!branch) throw new InputError('branch', 'is required for mode push when the checkout is on a detached HEAD');
  const outcome = await commitWithRetries(store, branch, async (head) => head ?? store.revParse('HEAD'), cfg, targets, log);
  if (!outcome.commit) {
    notes.push(`${branch} already has the new tag: no commit`);
    return { plan: outcome.plan, outputs: outputsFor(outcome.plan, targets, false), headline: headline(targets, outcome.plan) };
  }
  notes.push(`pushed ${outcome.commit.slice(0, 12)} to ${branch} on ${cfg.remote}${outcome.attempts > 1 ? ` after ${outcome.attempts} attempts (the branch moved meanwhile)` : ''}`);
  notes.push(await store.syncLocalBranch(branch, outcome.commit));
  return {
    plan: outcome.plan,
    outputs: outputsFor(outcome.plan, targets, true, outcome.commit),
    headline: headline(targets, outcome.plan, ` — commit \`${outcome.commit.slice(0, 12)}\` on \`${branch}\``),
  };
}

async function bumpPullRequest(cfg: BumpConfig, targets: ImageTarget[], log: Logger, notes: string[]): Promise<ModeOutcome> {
  // Octokit and its plugins load only for the modes that talk to GitHub.
  const { GitHubRepository } = await import('../adapters/github.ts');
  const gh = new GitHubRepository({ token: cfg.token!, apiUrl: cfg.apiUrl, owner: cfg.owner!, repo: cfg.repo!, log, ...(cfg.githubTiming ? { timing: cfg.githubTiming } : {}) });
  const store: CommitStore = cfg.mode === 'api' ? gh.commitStore() : await localStore(cfg, resolve(cfg.path), log, notes);
  const base = cfg.base ?? (await store.defaultBranch()) ?? (await gh.defaultBranch());
  const branch = cfg.branch ?? bumpBranchName(targets[0]!.repository);
  if (branch === base) throw new InputError('branch', `must differ from the base branch ${base}`);
  const outcome = await commitWithRetries(store, branch, async (head) => {
    const baseSha = await store.branchHead(base);
    if (!baseSha) throw new InputError('base', `names ${base}, which does not exist on ${store.description}`);
    // An open bump branch ahead of base is built on; a merged (or never-diverged) one starts over from base.
    return head && !(await store.isAncestor(head, baseSha)) ? head : baseSha;
  }, cfg, targets, log);

  let pr = await gh.findOpenPull(branch, base);
  const title = cfg.title ?? (cfg.commitMessage ?? defaultCommitMessage(targets, outcome.plan)).split('\n')[0]!;
  const body = cfg.body ?? pullRequestBody(targets, outcome.plan);
  const branchAhead = outcome.head !== undefined && outcome.parent === outcome.head;
  if (outcome.commit || (!pr && branchAhead)) {
    if (pr) {
      const updated = await gh.updatePull(pr, title, body);
      notes.push(`updated pull request #${pr.number}${updated ? '' : ' (title and body unchanged)'}`);
    } else {
      const made = await gh.createPull(branch, base, title, body);
      pr = made.pr;
      notes.push(made.created ? `opened pull request #${pr.number}` : `pull request #${pr.number} already existed; reused it`);
    }
    await gh.addLabels(pr.number, cfg.labels);
    if (cfg.autoMerge) {
      const am = await gh.enableAutoMerge(pr, cfg.mergeMethod);
      if (am.enabled) notes.push(`auto-merge (${cfg.mergeMethod}) enabled`);
      else {
        log.warning(`auto-merge could not be enabled on #${pr.number}: ${am.reason}`);
        notes.push(`auto-merge not enabled: ${am.reason}`);
      }
    }
  } else {
    notes.push(pr ? `pull request #${pr.number} already has this bump: nothing changed` : `${base} already has the new tag: no branch, no pull request`);
  }
  if (outcome.commit) notes.push(`committed ${outcome.commit.slice(0, 12)} to ${branch}${cfg.mode === 'api' ? ' through the Git Data API' : ''}${outcome.attempts > 1 ? ` after ${outcome.attempts} attempts` : ''}`);
  const where = outcome.commit ? ` — commit \`${outcome.commit.slice(0, 12)}\` on \`${branch}\`${pr ? `, PR [#${pr.number}](${pr.url})` : ''}` : '';
  return { plan: outcome.plan, outputs: outputsFor(outcome.plan, targets, !!outcome.commit, outcome.commit, pr), headline: headline(targets, outcome.plan, where) };
}

/**
 * Runs the bump described by `cfg` (already validated: `resolveBumpConfig`). Never throws: bad
 * input and refusals come back as a `failed` result whose `error` names the input or the file.
 * Outputs: see `BumpOutputs`; `summaryMarkdown` holds the edits table and the diff.
 */
export async function runBump(cfg: BumpConfig, log: Logger): Promise<StageResult<BumpOutputs>> {
  const targets = bumpTargets(cfg);
  const start = performance.now();
  const notes: string[] = [];
  // Masked before anything can print it, whichever mode uses it.
  if (cfg.token) log.secret(cfg.token);
  try {
    return await timed<BumpOutputs>(BUMP_STAGE, async () => {
      assertEventAllowed(cfg.eventName, cfg.allowPrivilegedEvent, 'bump GitOps files');
      const run = cfg.mode === 'none' ? bumpInPlace : cfg.mode === 'push' ? bumpAndPush : bumpPullRequest;
      const { plan, outputs, headline: line } = await run(cfg, targets, log, notes);
      notes.push(...plan.warnings);
      for (const w of plan.warnings) log.warning(w);
      return {
        status: 'passed',
        outputs,
        findings: [],
        notes,
        summaryMarkdown: summaryMarkdown('passed', line, plan, notes, Math.round(performance.now() - start)),
      };
    });
  } catch (error) {
    const ms = Math.round(performance.now() - start);
    const result = failedFromError<BumpOutputs>(BUMP_STAGE, error, ms, emptyOutputs(targets));
    result.notes = notes;
    result.summaryMarkdown = summaryMarkdown('failed', `Bump of ${targets.map((t) => `**${t.repository}**`).join(', ')} failed.`, undefined, notes, ms, result.error);
    return result;
  }
}
