import { describe, expect, it } from 'vitest';
import { buildCommand, parseVersion } from '../../src/adapters/docker-build.ts';
import type { BuilderInfo, BuildRequest } from '../../src/adapters/docker-build.ts';
import { parseBuildArgs, parseCacheSpecs, parseCommand, parsePlatforms } from '../../src/domain/build-options.ts';
import { InputError } from '../../src/domain/errors.ts';

const request: BuildRequest = {
  context: '/src/app',
  dockerfile: '/src/app/Dockerfile',
  refs: ['127.0.0.1:5000/app:sha-abc1234', '127.0.0.1:5000/app:latest'],
  labels: { 'org.opencontainers.image.revision': 'abc', 'org.opencontainers.image.version': 'sha-abc1234' },
  buildArgs: { RUNTIME_IMAGE: 'trunkline/node-runtime:24-local' },
  network: 'host',
  platforms: [],
  cacheFrom: ['type=gha', 'type=registry,ref=127.0.0.1:5000/app:cache'],
  cacheTo: ['type=gha,mode=max'],
  provenance: 'mode=max',
  sbom: true,
  push: false,
  sourceDateEpoch: 1557933565,
  iidFile: '/tmp/x/iid',
  metadataFile: '/tmp/x/meta.json',
};

const buildx: BuilderInfo = { kind: 'buildx', version: 'v0.12.1' };
const classic: BuilderInfo = { kind: 'classic', version: '28.2.2' };
const buildkit: BuilderInfo = { kind: 'buildkit', version: '20.10.24+dfsg1' };

describe('buildCommand: the exact docker argv per builder', () => {
  it('buildx: platforms, caches, attestations, metadata file, --load; SOURCE_DATE_EPOCH in the environment', () => {
    const c = buildCommand(buildx, { ...request, platforms: ['linux/amd64'] });
    expect(c.args).toEqual([
      'buildx', 'build', '--progress', 'plain',
      '--file', '/src/app/Dockerfile', '--iidfile', '/tmp/x/iid', '--network', 'host',
      '--tag', '127.0.0.1:5000/app:sha-abc1234', '--tag', '127.0.0.1:5000/app:latest',
      '--label', 'org.opencontainers.image.revision=abc', '--label', 'org.opencontainers.image.version=sha-abc1234',
      '--build-arg', 'RUNTIME_IMAGE=trunkline/node-runtime:24-local',
      '--metadata-file', '/tmp/x/meta.json', '--platform', 'linux/amd64',
      '--cache-from', 'type=gha', '--cache-from', 'type=registry,ref=127.0.0.1:5000/app:cache', '--cache-to', 'type=gha,mode=max',
      '--provenance=mode=max', '--sbom=true', '--load', '/src/app',
    ]);
    expect(c.env).toEqual({ SOURCE_DATE_EPOCH: '1557933565' });
    expect(c.notes).toEqual([]);
  });

  it('buildx with push: --push and OCI annotations (buildx >= 0.12); older buildx drops attestations with a note', () => {
    const pushed = buildCommand(buildx, { ...request, push: true, platforms: ['linux/amd64', 'linux/arm64'] });
    expect(pushed.args).toContain('--push');
    expect(pushed.args).not.toContain('--load');
    expect(pushed.args.join(' ')).toContain('--platform linux/amd64,linux/arm64');
    expect(pushed.args.join(' ')).toContain('--annotation org.opencontainers.image.revision=abc');
    const old = buildCommand({ kind: 'buildx', version: 'v0.9.1' }, { ...request, push: true });
    expect(old.args.some((a) => a.startsWith('--provenance') || a.startsWith('--sbom') || a === '--annotation')).toBe(false);
    expect(old.notes).toEqual(['provenance left out: buildx v0.9.1 is older than 0.10', 'sbom left out: buildx v0.9.1 is older than 0.10']);
  });

  it('classic: DOCKER_BUILDKIT=0, no SOURCE_DATE_EPOCH (the classic builder would warn it was not consumed), registry cache refs only, notes for the rest', () => {
    const c = buildCommand(classic, request);
    expect(c.args).toEqual([
      'build', '--file', '/src/app/Dockerfile', '--iidfile', '/tmp/x/iid', '--network', 'host',
      '--tag', '127.0.0.1:5000/app:sha-abc1234', '--tag', '127.0.0.1:5000/app:latest',
      '--label', 'org.opencontainers.image.revision=abc', '--label', 'org.opencontainers.image.version=sha-abc1234',
      '--build-arg', 'RUNTIME_IMAGE=trunkline/node-runtime:24-local',
      '--cache-from', '127.0.0.1:5000/app:cache', '/src/app',
    ]);
    expect(c.env).toEqual({ DOCKER_BUILDKIT: '0' });
    expect(c.notes).toEqual([
      'cache-from type=gha left out: the classic builder reads only registry images',
      'cache-to left out: the classic builder cannot export a cache (needs buildx)',
      'provenance left out: the classic builder makes no attestations (needs buildx)',
      'sbom left out: the classic builder makes no attestations (needs buildx)',
    ]);
  });

  it('buildkit (pre-23 client): DOCKER_BUILDKIT=1 and plain progress; a user SOURCE_DATE_EPOCH build arg wins', () => {
    const c = buildCommand(buildkit, { ...request, cacheFrom: [], cacheTo: [], buildArgs: { SOURCE_DATE_EPOCH: '0' }, sbom: false, provenance: 'false' });
    expect(c.args.slice(0, 3)).toEqual(['build', '--progress', 'plain']);
    expect(c.args.join(' ')).toContain('--build-arg SOURCE_DATE_EPOCH=0');
    expect(c.args.join(' ')).not.toContain('SOURCE_DATE_EPOCH=1557933565');
    expect(c.env.DOCKER_BUILDKIT).toBe('1');
    expect(c.notes).toEqual([]);
  });

  it('parseVersion reads buildx and docker version strings', () => {
    expect(parseVersion('v0.12.1')).toEqual([0, 12, 1]);
    expect(parseVersion('20.10.24+dfsg1')).toEqual([20, 10, 24]);
    expect(parseVersion('garbage')).toEqual([0, 0, 0]);
  });
});

