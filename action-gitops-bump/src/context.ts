import { getBoolean, getEnum, getInteger, getList, getString, getStringOr } from '@trunkline/core/door/inputs';
import type { BumpConfig, BumpConfigInput } from '@trunkline/core/domain/bump-config';
import { BUMP_DEFAULTS, BUMP_KINDS, BUMP_MODES, MERGE_METHODS, parseIdentity, parseImageTargets, parseRepositorySlug, resolveBumpConfig } from '@trunkline/core/domain/bump-config';

/**
 * Reads action-gitops-bump's inputs (`INPUT_*`, see action.yml) into a validated `BumpConfig`.
 * Errors are `InputError`s naming the input. The token is registered as a secret by the stage's
 * GitHub client and git adapter before any use.
 */
export function readContext(): BumpConfig {
  const input: BumpConfigInput = {
    path: getStringOr('path', '.'),
    files: getList('files'),
    kind: getEnum('kind', BUMP_KINDS, BUMP_DEFAULTS.kind),
    image: getString('image') ?? '',
    tag: getString('tag') ?? '',
    images: parseImageTargets(getList('images', { commas: false })),
    mode: getEnum('mode', BUMP_MODES, BUMP_DEFAULTS.mode),
    remote: getStringOr('remote', BUMP_DEFAULTS.remote),
    maxRetries: getInteger('max-retries', BUMP_DEFAULTS.maxRetries, { min: 0, max: 20 }),
    labels: getList('labels'),
    autoMerge: getBoolean('auto-merge', BUMP_DEFAULTS.autoMerge),
    mergeMethod: getEnum('merge-method', MERGE_METHODS, BUMP_DEFAULTS.mergeMethod),
    apiUrl: getString('api-url') ?? process.env.GITHUB_API_URL ?? BUMP_DEFAULTS.apiUrl,
  };
  const optional = {
    digest: getString('digest'),
    keyPath: getString('key-path'),
    branch: getString('branch'),
    commitMessage: getString('commit-message'),
    title: getString('title'),
    body: getString('body'),
    base: getString('base'),
    token: getString('token'),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (input as Record<string, unknown>)[key] = value;
  const author = getString('author');
  if (author) input.author = parseIdentity(author);
  const slug = getString('repository') ?? process.env.GITHUB_REPOSITORY;
  if (slug) Object.assign(input, parseRepositorySlug(slug));
  return resolveBumpConfig(input);
}
