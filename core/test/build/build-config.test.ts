// resolveBuildConfig, input by input: the default, a valid value, an invalid value with its exact
// message (the shape of docker/metadata-action's context.test.ts). Pure: no docker, no disk.
import { describe, expect, it } from 'vitest';
import { BUILD_INPUTS, resolveBuildConfig, resolveEvent } from '../../src/domain/build-config.ts';
import type { BuildSettings } from '../../src/domain/build-config.ts';
import { InputError } from '../../src/domain/errors.ts';
import type { RawInputs } from '../../src/domain/raw-inputs.ts';

const IMAGE = 'ghcr.io/acme/app';
const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const resolve = (raw: RawInputs): BuildSettings => resolveBuildConfig({ image: IMAGE, ...raw });

function refused(raw: RawInputs, message: string): void {
  let thrown: unknown;
  try { resolveBuildConfig({ image: IMAGE, ...raw }); } catch (e) { thrown = e; }
  expect(thrown).toBeInstanceOf(InputError);
  expect((thrown as Error).message).toBe(message);
}

describe('resolveBuildConfig: defaults (action.yml\'s)', () => {
  it('gives every default with only image set', () => {
    expect(resolve({})).toEqual({
      image: IMAGE, context: '.', tagPolicy: { latest: 'auto', prSha: 'head', branchTag: false },
      buildArgs: {}, platforms: [], cacheFrom: [], cacheTo: [], push: false, builder: 'auto', jobSummary: true,
    });
  });

  it('the table has a row for every key the resolver reads', () => {
    expect(BUILD_INPUTS.map((s) => s.name)).toEqual(expect.arrayContaining(['image', 'context', 'push', 'builder', 'summary', 'event-name', 'ref', 'sha']));
  });
});

describe.each<[string, string, Partial<BuildSettings>, string]>([
  ['image', '127.0.0.1:5000/sample-service', { image: '127.0.0.1:5000/sample-service' }, ''],
  ['context', 'services/api', { context: 'services/api' }, ''],
  ['dockerfile', 'build/Dockerfile', { dockerfile: 'build/Dockerfile' }, ''],
  ['build-args', 'A=1\nB=x=y', { buildArgs: { A: '1', B: 'x=y' } }, 'Input "build-args" line "BAD-NAME=x" must be NAME=value with NAME like ^[A-Za-z_][A-Za-z0-9_]*$'],
  ['target', 'runtime', { target: 'runtime' }, 'Input "target" "1st" is not a Dockerfile stage name ([a-zA-Z][a-zA-Z0-9_.-]*)'],
  ['network', 'host', { network: 'host' }, 'Input "network" "a b" must be host, none, default or a network name'],
  ['lint-command', '["npx","eslint","."]', { lintCommand: ['npx', 'eslint', '.'] }, 'Input "lint-command" contains "|": commands run without a shell; write a JSON array (["npx","eslint","--ext",".ts","."]) for arguments with special characters'],
  ['platforms', 'linux/amd64, linux/arm64', { platforms: ['linux/amd64', 'linux/arm64'] }, ''],
  ['cache-from', 'type=gha', { cacheFrom: ['type=gha'] }, 'Input "cache-from" entry "type=gha;curl" must be type=<registry|gha|local|inline|s3|azblob>[,key=value...]'],
  ['cache-to', 'type=gha,mode=max', { cacheTo: ['type=gha,mode=max'] }, ''],
  ['provenance', 'mode=max', { provenance: 'mode=max' }, 'Input "provenance" must be true, false, mode=min or mode=max (got "yes")'],
  ['sbom', 'true', { sbom: true }, 'Input "sbom" must be true or false (got "yes")'],
  ['push', 'true', { push: true }, 'Input "push" must be true or false (got "yes")'],
  ['builder', 'classic', { builder: 'classic' }, 'Input "builder" must be one of auto, buildx, buildkit, classic (got "kaniko")'],
  ['tag', 'v1', { tagPolicy: { latest: 'auto', prSha: 'head', branchTag: false, tag: 'v1' } }, 'Input "tag" must be a single tag on one line (got "a\\nb"); use extra-tags for more'],
  ['extra-tags', 'a,b', { tagPolicy: { latest: 'auto', prSha: 'head', branchTag: false, extraTags: ['a', 'b'] } }, ''],
  ['latest', 'false', { tagPolicy: { latest: 'false', prSha: 'head', branchTag: false } }, 'Input "latest" must be one of auto, true, false (got "yes")'],
  ['pr-sha', 'merge', { tagPolicy: { latest: 'auto', prSha: 'merge', branchTag: false } }, 'Input "pr-sha" must be one of head, merge (got "base")'],
  ['branch-tag', 'true', { tagPolicy: { latest: 'auto', prSha: 'head', branchTag: true } }, 'Input "branch-tag" must be true or false (got "yes")'],
  ['labels', 'a=1', { tagPolicy: { latest: 'auto', prSha: 'head', branchTag: false, labels: { overrides: { a: '1' } } } }, 'Input "labels" line "no equals" is not key=value (key without spaces)'],
  ['licenses', 'MIT', { tagPolicy: { latest: 'auto', prSha: 'head', branchTag: false, labels: { licenses: 'MIT' } } }, ''],
  ['title', 'App', { tagPolicy: { latest: 'auto', prSha: 'head', branchTag: false, labels: { title: 'App' } } }, ''],
  ['summary', 'false', { jobSummary: false }, 'Input "summary" must be true or false (got "yes")'],
])('input %s', (name, valid, expected, invalidMessage) => {
  it(`accepts ${JSON.stringify(valid)}`, () => {
    expect(resolve({ [name]: valid })).toMatchObject(expected);
  });
  const invalid: Record<string, string> = {
    'build-args': 'BAD-NAME=x', target: '1st', network: 'a b', 'lint-command': 'eslint . | tee x', 'cache-from': 'type=gha;curl', provenance: 'yes',
    sbom: 'yes', push: 'yes', builder: 'kaniko', tag: 'a\nb', latest: 'yes', 'pr-sha': 'base', 'branch-tag': 'yes', labels: 'no equals', summary: 'yes',
  };
  // Inputs that take any text (a path, a title) have no invalid row here; see the next describe.
  if (invalidMessage) it(`refuses ${JSON.stringify(invalid[name])} naming the input`, () => {
    refused({ [name]: invalid[name] }, invalidMessage);
  });
});

