import type { ImageTarget } from './bump-targets.ts';
import { sameRepository } from './bump-targets.ts';
import type { BumpKind, SpliceResult } from './yaml-splice.ts';
import { BumpTargetError, describeNoMatch, spliceImageTags } from './yaml-splice.ts';
import { assertFileSize } from './bump-files.ts';

/**
 * The pure plan of a GitOps bump: given the files' bytes, which files and which scalars change and
 * to what, the commit message, and the step outputs. No I/O: the stage reads files through the
 * working-tree adapter or a `CommitStore` and hands them here.
 */

/** A file as read from a working tree or a commit: repository-relative POSIX path, bytes, git mode. */
export interface SourceFile {
  path: string;
  content: Buffer;
  /** `100644` or `100755`. */
  mode: string;
}

export interface FilePlan<F extends SourceFile = SourceFile> {
  file: F;
  /** The new bytes (the same buffer as `file.content` when nothing changed). */
  after: Buffer;
  result: SpliceResult;
}

export interface BumpPlan<F extends SourceFile = SourceFile> {
  examined: FilePlan<F>[];
  changed: FilePlan<F>[];
  warnings: string[];
}

export interface PlanRequest {
  kind: BumpKind;
  keyPath?: string;
  /** Flux ImagePolicy `namespace:name`: files with `$imagepolicy` markers change only where a marker names it. */
  imagePolicy?: string;
  /** Bytes; larger files are refused before parsing (input `max-file-size`). */
  maxFileSize: number;
}

/** Step outputs of action-gitops-bump (same keys in `.trunkline/summary.json` and `trunkline bump --json`). */
export type BumpOutputs = {
  /** True when a file changed (and, beyond mode `none`, a commit landed). */
  changed: boolean;
  /** Changed files, relative to `path`. */
  files: string[];
  /** Tag found before the bump (first tag edited or matched), without any `@digest`. */
  'old-tag': string;
  /** Tag the files now carry for the first target; '' when its matches hold no tag (`repo@sha256:…` only). */
  'new-tag': string;
  /** The new commit, '' when none was made. */
  'commit-sha': string;
  'pr-number': string;
  'pr-url': string;
};

/**
 * Applies the splice to every file. An explicitly named file without a match, a target found in
 * no file, a file over `maxFileSize`, invalid UTF-8 and every `spliceImageTags` refusal throw
 * `BumpTargetError` prefixed with the file's path.
 */
export function planBump<F extends SourceFile>(files: readonly F[], explicit: ReadonlySet<string>, request: PlanRequest, targets: readonly ImageTarget[]): BumpPlan<F> {
  const examined: FilePlan<F>[] = [];
  const matchedTargets = new Set<string>();
  const warnings: string[] = [];
  for (const file of files) {
    assertFileSize(file.path, file.content.length, request.maxFileSize);
    const text = file.content.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(file.content)) throw new BumpTargetError(`${file.path}: not valid UTF-8; refusing to edit it`);
    let result: SpliceResult;
    try {
      result = spliceImageTags(text, { kind: request.kind, targets, ...(request.keyPath ? { keyPath: request.keyPath } : {}),
        ...(request.imagePolicy ? { imagePolicy: request.imagePolicy } : {}) });
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
export function defaultCommitMessage(targets: readonly ImageTarget[], plan: BumpPlan): string {
  const subject = targets.length === 1
    ? `chore(gitops): bump ${targets[0]!.repository} to ${targets[0]!.tag}`
    : `chore(gitops): bump ${targets.length} images (${targets.map((t) => `${t.repository.split('/').pop()}:${t.tag}`).join(', ')})`;
  const lines = plan.changed.flatMap((p) => p.result.edits.map((e) => `- ${p.file.path}:${e.line} ${e.path}: ${e.oldValue} -> ${e.newValue}`));
  return `${subject}\n\n${lines.join('\n')}\n`;
}

/** Outputs before anything was planned (a refusal): nothing changed, nothing written. */
export function emptyOutputs(): BumpOutputs {
  return { changed: false, files: [], 'old-tag': '', 'new-tag': '', 'commit-sha': '', 'pr-number': '', 'pr-url': '' };
}

/**
 * The step outputs of a plan: `landed` says whether the edit reached its destination (always in
 * mode none; a commit otherwise). `new-tag` is reported only where the first target's matches
 * carry a tag: a digest-only reference (`repo@sha256:…`) gets no tag written, so none is claimed.
 */
export function bumpOutputs(plan: BumpPlan, targets: readonly ImageTarget[], landed: boolean, extra: { commit?: string; prNumber?: number; prUrl?: string } = {}): BumpOutputs {
  const first = targets[0];
  const firstEdit = plan.changed.flatMap((p) => p.result.edits).find((e) => e.role !== 'digest' && e.oldTag !== undefined);
  const matches = plan.examined.flatMap((p) => p.result.matched);
  const tagged = first ? matches.some((m) => m.tag !== undefined && sameRepository(m.repository, first.repository)) : false;
  return {
    changed: landed && plan.changed.length > 0,
    files: landed ? plan.changed.map((p) => p.file.path) : [],
    'old-tag': firstEdit?.oldTag ?? matches.find((m) => m.tag !== undefined)?.tag ?? '',
    'new-tag': tagged ? first!.tag : '',
    'commit-sha': extra.commit ?? '',
    'pr-number': extra.prNumber !== undefined ? String(extra.prNumber) : '',
    'pr-url': extra.prUrl ?? '',
  };
}
