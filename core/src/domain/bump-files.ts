import picomatch from 'picomatch';
import { BumpTargetError } from './yaml-splice.ts';
import { isForbiddenPath, isGlob } from './bump-targets.ts';

/**
 * Which files the bump's `files` input names, the same in every mode (working tree, clone, Git
 * Data API): explicit paths as given, globs matched by picomatch (bash-like: `*` stays in one
 * directory, `**` crosses them, dot files only when named), never under `.git/` or `.github/`.
 */

/** Static directory prefix of a glob (`deploy/apps/**\/values.yaml` → `deploy/apps`), '' for none: listing starts there. */
export function globPrefix(glob: string): string {
  const fixed: string[] = [];
  for (const s of glob.split('/').slice(0, -1)) {
    if (isGlob(s)) break;
    fixed.push(s);
  }
  return fixed.join('/');
}

/** A predicate for repository-relative POSIX paths matching any of `globs`. */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  if (!globs.length) return () => false;
  return picomatch([...globs]);
}

/**
 * The files a `files` input selects from `listed` (every file under the globs' prefixes):
 * explicit entries always (their absence is the caller's error), glob matches outside `.git/` and
 * `.github/`. Returns them sorted, with the explicit ones as a set.
 */
export function selectFiles(entries: readonly string[], listed: readonly string[]): { paths: string[]; explicit: Set<string> } {
  const explicit = new Set(entries.filter((f) => !isGlob(f)));
  const matches = globMatcher(entries.filter(isGlob));
  const paths = new Set(explicit);
  for (const p of listed) if (matches(p) && !isForbiddenPath(p)) paths.add(p);
  return { paths: [...paths].sort(), explicit };
}

/** Throws `BumpTargetError` naming the file and the limit when `size` (bytes) is over `maxFileSize` (input `max-file-size`). */
export function assertFileSize(path: string, size: number, maxFileSize: number): void {
  if (size > maxFileSize) {
    throw new BumpTargetError(`${path}: ${size} bytes is more than the limit of ${maxFileSize} bytes (input "max-file-size"); refusing to parse it`);
  }
}
