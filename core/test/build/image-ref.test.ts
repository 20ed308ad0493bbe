import { describe, expect, it } from 'vitest';
import { formatImageRef, parseImageRef, parseRepositoryRef, validateTag } from '../../src/domain/image-ref.ts';
import { InputError } from '../../src/domain/errors.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageRef accepts references as the distribution grammar reads them', () => {
  it.each([
    ['sample-service', { repository: 'sample-service' }],
    ['acme/sample-service', { repository: 'acme/sample-service' }],
    ['a/b/c/d', { repository: 'a/b/c/d' }],
    ['app:1.2.3', { repository: 'app', tag: '1.2.3' }],
    ['app:V1_x-Y.z', { repository: 'app', tag: 'V1_x-Y.z' }],
    ['app:_under', { repository: 'app', tag: '_under' }],
    ['127.0.0.1:5000/sample-service', { registry: '127.0.0.1:5000', repository: 'sample-service' }],
    ['127.0.0.1:5000/sample-service:pr-7', { registry: '127.0.0.1:5000', repository: 'sample-service', tag: 'pr-7' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/app', { registry: 'localhost:5000', repository: 'app' }],
    ['ghcr.io/octo-org/octo-repo:latest', { registry: 'ghcr.io', repository: 'octo-org/octo-repo', tag: 'latest' }],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:sha-abc1234', { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'team/app', tag: 'sha-abc1234' }],
    [`ghcr.io/o/app@${DIGEST}`, { registry: 'ghcr.io', repository: 'o/app', digest: DIGEST }],
    [`ghcr.io/o/app:1.0@${DIGEST}`, { registry: 'ghcr.io', repository: 'o/app', tag: '1.0', digest: DIGEST }],
    ['[::1]:5000/app', { registry: '[::1]:5000', repository: 'app' }],
    ['my.registry/a__b/c-d/e.f/g--h', { registry: 'my.registry', repository: 'a__b/c-d/e.f/g--h' }],
    // No dot, colon or "localhost": the first component is part of the repository, not a registry.
    ['myregistry/app', { repository: 'myregistry/app' }],
    // Without a slash a port-looking suffix is a tag: "localhost:5000" is repository localhost, tag 5000.
    ['localhost:5000', { repository: 'localhost', tag: '5000' }],
    ['app:' + 'x'.repeat(128), { repository: 'app', tag: 'x'.repeat(128) }],
  ])('%s', (text, expected) => {
    const ref = parseImageRef(text, 'image');
    expect(ref).toEqual(expected);
    expect(formatImageRef(ref)).toBe(text);
  });
});

describe('parseImageRef rejects invalid references with an InputError naming the input', () => {
  it.each([
    ['', /Input "image" is empty/],
    ['MyApp', /Input "image" has repository "MyApp" whose component "MyApp" must be lowercase/],
    ['ghcr.io/Octo-Org/app', /component "Octo-Org" must be lowercase/],
    ['app:' + 'x'.repeat(129), /is 129 characters long \(at most 128\)/],
    ['app:.hidden', /starts with "\."/],
    ['app:-dash', /starts with "-"/],
    ['app:v1;rm', /contains ";"/],
    ['app:', /has tag "", which is empty/],
    ['app:a/b', /registry "app:a"/], // a colon before the first slash makes it a registry
    ['app@sha256:abc', /digest "sha256:abc"/],
    [`app@sha256:${'A'.repeat(64)}`, /digest/],
    [`app@md5:${'a'.repeat(32)}`, /digest/],
    ['app name', /contains whitespace/],
    ['app\nNODE_OPTIONS=x', /contains whitespace/],
    ['a//b', /component ""/],
    ['a/-b', /component "-b"/],
    ['a/b_', /component "b_"/],
    ['a/b___c', /component "b___c"/],
    ['bad_host.io:5000/app', /registry "bad_host.io:5000"/],
    ['ghcr.io:notaport/app', /registry/],
    ['ghcr.io/', /no repository/],
    [`r.io/${'a'.repeat(251)}`, /name of 256 characters \(at most 255\)/],
  ])('%j', (text, message) => {
    let thrown: unknown;
    try { parseImageRef(text, 'image'); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).input).toBe('image');
    expect((thrown as Error).message).toMatch(message);
  });

  it('names whichever input the text came from', () => {
    expect(() => parseImageRef('UPPER', 'base-image')).toThrow(/^Input "base-image"/);
  });
});

describe('parseRepositoryRef', () => {
  it('accepts a repository and refuses a tag or digest, showing the form without them', () => {
    expect(parseRepositoryRef('127.0.0.1:5000/sample-service', 'image')).toEqual({ registry: '127.0.0.1:5000', repository: 'sample-service' });
    expect(() => parseRepositoryRef('127.0.0.1:5000/sample-service:1.0', 'image')).toThrow(/must be a repository without tag or digest, e\.g\. 127\.0\.0\.1:5000\/sample-service /);
    expect(() => parseRepositoryRef(`app@${DIGEST}`, 'image')).toThrow(InputError);
  });
});

describe('validateTag', () => {
  it('shows a newline visibly instead of breaking the message', () => {
    expect(() => validateTag('v1\nx', 'tag')).toThrow(/Input "tag" has tag "v1\\nx", which contains "\\n"/);
  });
});
