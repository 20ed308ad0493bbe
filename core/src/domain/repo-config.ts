import { posix } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { InputError } from './errors.ts';
import type { RawInputs } from './raw-inputs.ts';
import { keyLine, schemaProblems } from './repo-config-schema.ts';
import type { ConfigProblem } from './repo-config-schema.ts';

/**
 * `trunkline.yaml`: one file that configures the delivery of every service of a repository.
 * The form is `schema/trunkline.schema.json`; this module parses the text (keeping positions),
 * validates it and returns typed config whose stage sections are `RawInputs` keyed by the
 * action input names, for the per-stage resolvers (see raw-inputs.ts). No I/O.
 */

export const REPO_CONFIG_FILE = 'trunkline.yaml';

export type RegistryType = 'local' | 'ecr' | 'oci';
export type GitopsTargetKind = 'github' | 'path' | 'state';

export interface RegistrySettings {
  type: RegistryType;
  /** ecr/oci: `host[:port][/namespace]`. */
  host?: string;
  /** local: the registry port on 127.0.0.1. */
  port: number;
  awsRegion?: string;
  insecure?: boolean;
}

export interface GitopsSettings {
  /** `github`: `owner/name` on GitHub; `path`: a local bare repository or checkout; `state`: one kept in the state dir. */
  kind: GitopsTargetKind;
  /** `owner/name` (github) or a path relative to the config file's directory (path). */
  repository?: string;
  /** Directory (relative to the config file) that seeds a new local repository. */
  seed?: string;
  branch: string;
  mode: 'push' | 'pr' | 'api' | 'none';
  base?: string;
}

/** The stages whose inputs a service section carries, by the action's name for them. */
export type StageSection = 'build' | 'scan' | 'verify-metrics' | 'bump';

export interface ServiceSettings {
  name: string;
  /** Build context, relative to the config file's directory (POSIX). */
  context: string;
  /** Dockerfile, relative to the config file's directory. */
  dockerfile: string;
  /** Image repository under the registry host (`api`, `acme/api`). */
  image: string;
  /** Globs (relative to the config file's directory) whose change delivers the service. */
  paths: string[];
  /** false: the probe checks readiness only (no metrics endpoint). */
  metrics: boolean;
  /** Exit codes that count as a clean stop after SIGTERM, e.g. [0, 143]. */
  cleanExitCodes: number[];
  /** Raw inputs per stage, by action input name (lists joined with newlines, maps as KEY=VALUE lines). */
  inputs: Record<StageSection, RawInputs>;
  /** Line of the service's key in the file (for messages). */
  line: number;
}

export interface RepoConfig {
  /** The file as given (for messages). */
  file: string;
  /** Directory of the file: every relative path in it resolves against this. */
  root: string;
  stateDir: string;
  registry: RegistrySettings;
  gitops: GitopsSettings;
  signing: { keyFile?: string; annotations: string[] };
  /** In file order. */
  services: ServiceSettings[];
}

/**
 * A `trunkline.yaml` that does not parse or does not match the schema. The message lists every
 * problem as `file:line:col: key.path message (allowed: form)` (docs/errors.md, `config-invalid`).
 */
export class RepoConfigError extends InputError {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];
  constructor(file: string, problems: readonly ConfigProblem[]) {
    super('config', 'is invalid');
    this.name = 'RepoConfigError';
    this.file = file;
    this.problems = problems;
    this.message = `${file} is not a valid trunkline.yaml (schema/trunkline.schema.json):\n${problems.map((p) => `  ${file}:${p.line}:${p.col}: ${p.message}`).join('\n')}`;
  }
}

const GITHUB_SLUG = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\/[A-Za-z0-9._-]+$/;

/** Any YAML scalar, list or map → the raw string an action input would carry. */
function rawValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join('\n');
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}=${String(v)}`).join('\n');
  return String(value);
}

function rawSection(section: Record<string, unknown> | undefined, skip: readonly string[] = []): Record<string, string> {
  return Object.fromEntries(Object.entries(section ?? {}).filter(([k]) => !skip.includes(k)).map(([k, v]) => [k, rawValue(v)]));
}

/** The directory part of a glob-free context: `services/api/**` for `services/api`, `**` for `.`. */
function contextGlob(context: string): string {
  const dir = posix.normalize(context).replace(/\/+$/, '');
  return dir === '.' ? '**' : `${dir}/**`;
}

