import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/domain/errors.ts';
import { bumpConfigFromInputs } from '../../src/domain/bump-config.ts';
import type { RawInputs } from '../../src/domain/raw-inputs.ts';

// The bump's one resolver, input by input: its default, a valid value, an invalid value and the message.
const base: RawInputs = { files: 'deploy/values.yaml', image: 'ghcr.io/acme/app', tag: '1.2.3' };
const D = `sha256:${'c'.repeat(64)}`;
const pr = { mode: 'pr', token: 't', repository: 'acme/gitops' };

function refusal(raw: RawInputs): InputError {
  try {
    bumpConfigFromInputs({ ...base, ...raw });
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error(`expected an InputError for ${JSON.stringify(raw)}`);
}

describe('bumpConfigFromInputs: defaults', () => {
  it('fills every default from the table', () => {
    const cfg = bumpConfigFromInputs(base);
    expect(cfg).toMatchObject({
      path: '.', files: ['deploy/values.yaml'], kind: 'auto', mode: 'none', remote: 'origin', maxRetries: 5, labels: [],
      autoMerge: false, mergeMethod: 'squash', apiUrl: 'https://api.github.com', author: { name: 'github-actions[bot]' },
    });
    for (const absent of ['digest', 'keyPath', 'branch', 'commitMessage', 'title', 'body', 'base', 'token', 'owner', 'repo']) {
      expect(cfg, absent).not.toHaveProperty(absent);
    }
  });

  it('treats the runner-evaluated defaults (${{ github.* }}) as not given', () => {
    expect(bumpConfigFromInputs(base).apiUrl).toBe('https://api.github.com');
    expect(refusal({ mode: 'pr' }).message).toBe('Input "token" is required for mode pr (a token that may push and open pull requests)');
  });
});

describe('bumpConfigFromInputs: each input', () => {
  it.each([
    ['path', { path: 'flux' }, { path: 'flux' }],
    ['files', { files: 'a.yaml, apps/**/hr.yaml\nb.yaml' }, { files: ['a.yaml', 'apps/**/hr.yaml', 'b.yaml'] }],
    ['kind', { kind: 'helmrelease' }, { kind: 'helmrelease' }],
    ['image', { image: 'docker.io/library/redis' }, { image: 'docker.io/library/redis' }],
    ['tag', { tag: '1.10' }, { tag: '1.10' }],
    ['digest', { digest: D }, { digest: D }],
    ['images', { images: `ghcr.io/acme/worker:2\nghcr.io/acme/cron:3@${D}` }, { images: [{ repository: 'ghcr.io/acme/worker', tag: '2' }, { repository: 'ghcr.io/acme/cron', tag: '3', digest: D }] }],
    ['key-path', { 'key-path': 'controllers.app.image' }, { keyPath: 'controllers.app.image' }],
    ['mode', { mode: 'push' }, { mode: 'push' }],
    ['branch', { branch: 'gitops/bumps' }, { branch: 'gitops/bumps' }],
    ['remote', { remote: 'upstream' }, { remote: 'upstream' }],
    ['commit-message', { 'commit-message': 'deploy app' }, { commitMessage: 'deploy app' }],
    ['author', { author: 'Release Bot <bot@example.com>' }, { author: { name: 'Release Bot', email: 'bot@example.com' } }],
    ['max-retries', { 'max-retries': '0' }, { maxRetries: 0 }],
    ['title', { title: 'Deploy' }, { title: 'Deploy' }],
    ['body', { body: 'text' }, { body: 'text' }],
    ['labels', { labels: 'a, b\nc' }, { labels: ['a', 'b', 'c'] }],
    ['base', { base: 'main' }, { base: 'main' }],
    ['auto-merge', { 'auto-merge': 'True' }, { autoMerge: true }],
    ['merge-method', { 'merge-method': 'rebase' }, { mergeMethod: 'rebase' }],
    ['token', { ...pr }, { token: 't' }],
    ['repository', { ...pr }, { owner: 'acme', repo: 'gitops' }],
    ['api-url', { 'api-url': 'https://ghe.example.com/api/v3/' }, { apiUrl: 'https://ghe.example.com/api/v3' }],
  ])('accepts %s', (_name, raw, expected) => {
    expect(bumpConfigFromInputs({ ...base, ...raw })).toMatchObject(expected);
  });

  it.each([
    ['files', { files: '' }, 'Input "files" is required: one or more paths or globs relative to "path"'],
    ['files', { files: '../x.yaml' }, /Input "files" must not contain "\.\."/],
    ['kind', { kind: 'kustomize' }, 'Input "kind" must be one of auto, helmrelease, values (got "kustomize")'],
    ['image', { image: 'ghcr.io/acme/app:1' }, /^Input "image" /],
    ['image', { image: '', tag: '' }, 'Input "image" is required (or list full references in "images")'],
    ['tag', { tag: '-bad' }, /^Input "tag" /],
    ['digest', { digest: 'sha256:12' }, /^Input "digest" /],
    ['images', { images: 'ghcr.io/acme/worker' }, 'Input "images" entries must be repo:tag[@digest] (got "ghcr.io/acme/worker" without a tag)'],
    ['key-path', { 'key-path': 'a..b' }, /^Input "key-path" must be dot-separated keys/],
    ['mode', { mode: 'force' }, 'Input "mode" must be one of none, push, pr, api (got "force")'],
    ['branch', { branch: 'bad branch' }, /^Input "branch" must be a valid git branch name/],
    ['remote', { remote: '--upload-pack=x' }, /^Input "remote" must be a git remote name/],
    ['author', { author: 'bot@example.com' }, /^Input "author" must look like "Name <email@example.com>"/],
    ['max-retries', { 'max-retries': '21' }, 'Input "max-retries" must be a whole number from 0 to 20 (got "21")'],
    ['base', { base: 'a..b' }, /^Input "base" must be a valid git branch name/],
    ['auto-merge', { 'auto-merge': 'yes' }, 'Input "auto-merge" must be true or false (got "yes")'],
    ['merge-method', { 'merge-method': 'ff' }, 'Input "merge-method" must be one of merge, squash, rebase (got "ff")'],
    ['token', { mode: 'api', repository: 'acme/gitops' }, 'Input "token" is required for mode api (a token that may push and open pull requests)'],
    ['repository', { repository: 'acme' }, 'Input "repository" must be owner/name, e.g. acme/gitops (got "acme")'],
    ['api-url', { 'api-url': 'ftp://x' }, 'Input "api-url" must be an http(s) URL such as https://api.github.com (got "ftp://x")'],
  ])('refuses a bad %s', (name, raw, message) => {
    const e = refusal(raw);
    expect(e.input).toBe(name);
    if (typeof message === 'string') expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
  });
});
