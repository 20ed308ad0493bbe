import { InputError } from './errors.ts';
import { imageName, parseImageRef, parseRepositoryRef, validateDigest, validateTag } from './image-ref.ts';
import type { InputTable, RawInputs } from './raw-inputs.ts';
import { RawReader } from './raw-inputs.ts';
import { ALLOW_PRIVILEGED_EVENT } from './privileged-event.ts';
import type { ImageTarget } from './bump-targets.ts';
import { validateBranch, validateRelativePath } from './bump-targets.ts';
import type { BumpKind } from './yaml-splice.ts';
import { validateImagePolicy } from './image-setters.ts';

/**
 * The GitOps bump stage's one config resolver: the input table `BUMP_INPUTS` (names and defaults
 * exactly as action-gitops-bump/action.yml spells them) and `bumpConfigFromInputs`, which turns raw
 * values from any door (action inputs, CLI flags, a config file) into a validated `BumpConfig`.
 * Every error is an `InputError` naming the action input (`files`, `key-path`, ...).
 */

/** `none` edits files in place; `push` commits and pushes to a branch; `pr` pushes to a fixed branch
 *  and opens/updates its pull request; `api` does what `pr` does through the Git Data API (no clone). */
export type BumpMode = 'none' | 'push' | 'pr' | 'api';
export const BUMP_MODES: readonly BumpMode[] = ['none', 'push', 'pr', 'api'];
export const BUMP_KINDS: readonly BumpKind[] = ['auto', 'helmrelease', 'values'];
export type MergeMethod = 'merge' | 'squash' | 'rebase';
export const MERGE_METHODS: readonly MergeMethod[] = ['merge', 'squash', 'rebase'];

export interface GitIdentity {
  name: string;
  email: string;
}

/** GitHub's own identity for commits made by workflows (as actions/checkout documents it). */
export const GITHUB_ACTIONS_BOT: GitIdentity = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };

export interface BumpConfig {
  /** The checked-out GitOps repository (unused by mode `api`, which reads and writes files on GitHub). */
  path: string;
  /** Paths or globs relative to `path` (validated: no absolute, `..`, `.git/`, `.github/`). */
  files: string[];
  kind: BumpKind;
  /** Repository to match (`ghcr.io/org/app`); may be empty when `images` lists every target. */
  image: string;
  /** New tag for `image`. */
  tag: string;
  /** New digest for `image` (`sha256:<64 hex>`). */
  digest?: string;
  /** Further images bumped in the same run and the same commit. */
  images?: ImageTarget[];
  /** Dotted key path relative to the values root that pins the target (single image only). */
  keyPath?: string;
  /** Flux ImagePolicy `namespace:name` (single image only): in files carrying `$imagepolicy`
   *  setter markers only the fields marked with it change (domain/image-setters.ts). */
  imagePolicy?: string;
  mode: BumpMode;
  /** `push`: target branch (default: the checked-out branch). `pr`/`api`: the PR branch
   *  (default `trunkline/bump/<repository>`). */
  branch?: string;
  /** Git remote of the checkout (modes `push` and `pr`). */
  remote: string;
  /** First line is the subject; default `chore(gitops): bump <image> to <tag>`. */
  commitMessage?: string;
  author: GitIdentity;
  /** How many times a rejected branch update is retried after re-reading and re-applying (0–20). */
  maxRetries: number;
  /**
   * Largest file (bytes) the bump reads: the YAML parser's cost grows faster than linearly with a
   * file's size (a 50 MB values file took minutes), and GitOps manifests are kilobytes.
   */
  maxFileSize: number;
  /** Upper bound of the first back-off wait in ms (doubles per retry, full jitter). */
  retryDelayMs: number;
  /** Pull request title (default: the commit subject). */
  title?: string;
  /** Pull request body (default: the bump table and diff). */
  body?: string;
  labels: string[];
  /** Base branch of the PR (default: the repository's default branch). */
  base?: string;
  /** Enable auto-merge on the PR; a refusal is a warning, never a failure. */
  autoMerge: boolean;
  mergeMethod: MergeMethod;
  /** Token for the GitHub API (modes `pr`, `api`) and, when set, for git over HTTPS. */
  token?: string;
  /** REST API root, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  apiUrl: string;
  /** Repository that holds the GitOps files on GitHub (modes `pr`, `api`). */
  owner?: string;
  repo?: string;
  /** `GITHUB_EVENT_NAME` as the door saw it (undefined off GitHub): input to the privileged-event guard. */
  eventName?: string;
  /** Run on `pull_request_target`, `workflow_run`, `issue_comment` too (domain/privileged-event.ts). */
  allowPrivilegedEvent?: boolean;
  /** Tuning of the GitHub client for tests and benchmarks (ms per `retry-after` second, write spacing). */
  githubTiming?: { retryAfterUnitMs?: number; writeSpacingMs?: number; retries?: number };
}

