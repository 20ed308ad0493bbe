import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from '../report/logger.ts';
import type { StageResult } from '../report/result.ts';
import { runStage } from '../report/result.ts';
import { stageMarkdown } from '../report/render.ts';
import { InputError } from '../domain/errors.ts';
import { assertEventAllowed } from '../domain/privileged-event.ts';
import type { BumpConfig } from '../domain/bump-config.ts';
import { bumpTargets } from '../domain/bump-config.ts';
import type { ImageTarget } from '../domain/bump-targets.ts';
import { bumpBranchName, isGlob } from '../domain/bump-targets.ts';
import type { BumpOutputs, BumpPlan } from '../domain/bump-plan.ts';
import { bumpOutputs, defaultCommitMessage, emptyOutputs, planBump } from '../domain/bump-plan.ts';
import { selectFiles } from '../domain/bump-files.ts';
import type { CommitInfo, CommitStore, GitAuthor } from '../adapters/git.ts';
import { LocalGitStore, gitTokenEnv } from '../adapters/git.ts';
import { readWorkingTreeFiles, writeWorkingTreeFiles } from '../adapters/working-tree.ts';
import { withRetry } from '../adapters/retry.ts';
import { bumpSections, headline, pullRequestBody } from './bump-report.ts';

export { resolveBumpConfig } from '../domain/bump-config.ts';
export type { BumpOutputs } from '../domain/bump-plan.ts';

/**
 * The GitOps bump stage: set image tags (and digests) in a Flux repository's HelmRelease, values
 * or kustomization files, changing only the target scalars (`spliceImageTags`), then, by `mode`:
 * `none` write the files in place; `push` commit and push to a branch; `pr` push to a fixed branch
 * and create or update its one pull request; `api` the same through GitHub's Git Data API.
 *
 * Git side rules (docs/gitops.md): no change → no commit, no PR, `changed=false`; every commit is made against an
 * explicit parent and the branch only moves by fast-forward; when it moved meanwhile the files are re-read at the new head, the edit re-applied
 * and the update retried (`maxRetries`, jittered exponential back-off); never a force-push. In `pr`/`api` mode an open
 * bump branch is built on, so commits a person pushed to it are kept; those not by `author` are named in a warning.
 */

export const BUMP_STAGE = 'gitops-bump';

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

/** Reads the files of `commit` in a store and plans the edit (globs listed from their prefix only). */
async function planAtCommit(store: CommitStore, commit: string, cfg: BumpConfig, targets: readonly ImageTarget[]): Promise<BumpPlan> {
  const globs = cfg.files.filter(isGlob);
  const listed = globs.length ? await store.listFiles(commit, globs) : [];
  const { paths, explicit } = selectFiles(cfg.files, listed);
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
  const { files, explicit } = await readWorkingTreeFiles(root, cfg.files, cfg.maxFileSize);
  const plan = planBump(files, explicit, cfg, targets);
  await writeWorkingTreeFiles(root, plan.changed.map((p) => ({ path: p.file.path, content: p.after })));
  notes.push(plan.changed.length ? `edited in place: ${plan.changed.map((p) => p.file.path).join(', ')}` : 'already up to date: no file changed');
  for (const p of plan.changed) log.info(`edited ${p.file.path}: ${p.result.edits.map((e) => `${e.path} ${e.oldValue} → ${e.newValue}`).join('; ')}`);
  return { plan, outputs: bumpOutputs(plan, targets, true), headline: headline(targets, plan) };
}

async function bumpAndPush(cfg: BumpConfig, targets: ImageTarget[], log: Logger, notes: string[]): Promise<ModeOutcome> {
  const root = resolve(cfg.path);
  const store = await localStore(cfg, root, log, notes);
  const branch = cfg.branch ?? (await store.currentBranch());
  if (!branch) throw new InputError('branch', 'is required for mode push when the checkout is on a detached HEAD');
  const outcome = await commitWithRetries(store, branch, async (head) => head ?? store.revParse('HEAD'), cfg, targets, log);
  if (!outcome.commit) {
    notes.push(`${branch} already has the new tag: no commit`);
    return { plan: outcome.plan, outputs: bumpOutputs(outcome.plan, targets, false), headline: headline(targets, outcome.plan) };
  }
  notes.push(`pushed ${outcome.commit.slice(0, 12)} to ${branch} on ${cfg.remote}${outcome.attempts > 1 ? ` after ${outcome.attempts} attempts (the branch moved meanwhile)` : ''}`);
  notes.push(await store.syncLocalBranch(branch, outcome.commit));
  return {
    plan: outcome.plan,
    outputs: bumpOutputs(outcome.plan, targets, true, { commit: outcome.commit }),
    headline: headline(targets, outcome.plan, ` — commit \`${outcome.commit.slice(0, 12)}\` on \`${branch}\``),
  };
}

