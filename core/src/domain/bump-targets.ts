import { posix } from 'node:path';
import { InputError } from './errors.ts';
import type { ImageRef } from './image-ref.ts';
import { imageName, parseImageRef } from './image-ref.ts';
import { canonicalRepositoryName, isRegistryHost } from './docker-hub.ts';

/**
 * Pure rules for what a GitOps bump may touch: which repository names are "the same image", which
 * file paths are allowed, valid branch names, and the fixed pull-request branch of a target.
 *
 * Reference grammar comes from the shared `image-ref.ts` (distribution/reference rules).
 */

/** One image to bump: the repository to look for and the new tag (and digest). */
export interface ImageTarget {
  /** Repository as the user wrote it, registry included when there is one (`ghcr.io/org/app`). */
  repository: string;
  /** New tag, e.g. `1.10` or `sha-3f2a9c1` (always written as a string). */
  tag: string;
  /** New digest `sha256:<64 hex>`; written only where the file already keeps one. */
  digest?: string;
}

/** The parts of `repo[:tag][@digest]`. `repository` keeps the registry (and its port) as written. */
export interface ReferenceParts {
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * Splits `repo[:tag][@digest]` into its parts, or `undefined` when the text is not a valid
 * reference (Flux `${VAR}` substitutions, Helm templates, free text). Parsing is
 * `parseImageRef` (image-ref.ts): the tag colon is the last `:` after the registry, so
 * `localhost:5000/app` has no tag.
 */
export function splitReference(text: string): ReferenceParts | undefined {
  let ref: ImageRef;
  try {
    ref = parseImageRef(text, 'reference');
  } catch {
    return undefined;
  }
  const parts: ReferenceParts = { repository: imageName(ref) };
  if (ref.tag !== undefined) parts.tag = ref.tag;
  if (ref.digest !== undefined) parts.digest = ref.digest;
  return parts;
}

/**
 * The canonical form used to compare repositories: `canonicalRepositoryName` (docker-hub.ts), so
 * `docker.io/library/redis`, `index.docker.io/redis` and `redis` are one image, and
 * `public.ecr.aws/docker/library/redis` another.
 */
export function canonicalRepository(repository: string): string {
  return canonicalRepositoryName(repository);
}

/**
 * True when two repositories name the same image. Exact after canonicalisation: no prefix or
 * suffix matching (`org/app` never matches `org/app-worker` or `other/org/app`).
 */
export function sameRepository(a: string, b: string): boolean {
  return canonicalRepository(a) === canonicalRepository(b);
}

/** True when a `files` entry is a glob pattern rather than one path. */
export function isGlob(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern);
}

/**
 * Validates one `files` entry and returns it normalised (POSIX separators, no `./`). Refused:
 * empty, absolute (`/x`, `C:\x`, `\\host`), any `..` segment (it could leave `path`), anything
 * under `.git/` or `.github/` (workflows are not GitOps targets and a token that may write them
 * must not be steered there). Throws `InputError` naming `input`.
 */
export function validateRelativePath(input: string, entry: string): string {
  const raw = entry.trim();
  if (!raw) throw new InputError(input, 'has an empty entry');
  if (raw.startsWith('/') || raw.startsWith('\\') || /^[A-Za-z]:/.test(raw)) {
    throw new InputError(input, `must hold paths relative to "path"; "${raw}" is absolute`);
  }
  const unified = raw.replace(/\\/g, '/');
  const segments = unified.split('/');
  if (segments.includes('..')) throw new InputError(input, `must not contain ".." ("${raw}" could leave "path")`);
  const normalised = posix.normalize(unified).replace(/^(\.\/)+/, '');
  const first = normalised.split('/')[0];
  if (first === '.github' || first === '.git') {
    throw new InputError(input, `must not point under ${first}/ ("${raw}"); only GitOps manifests may be bumped`);
  }
  if (normalised === '.' || normalised === '') throw new InputError(input, `must name a file, not the directory itself ("${raw}")`);
  return normalised;
}

/** True when a repository-relative path lies under a directory a bump never touches. */
export function isForbiddenPath(relPath: string): boolean {
  const first = relPath.split('/')[0];
  return first === '.github' || first === '.git' || relPath.split('/').includes('..');
}

/**
 * The fixed pull-request branch of an image: `trunkline/bump/<repository path>` with the registry
 * dropped and `/` turned into `-` (`ghcr.io/org/app` → `trunkline/bump/org-app`), so each image has
 * exactly one open bump PR and a re-run finds it (git-check-ref-format rules respected).
 */
export function bumpBranchName(repository: string): string {
  const parts = repository.split('/');
  const path = parts.length > 1 && isRegistryHost(parts[0]!) ? parts.slice(1) : parts;
  const slug = path.join('-').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/\.{2,}/g, '.').replace(/^[.-]+|[.-]+$/g, '');
  return `trunkline/bump/${slug || 'image'}`;
}

/**
 * Validates a git branch name (git-check-ref-format, simplified: no spaces, `~^:?*[\`, `..`, `@{`,
 * leading `-`, trailing `/`, `.` or `.lock`). Throws `InputError` naming `input`.
 */
export function validateBranch(input: string, branch: string): string {
  const bad = branch.length === 0
    || /[\s~^:?*[\\]/.test(branch) || [...branch].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)
    || branch.includes('..') || branch.includes('@{') || branch.includes('//')
    || branch.startsWith('-') || branch.startsWith('/') || branch.endsWith('/') || branch.endsWith('.') || branch.endsWith('.lock')
    || branch === '@' || branch.split('/').some((c) => c.startsWith('.'));
  if (bad) throw new InputError(input, `must be a valid git branch name such as trunkline/bump/app (got "${branch}")`);
  return branch;
}