/** What a caller must give; everything else has a default (see `resolveBumpConfig`). */
export type BumpConfigInput = Partial<BumpConfig> & Pick<BumpConfig, 'path' | 'files'>;

/** Upper bound of `max-file-size` (64 MiB): beyond it the parser's time is not bounded sensibly. */
export const MAX_FILE_SIZE_CEILING = 64 * 1024 * 1024;

export const BUMP_DEFAULTS = {
  kind: 'auto',
  mode: 'none',
  remote: 'origin',
  author: GITHUB_ACTIONS_BOT,
  maxRetries: 5,
  maxFileSize: 1024 * 1024,
  retryDelayMs: 1000,
  labels: [] as string[],
  autoMerge: false,
  mergeMethod: 'squash',
  apiUrl: 'https://api.github.com',
} as const satisfies Partial<BumpConfig>;

/** The image targets of a config: `image`/`tag`/`digest` first, then `images`. */
export function bumpTargets(cfg: Pick<BumpConfig, 'image' | 'tag' | 'digest' | 'images'>): ImageTarget[] {
  const targets: ImageTarget[] = [];
  if (cfg.image) targets.push({ repository: cfg.image, tag: cfg.tag, ...(cfg.digest ? { digest: cfg.digest } : {}) });
  targets.push(...(cfg.images ?? []));
  return targets;
}

/**
 * Parses the `images` input: one full reference per entry, `repo:tag[@digest]` (the tag is
 * required: it is what gets written). Throws `InputError("images")`.
 */
export function parseImageTargets(entries: readonly string[], inputName = 'images'): ImageTarget[] {
  return entries.map((entry) => {
    const ref = parseImageRef(entry, inputName);
    if (ref.tag === undefined) throw new InputError(inputName, `entries must be repo:tag[@digest] (got "${entry}" without a tag)`);
    return { repository: imageName(ref), tag: ref.tag, ...(ref.digest ? { digest: ref.digest } : {}) };
  });
}

/** Splits `owner/name` (the `repository` input, like `$GITHUB_REPOSITORY`). */
export function parseRepositorySlug(text: string, inputName = 'repository'): { owner: string; repo: string } {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]+)$/.exec(text.trim());
  if (!m || m[2] === '.' || m[2] === '..') throw new InputError(inputName, `must be owner/name, e.g. acme/gitops (got "${text}")`);
  return { owner: m[1]!, repo: m[2]! };
}

/**
 * Fills defaults and validates every field, naming the action input in each error:
 * `files` (at least one, each `validateRelativePath`), `image` (repository, no tag/digest),
 * `tag`/`digest` (OCI grammar), `images`, `key-path` (non-empty dot segments, one image only),
 * `mode`, `kind`, `branch`/`base` (git ref names), `max-retries` (0–20), and for `pr`/`api` a
 * `token` and `repository`. Returns a complete `BumpConfig`.
 */