/**
 * The warning for commits on the bump branch not authored by the bump's `author` (compared by
 * email, case-insensitive), or undefined when there are none. `commits`: newest first.
 */
function foreignCommitsNote(branch: string, bot: GitAuthor, commits: readonly CommitInfo[]): string | undefined {
  const foreign = commits.filter((c) => c.author.email.toLowerCase() !== bot.email.toLowerCase());
  if (!foreign.length) return undefined;
  const list = foreign.map((c) => `${c.sha.slice(0, 12)} by ${c.author.name} <${c.author.email}> "${c.subject}"`).join(', ');
  return `${branch} carries ${foreign.length} commit${foreign.length === 1 ? '' : 's'} not by the bump (${bot.name} <${bot.email}>): ${list}; `
    + 'the bump was committed on top of them and nothing was force-pushed; review them in the pull request';
}

async function bumpPullRequest(cfg: BumpConfig, targets: ImageTarget[], log: Logger, notes: string[]): Promise<ModeOutcome> {
  // Octokit and its plugins load only for the modes that talk to GitHub.
  const { GitHubRepository } = await import('../adapters/github.ts');
  const gh = new GitHubRepository({ token: cfg.token!, apiUrl: cfg.apiUrl, owner: cfg.owner!, repo: cfg.repo!, log, ...(cfg.githubTiming ? { timing: cfg.githubTiming } : {}) });
  const store: CommitStore = cfg.mode === 'api' ? gh.commitStore() : await localStore(cfg, resolve(cfg.path), log, notes);
  const base = cfg.base ?? (await store.defaultBranch()) ?? (await gh.defaultBranch());
  const branch = cfg.branch ?? bumpBranchName(targets[0]!.repository);
  if (branch === base) throw new InputError('branch', `must differ from the base branch ${base}`);
  let baseSha = '';
  const outcome = await commitWithRetries(store, branch, async (head) => {
    const sha = await store.branchHead(base);
    if (!sha) throw new InputError('base', `names ${base}, which does not exist on ${store.description}`);
    baseSha = sha;
    // An open bump branch ahead of base is built on; a merged (or never-diverged) one starts over from base.
    return head && !(await store.isAncestor(head, sha)) ? head : sha;
  }, cfg, targets, log);
  if (outcome.head !== undefined && outcome.parent === outcome.head) {
    // Built on the open branch: a person's commits on it are kept (never forced over), and said so.
    const note = foreignCommitsNote(branch, cfg.author, await store.commitsBetween(baseSha, outcome.head));
    if (note) {
      log.warning(note);
      notes.push(note);
    }
  }

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
  return { plan: outcome.plan, outputs: bumpOutputs(outcome.plan, targets, !!outcome.commit, { ...(outcome.commit ? { commit: outcome.commit } : {}), ...(pr ? { prNumber: pr.number, prUrl: pr.url } : {}) }), headline: headline(targets, outcome.plan, where) };
}

/**
 * Runs the bump described by `cfg` (already validated: `bumpConfigFromInputs`/`resolveBumpConfig`).
 * Never throws: bad input, a refused event and every refusal come back as a `failed` result
 * (`runStage`) whose `error` names the input or the file. Outputs: see `BumpOutputs`; the job
 * summary (`stageMarkdown`) holds the headline, the edits table and the diff.
 */
export async function runBump(cfg: BumpConfig, log: Logger): Promise<StageResult<BumpOutputs>> {
  const targets = bumpTargets(cfg);
  const notes: string[] = [];
  // Masked before anything can print it, whichever mode uses it.
  if (cfg.token) log.secret(cfg.token);
  let done: { plan: BumpPlan; line: string } | undefined;
  const result = await runStage<BumpOutputs>(BUMP_STAGE, async () => {
    assertEventAllowed(cfg.eventName, cfg.allowPrivilegedEvent, 'bump GitOps files');
    const run = cfg.mode === 'none' ? bumpInPlace : cfg.mode === 'push' ? bumpAndPush : bumpPullRequest;
    const { plan, outputs, headline: line } = await run(cfg, targets, log, notes);
    notes.push(...plan.warnings);
    for (const w of plan.warnings) log.warning(w);
    done = { plan, line };
    return { status: 'passed', outputs, findings: [], notes };
  }, { failedOutputs: emptyOutputs, onError: (failed) => { failed.notes = notes; } });
  // Rendered once the stage is timed, so the header carries the real duration.
  const sections = done ? bumpSections(done.line, done.plan) : bumpSections(`Bump of ${targets.map((t) => `**${t.repository}**`).join(', ')} failed.`);
  return { ...result, summaryMarkdown: stageMarkdown(result, sections) };
}