describe('inputs without a format of their own are still checked', () => {
  it.each<[RawInputs, string]>([
    [{ image: '' }, 'Input "image" is required: the repository without tag, e.g. ghcr.io/acme/app or 127.0.0.1:5000/sample-service'],
    [{ image: 'ghcr.io/acme/App' }, 'Input "image" has repository "acme/App" whose component "App" must be lowercase and must match [a-z0-9]+ joined by ".", "_", "__" or "-"'],
    [{ platforms: 'linux/banana' }, expect.stringMatching(/^Input "platforms" names unknown platform "linux\/banana"/) as unknown as string],
    [{ 'extra-tags': 'ok,bad;tag' }, expect.stringMatching(/^Input "extra-tags" /) as unknown as string],
    [{ title: 'x'.repeat(70_000) }, 'Input "title" is 70000 bytes, more than the limit of 65536'],
  ])('%j', (raw, message) => {
    let thrown: unknown;
    try { resolveBuildConfig({ image: IMAGE, ...raw }); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as Error).message).toEqual(message);
  });
});

describe('the event inputs (event-name, ref, sha; GITHUB_* in the action)', () => {
  it('no event: a local checkout (undefined); the action door requires one', () => {
    expect(resolveEvent({})).toBeUndefined();
    expect(() => resolveEvent({}, { requireEvent: true })).toThrow('Input "event-name" is required');
    expect(() => resolveEvent({ sha: SHA })).toThrow('Input "sha" needs event-name too');
  });

  it.each([
    'refs/heads/my/feature#1245',
    'refs/heads/renovate/@types-node-20.x',
    'refs/tags/v1.2.3+build.5',
    'refs/pull/7/merge',
  ])('accepts the ref the runner gives: %s', (ref) => {
    expect(resolveEvent({ 'event-name': 'push', ref, sha: SHA })?.ref).toBe(ref);
  });

  it.each<[RawInputs, string]>([
    [{ 'event-name': 'Push!', sha: SHA }, 'Input "event-name" must be a GitHub event name such as push or pull_request (got "Push!")'],
    [{ 'event-name': 'push', sha: 'abc' }, 'Input "sha" must be the 40-hex commit (GITHUB_SHA) (got "abc")'],
    [{ 'event-name': 'push', sha: SHA, ref: 'heads/main' }, 'Input "ref" must be a full ref starting with refs/, such as refs/heads/main (got "heads/main")'],
    [{ 'event-name': 'push', sha: SHA, ref: 'refs/heads/a..b' }, 'Input "ref" contains "..", "@{" or "//", which git does not allow in a ref (got "refs/heads/a..b")'],
    [{ 'event-name': 'push', sha: SHA, ref: 'refs/heads/a b' }, 'Input "ref" contains " ", which git does not allow in a ref (got "refs/heads/a b")'],
    [{ 'event-name': 'push', sha: SHA, ref: 'refs/heads/x.lock' }, 'Input "ref" has a component starting with "." or ending with ".lock" (got "refs/heads/x.lock")'],
  ])('refuses %j', (raw, message) => {
    expect(() => resolveEvent(raw)).toThrow(message);
  });

  it('fills the repository (the source label) from GITHUB_REPOSITORY and GITHUB_SERVER_URL', () => {
    const event = resolveEvent({ 'event-name': 'schedule', sha: SHA }, { eventPayload: {}, repository: 'acme/app', serverUrl: 'https://ghe.example' });
    expect(event?.repository.htmlUrl).toBe('https://ghe.example/acme/app');
  });
});
