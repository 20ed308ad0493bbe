import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { InputError } from '../domain/errors.ts';
import { assertFileSize, globPrefix, selectFiles } from '../domain/bump-files.ts';
import { isForbiddenPath, isGlob } from '../domain/bump-targets.ts';
import type { SourceFile } from '../domain/bump-plan.ts';
import { writeFileAtomic } from './atomic-file.ts';

/**
 * The GitOps checkout on disk, for the bump's mode `none`: list the files a `files` input names
 * (globs walk only from their static prefix, never into `.git`, `.github` or `node_modules`),
 * read them (regular files inside the root only, size checked before reading), and write the
 * edited ones back atomically with their mode kept.
 */

const SKIPPED_DIRS = new Set(['.git', '.github', 'node_modules']);

/** Every regular file under `root/prefix`, as root-relative POSIX paths; symlinked directories are not followed. */
async function walk(root: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(join(root, prefix), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) out.push(...(await walk(root, rel)));
    } else if (e.isFile() || e.isSymbolicLink()) {
      out.push(rel);
    }
  }
  return out;
}

/**
 * Reads the files `entries` (validated `files` input) select under `root`. Explicit paths must
 * exist as regular files; every path must resolve inside `root` and outside `.git/`/`.github/`;
 * a file over `maxFileSize` bytes is refused before it is read. Throws `InputError("files")` or
 * `BumpTargetError`.
 */
export async function readWorkingTreeFiles(root: string, entries: readonly string[], maxFileSize: number): Promise<{ files: SourceFile[]; explicit: Set<string> }> {
  const realRoot = await realpath(root);
  const prefixes = [...new Set(entries.filter(isGlob).map(globPrefix))];
  const listed = (await Promise.all(prefixes.map((p) => walk(root, p)))).flat();
  const { paths, explicit } = selectFiles(entries, listed);
  const out: SourceFile[] = [];
  for (const rel of paths) {
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
    assertFileSize(rel, info.size, maxFileSize);
    out.push({ path: rel, content: await readFile(abs), mode: info.mode & 0o111 ? '100755' : '100644' });
  }
  if (!out.length) throw new InputError('files', `matches no file under ${root} (${entries.join(', ')})`);
  return { files: out, explicit };
}

/** Replaces each file under `root` atomically, keeping its permission bits: a bump changes bytes, never modes. */
export async function writeWorkingTreeFiles(root: string, files: readonly { path: string; content: Buffer }[]): Promise<void> {
  for (const f of files) {
    const path = join(root, f.path);
    await writeFileAtomic(path, f.content, (await stat(path)).mode & 0o7777);
  }
}
