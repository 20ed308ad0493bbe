import { InputError } from './errors.ts';

/**
 * Image references: `[registry/]repository[:tag][@digest]`.
 *
 * Grammar and limits follow the OCI Distribution Spec (v1.1, "Pulling manifests": `<name>` and
 * `<reference>` patterns) and the distribution/reference grammar the Docker CLI uses:
 *   repository := path-component ('/' path-component)*
 *   path-component := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
 *   tag := [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
 *   digest := sha256:<64 lowercase hex>   (Trunkline accepts sha256 only: what registries emit)
 * The first path element is a registry when it contains `.` or `:` or is `localhost`
 * (distribution/reference `splitDockerDomain`), so `127.0.0.1:5000/app` is registry
 * `127.0.0.1:5000` + repository `app`, never repository `127.0.0.1` with tag `5000/app`.
 */
export interface ImageRef {
  /** Host with optional port, e.g. `ghcr.io`, `127.0.0.1:5000`; absent for `name` or `org/name`. */
  registry?: string;
  /** Lowercase path, e.g. `acme/sample-service`. */
  repository: string;
  tag?: string;
  /** `sha256:` followed by 64 lowercase hex digits. */
  digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
export const TAG_PATTERN = '[A-Za-z0-9_][A-Za-z0-9._-]{0,127}';
const TAG = new RegExp(`^${TAG_PATTERN}$`);
const DIGEST = /^sha256:[a-f0-9]{64}$/;
// A DNS name or IPv4 address (labels of letters, digits and inner dashes), or a bracketed IPv6
// literal, optionally followed by a port.
const REGISTRY = /^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[A-Fa-f0-9:]+\])(?::[0-9]{1,5})?$/;
/** distribution/reference `NameTotalLengthMax`: registry + `/` + repository. */
export const MAX_NAME_LENGTH = 255;

/** Shows a value in an error message: control characters made visible, long values shortened. */
export function showValue(value: string): string {
  const visible = JSON.stringify(value);
  return visible.length > 80 ? `${visible.slice(0, 60)}…" (${value.length} characters)` : visible;
}

/**
 * Throws `InputError(inputName)` unless `tag` is a valid OCI tag (1–128 characters, first a
 * letter, digit or `_`, then letters, digits, `_`, `.`, `-`). The message names the offending
 * character or the length, and the allowed pattern.
 */
export function validateTag(tag: string, inputName: string): string {
  if (TAG.test(tag)) return tag;
  let why: string;
  if (tag.length === 0) why = 'is empty';
  else if (tag.length > 128) why = `is ${tag.length} characters long (at most 128)`;
  else if (!/^[A-Za-z0-9_]/.test(tag)) why = `starts with ${showValue(tag[0]!)}`;
  else why = `contains ${showValue(/[^A-Za-z0-9._-]/.exec(tag)?.[0] ?? '?')}`;
  throw new InputError(inputName, `has tag ${showValue(tag)}, which ${why}; a tag must match ${TAG_PATTERN}`);
}

/** Throws `InputError(inputName)` unless `digest` is `sha256:` + 64 lowercase hex digits. */
export function validateDigest(digest: string, inputName: string): string {
  if (DIGEST.test(digest)) return digest;
  throw new InputError(inputName, `has digest ${showValue(digest)}; a digest must be sha256:<64 lowercase hex digits>`);
}

/**
 * Throws `InputError(inputName)` unless `repository` is a valid repository path: `/`-separated
 * components of lowercase letters and digits joined by `.`, `_`, `__` or dashes.
 */
export function validateRepository(repository: string, inputName: string): string {
  const bad = repository.split('/').find((c) => !PATH_COMPONENT.test(c));
  if (bad === undefined) return repository;
  const hint = bad !== bad.toLowerCase() ? ' must be lowercase and' : '';
  throw new InputError(inputName, `has repository ${showValue(repository)} whose component ${showValue(bad)}${hint} must match [a-z0-9]+ joined by ".", "_", "__" or "-"`);
}

/**
 * Parses and validates an image reference. `inputName` is the input (or flag) the text came from;
 * every error is an `InputError` naming it, the rejected value and the allowed form.
 *
 * Examples: `sample-service` → `{repository}`; `127.0.0.1:5000/app:1.2` → `{registry, repository,
 * tag}`; `ghcr.io/o/app@sha256:…` → `{registry, repository, digest}`.
 */
export function parseImageRef(text: string, inputName: string): ImageRef {
  if (text.length === 0) throw new InputError(inputName, 'is empty; expected an image reference such as registry.example.com/team/app:1.2.3');
  if (/\s/.test(text)) throw new InputError(inputName, `contains whitespace (${showValue(text)}); expected one image reference`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = validateDigest(rest.slice(at + 1), inputName);
    rest = rest.slice(0, at);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      if (!REGISTRY.test(first)) throw new InputError(inputName, `has registry ${showValue(first)}, which is not a host name or IP address with an optional :port`);
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = validateTag(rest.slice(colon + 1), inputName);
    rest = rest.slice(0, colon);
  }
  if (rest.length === 0) throw new InputError(inputName, `has no repository in ${showValue(text)}`);
  validateRepository(rest, inputName);
  const nameLength = (registry ? registry.length + 1 : 0) + rest.length;
  if (nameLength > MAX_NAME_LENGTH) throw new InputError(inputName, `has a name of ${nameLength} characters (at most ${MAX_NAME_LENGTH})`);
  return { ...(registry ? { registry } : {}), repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/**
 * Parses a reference that must name a repository only (no tag, no digest), as the `image` input
 * of the build: tags are computed, digests are produced.
 */
export function parseRepositoryRef(text: string, inputName: string): ImageRef {
  const ref = parseImageRef(text, inputName);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new InputError(inputName, `must be a repository without tag or digest, e.g. ${formatImageRef({ ...ref, tag: undefined, digest: undefined })} (got ${showValue(text)})`);
  }
  return ref;
}

/** `registry/repository` (or `repository` without a registry). */
export function imageName(ref: Pick<ImageRef, 'registry' | 'repository'>): string {
  return ref.registry ? `${ref.registry}/${ref.repository}` : ref.repository;
}

/** Formats `[registry/]repository[:tag][@digest]`; the inverse of `parseImageRef`. */
export function formatImageRef(ref: ImageRef): string {
  return `${imageName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
