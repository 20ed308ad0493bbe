import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../domain/errors.ts';
import { parseRepoConfig, REPO_CONFIG_FILE } from '../domain/repo-config.ts';
import type { RepoConfig } from '../domain/repo-config.ts';

/**
 * The file system side of `trunkline.yaml`: finding it, reading it (size-limited) and listing a
 * repository's files for `trunkline init`. Parsing and validation are in domain/repo-config.ts.
 */

/** A `trunkline.yaml` larger than this is refused: a config of hundreds of services fits in 256 KiB. */
export const MAX_CONFIG_BYTES = 256 * 1024;

/**
 * The config file to use: `explicit` (`--config FILE`, resolved against `cwd`) when given, else
 * the first `trunkline.yaml` found walking up from `cwd` to the git root (the first directory
 * holding `.git`) or the file-system root. Throws `InputError("config")` when there is none.
 */
export function findRepoConfig(cwd: string, explicit?: string): string {
  if (explicit) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file) || !statSync(file).isFile()) throw new InputError('config', `must name an existing file (got "${explicit}")`);
    return file;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, REPO_CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) {
      throw new InputError('config', `found no ${REPO_CONFIG_FILE} from ${cwd} up to ${dir}: write one (\`trunkline init\`) or pass --config FILE`);
    }
  }
}

/**
 * Reads and validates the config at `file` (at most `MAX_CONFIG_BYTES`). Relative paths inside
 * resolve against the file's directory. Throws `InputError("config")` for a too-large file and
 * `RepoConfigError` (file:line problems) for an invalid one.
 */
export function readRepoConfig(file: string): RepoConfig {
  const size = statSync(file).size;
  if (size > MAX_CONFIG_BYTES) throw new InputError('config', `must be at most ${MAX_CONFIG_BYTES} bytes (${file} has ${size})`);
  const shown = relative(process.cwd(), file) || file;
  return parseRepoConfig(readFileSync(file, 'utf8'), shown.startsWith('..') ? file : shown, dirname(file));
}

/** Directories `listRepoFiles` never enters: VCS data, dependencies, Trunkline's own state. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.trunkline', 'dist', 'vendor', '.venv', 'target']);

/**
 * Regular files under `root` as sorted POSIX paths relative to it, skipping `SKIPPED_DIRS` and
 * symlinks, and stopping at `maxFiles` (a bound for huge trees: init only needs the first ones).
 */
export function listRepoFiles(root: string, maxFiles = 20_000): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (files.length >= maxFiles) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(path);
      else if (entry.isFile()) files.push(relative(root, path).split(sep).join('/'));
    }
  };
  walk(root);
  return files;
}

/** The text of `path` (relative to `root`) when it is a regular file of at most `maxBytes`, else undefined. */
export function readSmallText(root: string, path: string, maxBytes = 256 * 1024): string | undefined {
  const full = join(root, path);
  const stat = lstatSync(full, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.size > maxBytes) return undefined;
  return readFileSync(full, 'utf8');
}

/** The nearest directory from `cwd` upwards that holds `.git` (a checkout or worktree), else undefined. */
export function findGitRoot(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Creates `file` with `text`, refusing (`InputError("config")`) when it already exists: the
 * exclusive create (`wx`) makes the check and the write one step, so nothing is overwritten.
 */
export function writeNewFile(file: string, text: string): void {
  try {
    writeFileSync(file, text, { flag: 'wx', mode: 0o644 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError('config', `${file} already exists; trunkline init never overwrites it (edit it, or move it away first)`);
    throw error;
  }
}