interface RawService {
  context: string;
  dockerfile?: string;
  image?: string;
  'lint-command'?: string;
  paths?: string[];
  build?: Record<string, unknown>;
  scan?: Record<string, unknown>;
  'verify-metrics'?: Record<string, unknown> & { metrics: boolean; 'clean-exit-codes': number[] };
  bump?: Record<string, unknown>;
}

interface RawConfig {
  'state-dir': string;
  registry: { type: RegistryType; host?: string; port: number; 'aws-region'?: string; 'insecure-registry'?: boolean };
  gitops: { repository?: string; seed?: string; branch: string; mode: GitopsSettings['mode']; base?: string };
  signing: { 'key-file'?: string; annotations?: string | string[] };
  scan?: Record<string, unknown>;
  services: Record<string, RawService>;
}

/**
 * Parses and validates `text` (the content of `file`, whose directory is `root`). Returns the
 * typed config with every default applied: registry local on port 5000, GitOps branch `main`
 * mode `push`, a service's dockerfile `<context>/Dockerfile`, image = its name, paths
 * `<context>/**`, metrics on, clean exit codes [0]. Throws `RepoConfigError` listing every
 * YAML or schema problem with its line and the allowed form.
 */
export function parseRepoConfig(text: string, file: string, root: string): RepoConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new RepoConfigError(file, doc.errors.map((e) => {
      const { line, col } = lines.linePos(e.pos[0]);
      return { line, col, at: '(yaml)', message: `${e.message.split('\n')[0]} (allowed: YAML 1.2)` };
    }));
  }
  const data = (doc.toJS() ?? {}) as unknown;
  if (typeof data !== 'object' || Array.isArray(data) || data === null) {
    throw new RepoConfigError(file, [{ line: 1, col: 1, at: '(top level)', message: 'the file must be a map with at least "services" (allowed: see schema/trunkline.schema.json)' }]);
  }
  const problems = schemaProblems(data, doc, lines);
  if (problems.length) throw new RepoConfigError(file, problems);
  const raw = data as RawConfig;
  const scanPolicy = rawSection(raw.scan);
  const services = Object.entries(raw.services).map(([name, s]): ServiceSettings => {
    const context = posix.normalize(s.context);
    const probe = s['verify-metrics'] ?? { metrics: true, 'clean-exit-codes': [0] };
    const dockerfile = s.dockerfile ?? posix.join(context, 'Dockerfile');
    return {
      name,
      context,
      dockerfile,
      image: s.image ?? name,
      paths: s.paths ?? [contextGlob(context)],
      metrics: probe.metrics,
      cleanExitCodes: probe['clean-exit-codes'],
      inputs: {
        build: { ...rawSection(s.build), context, dockerfile, ...(s['lint-command'] ? { 'lint-command': s['lint-command'] } : {}) },
        scan: { ...scanPolicy, ...rawSection(s.scan) },
        'verify-metrics': rawSection(probe, ['metrics', 'clean-exit-codes']),
        bump: rawSection(s.bump),
      },
      line: keyLine(doc, lines, ['services', name]),
    };
  });
  const repository = raw.gitops.repository;
  return {
    file,
    root,
    stateDir: raw['state-dir'],
    registry: {
      type: raw.registry.type,
      port: raw.registry.port,
      ...(raw.registry.host ? { host: raw.registry.host } : {}),
      ...(raw.registry['aws-region'] ? { awsRegion: raw.registry['aws-region'] } : {}),
      ...(raw.registry['insecure-registry'] !== undefined ? { insecure: raw.registry['insecure-registry'] } : {}),
    },
    gitops: {
      kind: repository === undefined ? 'state' : GITHUB_SLUG.test(repository) && !repository.startsWith('.') ? 'github' : 'path',
      ...(repository ? { repository } : {}),
      ...(raw.gitops.seed ? { seed: raw.gitops.seed } : {}),
      branch: raw.gitops.branch,
      mode: raw.gitops.mode,
      ...(raw.gitops.base ? { base: raw.gitops.base } : {}),
    },
    signing: {
      ...(raw.signing['key-file'] ? { keyFile: raw.signing['key-file'] } : {}),
      annotations: raw.signing.annotations === undefined ? [] : rawValue(raw.signing.annotations).split('\n').filter(Boolean),
    },
    services,
  };
}
