import { InputError } from './errors.ts';
import { showValue } from './image-ref.ts';

/**
 * Validators for the build's option inputs. Each returns the parsed value or throws `InputError`
 * naming the input and the allowed form, so nothing reaches `docker build` unchecked.
 */

/** The values of the `builder` input: `auto` picks buildx, else BuildKit of a pre-23 client, else classic. */
export const BUILDER_PREFERENCES = ['auto', 'buildx', 'buildkit', 'classic'] as const;
export type BuilderPreference = (typeof BUILDER_PREFERENCES)[number];

/**
 * Platforms the OCI image index can name and BuildKit can target (OCI Image Index spec,
 * `platform.os`/`platform.architecture`/`variant`; Go's GOOS/GOARCH values that images use).
 */
export const KNOWN_PLATFORMS: readonly string[] = [
  'linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4',
  'linux/arm64', 'linux/arm64/v8', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7',
  'linux/386', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64', 'linux/mips64le', 'linux/mips64', 'linux/loong64',
  'windows/amd64', 'windows/arm64',
];

/** Validates each `os/arch[/variant]` against `KNOWN_PLATFORMS`; duplicates are dropped. */
export function parsePlatforms(items: readonly string[], inputName = 'platforms'): string[] {
  const out: string[] = [];
  for (const item of items) {
    const p = item.trim().toLowerCase();
    if (!KNOWN_PLATFORMS.includes(p)) {
      throw new InputError(inputName, `names unknown platform ${showValue(item)}; use os/arch[/variant], one of ${KNOWN_PLATFORMS.join(', ')}`);
    }
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** Cache backends `docker buildx build --cache-from/--cache-to` accept (buildx docs, "Cache storage backends"). */
export const CACHE_TYPES = ['registry', 'gha', 'local', 'inline', 's3', 'azblob'] as const;

/**
 * Validates `type=<backend>[,key=value...]` cache specs (e.g. `type=gha,mode=max`,
 * `type=registry,ref=ghcr.io/o/app:buildcache`). Values are limited to `[A-Za-z0-9_.:/@+=-]`, so no
 * shell metacharacter or whitespace gets through.
 */
export function parseCacheSpecs(items: readonly string[], inputName: string): string[] {
  return items.map((item) => {
    const pairs = item.split(',');
    const bad = pairs.find((p) => !/^[a-z][a-z0-9_-]*=[\w.:/@+=-]*$/.test(p));
    const type = /^type=([a-z0-9]+)$/.exec(pairs[0] ?? '')?.[1];
    if (bad !== undefined || !type || !(CACHE_TYPES as readonly string[]).includes(type)) {
      throw new InputError(inputName, `entry ${showValue(item)} must be type=<${CACHE_TYPES.join('|')}>[,key=value...]`);
    }
    return item;
  });
}

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses `NAME=value` lines (the `build-args` input) into a record. Names follow the Dockerfile
 * `ARG` rule (letters, digits, `_`, not starting with a digit); values may be empty but not span lines.
 */
export function parseBuildArgs(lines: readonly string[], inputName = 'build-args'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq) : line;
    if (eq <= 0 || !BUILD_ARG_NAME.test(name)) throw new InputError(inputName, `line ${showValue(line)} must be NAME=value with NAME like ${BUILD_ARG_NAME.source}`);
    out[name] = line.slice(eq + 1);
  }
  return validateBuildArgs(out, inputName);
}

/** Checks names and values of an already-built record (what the pipeline passes). */
export function validateBuildArgs(args: Record<string, string>, inputName = 'build-args'): Record<string, string> {
  for (const [name, value] of Object.entries(args)) {
    if (!BUILD_ARG_NAME.test(name)) throw new InputError(inputName, `name ${showValue(name)} must match ${BUILD_ARG_NAME.source}`);
    if (/[\r\n\0]/.test(value)) throw new InputError(inputName, `value of ${name} contains a line break or NUL`);
  }
  return args;
}

/** `host`, `none`, `default`, or a user-defined network name (Docker's `[a-zA-Z0-9][a-zA-Z0-9_.-]*`). */
export function parseNetwork(value: string, inputName = 'network'): string {
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value)) return value;
  throw new InputError(inputName, `${showValue(value)} must be host, none, default or a network name`);
}

/** Build stage name for `--target`: Dockerfile stage names are `[a-zA-Z][a-zA-Z0-9_.-]*`. */
export function parseTarget(value: string, inputName = 'target'): string {
  if (/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(value)) return value;
  throw new InputError(inputName, `${showValue(value)} is not a Dockerfile stage name ([a-zA-Z][a-zA-Z0-9_.-]*)`);
}

/** Provenance attestation switch (buildx `--provenance`): `true`, `false`, `mode=min`, `mode=max`. */
export function parseProvenance(value: string, inputName = 'provenance'): string {
  if (['true', 'false', 'mode=min', 'mode=max'].includes(value)) return value;
  throw new InputError(inputName, `must be true, false, mode=min or mode=max (got ${showValue(value)})`);
}

/**
 * A lint command as an argument list. Accepts a JSON array of strings (`["npx","eslint","."]`)
 * or words separated by whitespace (`npx eslint .`) — never a shell: quotes, `$`, `;`, `|`, `&`,
 * `>` and backticks are refused in the word form, so nothing is interpreted by a shell.
 */
export function parseCommand(text: string, inputName: string): string[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try { parsed = JSON.parse(trimmed); } catch { parsed = undefined; }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string' && !a.includes('\0'))) {
      throw new InputError(inputName, 'must be a JSON array of strings such as ["npx","eslint","."] or words separated by spaces');
    }
    return parsed as string[];
  }
  const special = /["'`$;|&<>(){}\\]/.exec(trimmed);
  if (special) {
    throw new InputError(inputName, `contains ${showValue(special[0])}: commands run without a shell; write a JSON array (["npx","eslint","--ext",".ts","."]) for arguments with special characters`);
  }
  return trimmed.split(/\s+/);
}

/**
 * Names the Dockerfile declares with `ARG NAME` or `ARG NAME=default` (several per line allowed;
 * Dockerfile reference, "ARG"). Continuation lines and comments are handled loosely: an `ARG`
 * word at the start of a line starts a declaration.
 */
export function declaredBuildArgs(dockerfile: string): Set<string> {
  const names = new Set<string>();
  for (const line of dockerfile.split(/\r?\n/)) {
    const m = /^\s*ARG\s+(.+)$/i.exec(line);
    if (!m) continue;
    for (const word of m[1]!.split(/\s+/)) {
      const name = /^([A-Za-z_][A-Za-z0-9_]*)(=|$)/.exec(word)?.[1];
      if (name) names.add(name);
    }
  }
  return names;
}

/**
 * The build arguments the build stage derives from the event for a Dockerfile that declares them:
 * `APP_VERSION` (the primary tag, the same as the `version` label), `GIT_SHA` (the commit) and
 * `SOURCE_DATE_EPOCH` (commit time, seconds). Only declared names are passed (an undeclared one
 * makes the classic builder warn that it was not consumed); a user's own value always wins.
 */
export function derivedBuildArgs(
  declared: ReadonlySet<string>, facts: { version: string; sha: string; sourceDateEpoch?: number }, given: Record<string, string>,
): Record<string, string> {
  const derived: Record<string, string> = { APP_VERSION: facts.version, GIT_SHA: facts.sha };
  if (facts.sourceDateEpoch !== undefined) derived.SOURCE_DATE_EPOCH = String(facts.sourceDateEpoch);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(derived)) if (declared.has(name) && given[name] === undefined) out[name] = value;
  return { ...out, ...given };
}