function inputError(fn: () => unknown): InputError {
  try { fn(); } catch (e) { if (e instanceof InputError) return e; throw e; }
  throw new Error('no error thrown');
}

describe('build option validators', () => {
  it('platforms: known os/arch[/variant] only', () => {
    expect(parsePlatforms(['linux/amd64', 'LINUX/ARM64', 'linux/arm/v7', 'linux/amd64'])).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
    const e = inputError(() => parsePlatforms(['linux/amd64', 'linux/banana']));
    expect(e.input).toBe('platforms');
    expect(e.message).toMatch(/unknown platform "linux\/banana"; use os\/arch\[\/variant\], one of linux\/amd64/);
    expect(inputError(() => parsePlatforms(['amd64'])).input).toBe('platforms');
  });

  it('cache specs: type=<backend>[,k=v]', () => {
    expect(parseCacheSpecs(['type=gha,mode=max', 'type=registry,ref=r.io/a:cache,image-manifest=true'], 'cache-to')).toHaveLength(2);
    for (const bad of ['gha', 'type=floppy', 'type=gha,mode=max extra', 'type=gha;rm']) {
      expect(inputError(() => parseCacheSpecs([bad], 'cache-from')).input).toBe('cache-from');
    }
  });

  it('build args: NAME=value lines', () => {
    expect(parseBuildArgs(['A=1', 'B_2=x=y', 'EMPTY='])).toEqual({ A: '1', B_2: 'x=y', EMPTY: '' });
    expect(inputError(() => parseBuildArgs(['1A=x'])).input).toBe('build-args');
    expect(inputError(() => parseBuildArgs(['NOVALUE'])).message).toMatch(/must be NAME=value/);
  });

  it('commands are argument lists, never shell strings', () => {
    expect(parseCommand('npx eslint .', 'lint-command')).toEqual(['npx', 'eslint', '.']);
    expect(parseCommand('["npx","eslint","--rule","no-console: error","."]', 'lint-command')).toEqual(['npx', 'eslint', '--rule', 'no-console: error', '.']);
    expect(parseCommand('  ', 'lint-command')).toEqual([]);
    for (const bad of ['npm test; curl evil', 'echo $(id)', 'a | b', 'a && b', '`id`', '"quoted arg"']) {
      expect(inputError(() => parseCommand(bad, 'lint-command')).input).toBe('lint-command');
    }
    expect(inputError(() => parseCommand('[1,2]', 'lint-command')).message).toMatch(/JSON array of strings/);
  });
});