export function resolveBumpConfig(input: BumpConfigInput): BumpConfig {
  const cfg: BumpConfig = { ...BUMP_DEFAULTS, image: '', tag: '', ...stripUndefined(input) } as BumpConfig;
  if (!cfg.path) throw new InputError('path', 'is required (the checked-out GitOps repository)');
  if (!cfg.files.length) throw new InputError('files', 'is required: one or more paths or globs relative to "path"');
  cfg.files = cfg.files.map((f) => validateRelativePath('files', f));
  if (!BUMP_KINDS.includes(cfg.kind)) throw new InputError('kind', `must be one of ${BUMP_KINDS.join(', ')} (got "${cfg.kind}")`);
  if (!BUMP_MODES.includes(cfg.mode)) throw new InputError('mode', `must be one of ${BUMP_MODES.join(', ')} (got "${cfg.mode}")`);
  if (!MERGE_METHODS.includes(cfg.mergeMethod)) throw new InputError('merge-method', `must be one of ${MERGE_METHODS.join(', ')} (got "${cfg.mergeMethod}")`);
  if (cfg.image) {
    cfg.image = imageName(parseRepositoryRef(cfg.image, 'image'));
    if (!cfg.tag) throw new InputError('tag', 'is required with "image"');
    validateTag(cfg.tag, 'tag');
    if (cfg.digest) validateDigest(cfg.digest, 'digest');
  } else {
    if (!cfg.images?.length) throw new InputError('image', 'is required (or list full references in "images")');
    if (cfg.tag) throw new InputError('tag', 'needs "image" (entries of "images" carry their own tags)');
    if (cfg.digest) throw new InputError('digest', 'needs "image" (entries of "images" carry their own digests)');
  }
  const targets = bumpTargets(cfg);
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.repository)) throw new InputError('images', `names ${t.repository} twice`);
    seen.add(t.repository);
  }
  if (cfg.keyPath !== undefined) {
    if (!cfg.keyPath || cfg.keyPath.split('.').some((s) => s.trim() === '')) {
      throw new InputError('key-path', `must be dot-separated keys such as image or controllers.app.containers.app.image (got "${cfg.keyPath}")`);
    }
    if (targets.length > 1) throw new InputError('key-path', 'pins one image; it cannot be combined with "images"');
  }
  if (cfg.imagePolicy) {
    validateImagePolicy(cfg.imagePolicy);
    if (targets.length > 1) throw new InputError('image-policy', 'names one image\'s policy; it cannot be combined with "images"');
  }
  if (cfg.branch !== undefined) validateBranch('branch', cfg.branch);
  if (cfg.base !== undefined) validateBranch('base', cfg.base);
  if (!/^[A-Za-z0-9._/-]+$/.test(cfg.remote) || cfg.remote.startsWith('-')) {
    throw new InputError('remote', `must be a git remote name such as origin (got "${cfg.remote}")`);
  }
  if (!Number.isInteger(cfg.maxFileSize) || cfg.maxFileSize < 1 || cfg.maxFileSize > MAX_FILE_SIZE_CEILING) {
    throw new InputError('max-file-size', `must be a whole number of bytes from 1 to ${MAX_FILE_SIZE_CEILING} (got ${cfg.maxFileSize})`);
  }
  if (!Number.isInteger(cfg.maxRetries) || cfg.maxRetries < 0 || cfg.maxRetries > 20) {
    throw new InputError('max-retries', `must be a whole number from 0 to 20 (got ${cfg.maxRetries})`);
  }
  if (!cfg.author.name.trim() || !/^[^\s<>]+@[^\s<>]+$/.test(cfg.author.email)) {
    throw new InputError('author', `must be a name and an email address such as "Bot <bot@example.com>" (got "${cfg.author.name} <${cfg.author.email}>")`);
  }
  if (cfg.mode === 'pr' || cfg.mode === 'api') {
    if (!cfg.token) throw new InputError('token', `is required for mode ${cfg.mode} (a token that may push and open pull requests)`);
    if (!cfg.owner || !cfg.repo) throw new InputError('repository', `is required for mode ${cfg.mode} (owner/name of the GitOps repository on GitHub)`);
    if (cfg.branch && cfg.base && cfg.branch === cfg.base) throw new InputError('branch', `must differ from "base" (${cfg.base}): a pull request needs its own branch`);
  }
  if (!/^https?:\/\/[^\s]+$/.test(cfg.apiUrl)) throw new InputError('api-url', `must be an http(s) URL such as https://api.github.com (got "${cfg.apiUrl}")`);
  cfg.apiUrl = cfg.apiUrl.replace(/\/+$/, '');
  return cfg;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Every input of action-gitops-bump, with action.yml's defaults. `${{ github.* }}` defaults are
 * filled in by the runner; other doors give those values themselves (the CLI from `GITHUB_*`).
 */
