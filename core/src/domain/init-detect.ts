import { posix } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * `trunkline init`'s guesses, from a repository's file list and the texts of a few of its files
 * (no I/O): one service per file named `Dockerfile` (its directory is the build context), its
 * container port from the Dockerfile's first `EXPOSE`, its lint command from `scripts.lint` of a
 * `package.json` beside it, and its GitOps files from Flux HelmReleases (`kind: HelmRelease`,
 * Flux helm-controller v2) and Helm values files (`values*.yaml`) whose `image.repository` ends
 * with the service name or whose path names it.
 */

export interface InitInput {
  /** Repository-relative POSIX paths of every file (as listRepoFiles returns them). */
  files: readonly string[];
  /** The text of a repository file, or undefined when it is unreadable or too large. */
  read(path: string): string | undefined;
  /** Name for a service whose Dockerfile is at the root (the repository directory's name). */
  repoName: string;
}

export interface InitGuess {
  /** The trunkline.yaml text, with the guesses as comments at its top. */
  text: string;
  /** What was guessed, one sentence each, for the terminal. */
  guesses: string[];
}

/** Directories whose Dockerfiles are not services: tests, fixtures, examples, benchmarks. */
const NOT_SERVICES = /(^|\/)(test|tests|__tests__|fixtures|testdata|examples?|bench|benchmarks?)\//;

/** A service name the schema accepts: lower-case letters, digits, `.`, `_`, `-`. */
export function serviceName(text: string): string {
  const name = text.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63);
  return name || 'app';
}

function exposedPort(dockerfile: string | undefined): number | undefined {
  const m = /^\s*EXPOSE\s+(\d{1,5})(?:\/tcp)?\b/im.exec(dockerfile ?? '');
  const port = m ? Number(m[1]) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

function lintScript(packageJson: string | undefined): string | undefined {
  try {
    const pkg = JSON.parse(packageJson ?? '') as { scripts?: Record<string, unknown> };
    return typeof pkg.scripts?.lint === 'string' ? 'npm run lint' : undefined;
  } catch {
    return undefined;
  }
}

/** The `image.repository` of a HelmRelease (`spec.values.image`) or a values file (`image`), when the file is one. */
function gitopsImage(path: string, text: string | undefined): { kind: 'helmrelease' | 'values'; repository: string } | undefined {
  if (!text || !/\.ya?ml$/.test(path)) return undefined;
  const isValues = /(^|\/)values[^/]*\.ya?ml$/.test(path);
  for (const doc of parseAllDocuments(text)) {
    if (!('errors' in doc) || doc.errors.length) continue;
    const data = doc.toJS() as { kind?: unknown; spec?: { values?: { image?: { repository?: unknown } } }; image?: { repository?: unknown } } | null;
    if (data?.kind === 'HelmRelease' && typeof data.spec?.values?.image?.repository === 'string') return { kind: 'helmrelease', repository: data.spec.values.image.repository };
    if (isValues && typeof data?.image?.repository === 'string') return { kind: 'values', repository: data.image.repository };
  }
  return undefined;
}

/** The longest directory every path lies in (`''` for the root). */
function commonDir(paths: readonly string[]): string {
  const split = paths.map((p) => posix.dirname(p).split('/'));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && first[n] !== '.' && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join('/');
}

/** Flux's documented repository layout keeps apps/, clusters/ and infrastructure/ at its root. */
function fluxRoot(dir: string): string {
  const parts = dir ? dir.split('/') : [];
  while (parts.length && ['apps', 'clusters', 'infrastructure'].includes(parts[parts.length - 1]!)) parts.pop();
  return parts.join('/');
}

/**
 * Guesses a starting trunkline.yaml. Returns its text and the list of guesses; a repository
 * without any Dockerfile still gets a valid file with one service at the root, said as a guess.
 */
export function guessRepoConfig(input: InitInput): InitGuess {
  const guesses: string[] = [];
  const dockerfiles = input.files.filter((f) => posix.basename(f) === 'Dockerfile' && !NOT_SERVICES.test(f));
  if (!dockerfiles.length) guesses.push('found no Dockerfile: one service with the repository root as context (write its Dockerfile, or fix context)');
  const contexts = dockerfiles.length ? dockerfiles.map((f) => posix.dirname(f)) : ['.'];
  const gitopsFiles = input.files.flatMap((path) => {
    const found = /\.ya?ml$/.test(path) && !NOT_SERVICES.test(path) ? gitopsImage(path, input.read(path)) : undefined;
    return found ? [{ path, ...found }] : [];
  });
  const services: Record<string, Record<string, unknown>> = {};
  const claimed: { path: string }[] = [];
  for (const context of contexts) {
    let name = serviceName(context === '.' ? input.repoName : posix.basename(context));
    while (services[name]) name = serviceName(`${name}-2`);
    const service: Record<string, unknown> = { context };
    guesses.push(`service "${name}": build context ${context}${dockerfiles.length ? ` (from ${posix.join(context, 'Dockerfile')})` : ''}`);
    const lint = lintScript(input.read(posix.join(context, 'package.json')));
    if (lint) {
      service['lint-command'] = lint;
      guesses.push(`service "${name}": lint command "${lint}" (package.json has a lint script)`);
    }
    const port = exposedPort(input.read(posix.join(context, 'Dockerfile')));
    service['verify-metrics'] = port ? { 'container-port': port } : {};
    guesses.push(`service "${name}": probe on port ${port ?? 8080}${port ? ' (EXPOSE in its Dockerfile)' : ' (the default; no EXPOSE found)'}, readiness /readyz, metrics /metrics — set verify-metrics.metrics: false if it has none`);
    const mine = gitopsFiles.filter((g) => g.repository.split('/').pop()?.split(':')[0] === name || g.path.split('/').includes(name));
    if (mine.length) {
      service.bump = { files: mine.map((g) => g.path) };
      claimed.push(...mine);
      for (const g of mine) guesses.push(`service "${name}": bumps ${g.path} (a ${g.kind === 'helmrelease' ? 'Flux HelmRelease' : 'Helm values file'} naming image ${g.repository})`);
    } else {
      guesses.push(`service "${name}": found no HelmRelease or values file for it — add bump.files`);
    }
    services[name] = service;
  }
  const config: Record<string, unknown> = {};
  if (claimed.length) {
    const seed = fluxRoot(commonDir(claimed.map((c) => c.path)));
    if (seed) {
      for (const service of Object.values(services)) {
        const bump = service.bump as { files: string[] } | undefined;
        if (bump) bump.files = bump.files.map((f) => posix.relative(seed, f));
      }
    }
    config.gitops = { seed: seed || '.' };
    guesses.push(`GitOps: a local repository seeded from ${seed || 'the repository root'} (where the deploy files are); set gitops.repository to owner/name for GitHub`);
  }
  config.services = services;
  const header = [
    'trunkline.yaml, written by `trunkline init`. Check each guess below, then run `trunkline pipeline`.',
    'Form: schema/trunkline.schema.json of Trunkline.',
    ...guesses.map((g) => `guessed: ${g}`),
  ].map((l) => `# ${l}`).join('\n');
  return { text: `${header}\n${stringify(config)}`, guesses };
}
