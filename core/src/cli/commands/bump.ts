import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { InputError } from '../../domain/errors.ts';
import type { BumpConfig, BumpConfigInput, BumpMode, MergeMethod } from '../../domain/bump-config.ts';
import { parseIdentity, parseImageTargets, parseRepositorySlug, resolveBumpConfig } from '../../domain/bump-config.ts';
import type { BumpKind } from '../../domain/yaml-splice.ts';
import { runBump } from '../../stages/bump.ts';

const flags = {
  path: { type: 'string' },
  file: { type: 'string', multiple: true },
  kind: { type: 'string' },
  image: { type: 'string' },
  images: { type: 'string', multiple: true },
  tag: { type: 'string' },
  digest: { type: 'string' },
  'key-path': { type: 'string' },
  mode: { type: 'string' },
  branch: { type: 'string' },
  remote: { type: 'string' },
  'commit-message': { type: 'string' },
  author: { type: 'string' },
  'max-retries': { type: 'string' },
  title: { type: 'string' },
  body: { type: 'string' },
  label: { type: 'string', multiple: true },
  base: { type: 'string' },
  'auto-merge': { type: 'boolean' },
  'merge-method': { type: 'string' },
  'api-url': { type: 'string' },
  repository: { type: 'string' },
} as const;

/**
 * The `BumpConfig` for `trunkline bump` argv (the same validation as action-gitops-bump's
 * context). The GitHub token is read from `GITHUB_TOKEN` in `env`, never from argv.
 */
export function bumpConfigFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env): BumpConfig {
  const { values, positionals } = parseFlags(argv, flags);
  const files = [...(values.file ?? []), ...positionals];
  if (!files.length) throw new InputError('--file', 'is required: a path or glob relative to --path (repeatable)');
  let maxRetries: number | undefined;
  if (values['max-retries'] !== undefined) {
    if (!/^\d+$/.test(values['max-retries'])) throw new InputError('--max-retries', `must be a whole number (got "${values['max-retries']}")`);
    maxRetries = Number(values['max-retries']);
  }
  const input: BumpConfigInput = {
    path: values.path ?? '.',
    files,
    image: values.image ?? '',
    tag: values.tag ?? '',
    images: parseImageTargets(values.images ?? [], '--images'),
    labels: values.label ?? [],
  };
  if (values.kind) input.kind = values.kind as BumpKind;
  if (values.digest) input.digest = values.digest;
  if (values['key-path']) input.keyPath = values['key-path'];
  if (values.mode) input.mode = values.mode as BumpMode;
  if (values.branch) input.branch = values.branch;
  if (values.remote) input.remote = values.remote;
  if (values['commit-message']) input.commitMessage = values['commit-message'];
  if (values.author) input.author = parseIdentity(values.author, '--author');
  if (maxRetries !== undefined) input.maxRetries = maxRetries;
  if (values.title) input.title = values.title;
  if (values.body) input.body = values.body;
  if (values.base) input.base = values.base;
  if (values['auto-merge']) input.autoMerge = true;
  if (values['merge-method']) input.mergeMethod = values['merge-method'] as MergeMethod;
  const apiUrl = values['api-url'] ?? env.GITHUB_API_URL;
  if (apiUrl) input.apiUrl = apiUrl;
  const slug = values.repository ?? env.GITHUB_REPOSITORY;
  if (slug) Object.assign(input, parseRepositorySlug(slug, '--repository'));
  if (env.GITHUB_TOKEN) input.token = env.GITHUB_TOKEN;
  return resolveBumpConfig(input);
}

/** `trunkline bump`: set an image tag in a GitOps repository, then commit/push/PR by `--mode`. */
export const command: CliCommand = {
  name: 'bump',
  summary: 'Set an image tag (and digest) in Flux HelmRelease/values files; commit, push or open a PR',
  usage: `Usage: trunkline bump --file PATH --image REPOSITORY --tag TAG [options]

  --path DIR            the checked-out GitOps repository (default .)
  --file PATH|GLOB      relative to --path; repeatable (or give them as arguments)
  --kind K              auto | helmrelease | values (default auto)
  --image REPO          repository to match, e.g. 127.0.0.1:5000/sample-service
  --tag TAG             new tag (always written as a string)
  --digest sha256:...   written to a digest key or after @ where the file keeps one
  --images REF          more targets as repo:tag[@digest]; repeatable, one commit for all
  --key-path a.b.c      pin the target (relative to spec.values / the document)
  --mode M              none | push | pr | api (default none: edit in place)
  --branch NAME         push: target branch (default: checked out); pr/api: PR branch
                        (default trunkline/bump/<repository>)
  --remote NAME         git remote (default origin)
  --commit-message MSG  default "chore(gitops): bump <image> to <tag>"
  --author "N <e>"      commit author (default github-actions[bot])
  --max-retries N       retries when the branch moved meanwhile (default 5)
  --title, --body       pull request text (pr/api)
  --label NAME          repeatable (pr/api)
  --base BRANCH         PR base (default: the repository's default branch)
  --auto-merge          enable auto-merge (a refusal only warns)
  --merge-method M      merge | squash | rebase (default squash)
  --repository O/N      GitHub repository (default $GITHUB_REPOSITORY)
  --api-url URL         default $GITHUB_API_URL or https://api.github.com
Environment: GITHUB_TOKEN (modes pr and api; also used for git over HTTPS).`,
  run: (argv, log) => runBump(bumpConfigFromArgv(argv), log),
};