export const BUMP_INPUTS: InputTable = [
  { name: 'path', default: '.' },
  { name: 'files', list: 'items' },
  { name: 'kind', default: 'auto' },
  { name: 'image' },
  { name: 'tag' },
  { name: 'digest' },
  { name: 'images', list: 'lines' },
  { name: 'key-path' },
  { name: 'image-policy', default: '' },
  { name: 'mode', default: 'none' },
  { name: 'branch' },
  { name: 'remote', default: 'origin' },
  { name: 'commit-message' },
  { name: 'author' },
  { name: 'max-retries', default: '5' },
  { name: 'max-file-size', default: '1048576' },
  { name: 'title' },
  { name: 'body' },
  { name: 'labels', list: 'items' },
  { name: 'base' },
  { name: 'auto-merge', default: 'false' },
  { name: 'merge-method', default: 'squash' },
  { name: 'token', default: '${{ github.token }}', actionOnly: true, secret: true },
  { name: 'repository', default: '${{ github.repository }}' },
  { name: 'api-url', default: '${{ github.api_url }}' },
  { name: ALLOW_PRIVILEGED_EVENT, default: 'false' },
];

/** Defaults the runner evaluates (`${{ … }}`) mean "not given" to every other door. */
const LITERAL_DEFAULTS: InputTable = BUMP_INPUTS.map((s) => (s.default?.startsWith('${{') ? { name: s.name } : s));

/** Settings no door input carries: test and benchmark tuning, and what the door knows of the run. */
export type BumpExtras = Partial<Pick<BumpConfig, 'retryDelayMs' | 'githubTiming' | 'eventName'>>;

/**
 * The one resolver of the bump's raw inputs (keys = `BUMP_INPUTS` names, values as the door got
 * them) into a validated `BumpConfig`: reads each input with its table default, parses `images`,
 * `author` and `repository`, then validates everything (`resolveBumpConfig`). Throws `InputError`
 * naming the input; never reads the environment.
 */
export function bumpConfigFromInputs(raw: RawInputs, extras: BumpExtras = {}): BumpConfig {
  const r = new RawReader(raw, LITERAL_DEFAULTS);
  const input: BumpConfigInput = {
    path: r.string('path') ?? '.',
    files: r.list('files'),
    kind: r.oneOf('kind', BUMP_KINDS, BUMP_DEFAULTS.kind),
    image: r.string('image') ?? '',
    tag: r.string('tag') ?? '',
    images: parseImageTargets(r.list('images', { commas: false })),
    mode: r.oneOf('mode', BUMP_MODES, BUMP_DEFAULTS.mode),
    remote: r.string('remote') ?? BUMP_DEFAULTS.remote,
    maxRetries: r.integer('max-retries', BUMP_DEFAULTS.maxRetries, { min: 0, max: 20 }),
    maxFileSize: r.integer('max-file-size', BUMP_DEFAULTS.maxFileSize, { min: 1, max: MAX_FILE_SIZE_CEILING }),
    labels: r.list('labels'),
    autoMerge: r.boolean('auto-merge', BUMP_DEFAULTS.autoMerge),
    mergeMethod: r.oneOf('merge-method', MERGE_METHODS, BUMP_DEFAULTS.mergeMethod),
    apiUrl: r.string('api-url') ?? BUMP_DEFAULTS.apiUrl,
    allowPrivilegedEvent: r.boolean(ALLOW_PRIVILEGED_EVENT, false),
    ...extras,
  };
  const optional = {
    digest: r.string('digest'),
    keyPath: r.string('key-path'),
    imagePolicy: r.string('image-policy'),
    branch: r.string('branch'),
    commitMessage: r.string('commit-message'),
    title: r.string('title'),
    body: r.string('body'),
    base: r.string('base'),
    token: r.string('token'),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (input as Record<string, unknown>)[key] = value;
  const author = r.string('author');
  if (author) input.author = parseIdentity(author);
  const slug = r.string('repository');
  if (slug) Object.assign(input, parseRepositorySlug(slug));
  return resolveBumpConfig(input);
}

/**
 * Parses `Name <email>` (the `author` input and `--author` flag). Throws `InputError(inputName)`.
 */
export function parseIdentity(text: string, inputName = 'author'): GitIdentity {
  const m = /^\s*([^<>]+?)\s*<([^\s<>]+@[^\s<>]+)>\s*$/.exec(text);
  if (!m) throw new InputError(inputName, `must look like "Name <email@example.com>" (got "${text}")`);
  return { name: m[1]!, email: m[2]! };
}
