import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/domain/errors.ts';
import { bumpTargets, parseIdentity, parseImageTargets, parseRepositorySlug, resolveBumpConfig } from '../../src/domain/bump-config.ts';
import { bumpBranchName, canonicalRepository, sameRepository, splitReference, validateBranch, validateRelativePath } from '../../src/domain/bump-targets.ts';

const D = `sha256:${'c'.repeat(64)}`;
const base = { path: '/tmp/gitops', files: ['deploy/values.yaml'], image: 'ghcr.io/acme/app', tag: '1.2.3' };

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('file paths a bump may touch', () => {
  it.each([
    ['/etc/passwd', 'files', /is absolute/],
    ['C:\\gitops\\values.yaml', 'files', /is absolute/],
    ['../other/values.yaml', 'files', /must not contain "\.\."/],
    ['apps/../../x.yaml', 'files', /must not contain "\.\."/],
    ['.github/workflows/ci.yml', 'files', /must not point under \.github\//],
    ['./.github/x.yaml', 'files', /must not point under \.github\//],
    ['.git/config', 'files', /must not point under \.git\//],
    ['.', 'files', /must name a file/],
  ])('refuses %s', (entry, input, message) => {
    const e = inputError(() => validateRelativePath('files', entry));
    expect(e.input).toBe(input);
    expect(e.message).toMatch(message);
  });

  it('normalises accepted paths', () => {
    expect(validateRelativePath('files', './deploy//values.yaml')).toBe('deploy/values.yaml');
    expect(validateRelativePath('files', 'apps/**/helmrelease.yaml')).toBe('apps/**/helmrelease.yaml');
    expect(validateRelativePath('files', 'deploy\\values.yaml')).toBe('deploy/values.yaml');
  });
});

describe('repository matching', () => {
  it('canonicalises Docker Hub names only', () => {
    expect(['docker.io/library/redis', 'docker.io/redis', 'library/redis', 'index.docker.io/redis', 'redis'].map(canonicalRepository)).toEqual(Array(5).fill('docker.io/library/redis'));
    expect(canonicalRepository('docker.io/bitnami/redis')).toBe('docker.io/bitnami/redis');
    expect(canonicalRepository('GHCR.io/org/app')).toBe('ghcr.io/org/app');
    expect(canonicalRepository('public.ecr.aws/docker/library/redis')).toBe('public.ecr.aws/docker/library/redis');
  });

  it('is exact: no prefix or suffix matches', () => {
    expect(sameRepository('ghcr.io/org/app', 'ghcr.io/org/app')).toBe(true);
    expect(sameRepository('ghcr.io/org/app', 'ghcr.io/org/app-worker')).toBe(false);
    expect(sameRepository('org/app', 'ghcr.io/org/app')).toBe(false);
    expect(sameRepository('127.0.0.1:5000/app', '127.0.0.1:5001/app')).toBe(false);
  });

  it('splits references with a registry port', () => {
    expect(splitReference('localhost:5000/org/app')).toEqual({ repository: 'localhost:5000/org/app' });
    expect(splitReference(`127.0.0.1:5000/app:1.10@${D}`)).toEqual({ repository: '127.0.0.1:5000/app', tag: '1.10', digest: D });
    expect(splitReference('${REGISTRY}/app:1.0')).toBeUndefined();
    expect(splitReference('{{ .Values.image }}')).toBeUndefined();
  });
});

describe('branches', () => {
  it('derives one fixed PR branch per image', () => {
    expect(bumpBranchName('ghcr.io/acme/app')).toBe('trunkline/bump/acme-app');
    expect(bumpBranchName('127.0.0.1:5000/sample-service')).toBe('trunkline/bump/sample-service');
    expect(bumpBranchName('redis')).toBe('trunkline/bump/redis');
    expect(validateBranch('branch', bumpBranchName('localhost:5000/a/b.c/d'))).toBe('trunkline/bump/a-b.c-d');
  });

  it.each(['main..x', 'a b', '-x', 'x.lock', 'feature/', 'a:b', 'x@{1}', '.hidden/x', 'a\u0001b'])('refuses branch %j', (branch) => {
    expect(inputError(() => validateBranch('branch', branch)).input).toBe('branch');
  });
});

describe('resolveBumpConfig', () => {
  it('fills defaults', () => {
    const cfg = resolveBumpConfig(base);
    expect(cfg).toMatchObject({ kind: 'auto', mode: 'none', remote: 'origin', maxRetries: 5, labels: [], autoMerge: false, mergeMethod: 'squash', apiUrl: 'https://api.github.com' });
    expect(cfg.author.name).toBe('github-actions[bot]');
    expect(bumpTargets(cfg)).toEqual([{ repository: 'ghcr.io/acme/app', tag: '1.2.3' }]);
  });

  it.each([
    [{ files: [] }, 'files'],
    [{ image: 'ghcr.io/acme/app:1.0' }, 'image'],
    [{ image: 'GHCR.io/Acme/App' }, 'image'],
    [{ tag: '' }, 'tag'],
    [{ tag: '-bad' }, 'tag'],
    [{ tag: 'a'.repeat(129) }, 'tag'],
    [{ digest: 'sha256:123' }, 'digest'],
    [{ kind: 'kustomize' }, 'kind'],
    [{ mode: 'force' }, 'mode'],
    [{ keyPath: 'a..b' }, 'key-path'],
    [{ branch: 'bad branch' }, 'branch'],
    [{ maxRetries: 99 }, 'max-retries'],
    [{ remote: '--upload-pack=x' }, 'remote'],
    [{ mode: 'pr' }, 'token'],
    [{ mode: 'api', token: 't' }, 'repository'],
    [{ mode: 'pr', token: 't', owner: 'o', repo: 'r', branch: 'main', base: 'main' }, 'branch'],
    [{ apiUrl: 'ftp://x' }, 'api-url'],
    [{ image: '', tag: '' }, 'image'],
  ])('refuses %j naming input %s', (override, input) => {
    expect(inputError(() => resolveBumpConfig({ ...base, ...(override as object) })).input).toBe(input);
  });

  it('takes further images as full references, one commit for all', () => {
    const images = parseImageTargets(['ghcr.io/acme/worker:2.0', `ghcr.io/acme/cron:3.0@${D}`]);
    const cfg = resolveBumpConfig({ ...base, images });
    expect(bumpTargets(cfg).map((t) => `${t.repository}:${t.tag}`)).toEqual(['ghcr.io/acme/app:1.2.3', 'ghcr.io/acme/worker:2.0', 'ghcr.io/acme/cron:3.0']);
    expect(inputError(() => parseImageTargets(['ghcr.io/acme/worker'])).input).toBe('images');
    expect(inputError(() => resolveBumpConfig({ ...base, images: parseImageTargets(['ghcr.io/acme/app:2']) })).message).toMatch(/twice/);
    expect(inputError(() => resolveBumpConfig({ ...base, keyPath: 'image', images })).input).toBe('key-path');
  });

  it('parses identities and repository slugs', () => {
    expect(parseIdentity('Release Bot <bot@example.com>')).toEqual({ name: 'Release Bot', email: 'bot@example.com' });
    expect(inputError(() => parseIdentity('bot@example.com')).input).toBe('author');
    expect(parseRepositorySlug('acme/gitops')).toEqual({ owner: 'acme', repo: 'gitops' });
    expect(inputError(() => parseRepositorySlug('acme')).input).toBe('repository');
  });
});
