import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/domain/errors.ts';
import { resolveSignInputs, SIGN_INPUTS } from '../../src/domain/sign-config.ts';
import { MAX_RAW_INPUT_BYTES } from '../../src/domain/raw-inputs.ts';
import type { RawInputs } from '../../src/domain/raw-inputs.ts';

// action-sign's one resolver, input by input (like docker/metadata-action's context.test.ts):
// the default, a valid value and an invalid value with its message.

const D = `sha256:${'ab'.repeat(32)}`;
const SIGN = { image: 'sha256:1234', repository: '127.0.0.1:5000/app' };
const VERIFY = { mode: 'verify', 'public-key': 'PEM' };
const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app';

function sign(raw: RawInputs) {
  const r = resolveSignInputs({ ...SIGN, ...raw });
  if (r.mode !== 'sign') throw new Error('expected sign mode');
  return r.sign;
}

function verify(raw: RawInputs) {
  const r = resolveSignInputs({ ...VERIFY, ...raw });
  if (r.mode !== 'verify') throw new Error('expected verify mode');
  return r.verify;
}

function refusal(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('sign-config defaults (every one as action.yml has it)', () => {
  it('resolves the bare minimum with the table defaults', () => {
    expect(sign({})).toEqual({
      image: 'sha256:1234', repository: '127.0.0.1:5000/app', tags: [], signatureFile: 'image.signature', annotations: {},
      push: true, dockerLogin: true, allowUntrustedEvent: false,
    });
    expect(verify({ 'signature-file': 'image.signature', digest: D })).toEqual({ publicKey: 'PEM', digest: D, signatureFile: 'image.signature' });
  });

  it('has one row per action input with the defaults of action.yml', () => {
    expect(Object.fromEntries(SIGN_INPUTS.filter((s) => s.default !== undefined).map((s) => [s.name, s.default]))).toEqual({
      mode: 'sign', 'registry-type': 'auto', 'create-repository': 'false', 'signature-file': 'image.signature',
      push: 'true', 'docker-login': 'true', 'allow-privileged-event': 'false',
    });
    expect(SIGN_INPUTS.filter((s) => s.secret).map((s) => s.name)).toEqual(['private-key', 'private-key-passphrase', 'password']);
  });
});

describe('sign-config, input by input', () => {
  it.each<[string, RawInputs, (c: ReturnType<typeof sign>) => unknown, unknown]>([
    ['image', { image: 'local/app:dev' }, (c) => c.image, 'local/app:dev'],
    ['repository', { repository: `${ECR}` }, (c) => c.repository, ECR],
    ['tags', { tags: 'v1, latest\nsha-1234567\nv1' }, (c) => c.tags, ['v1', 'latest', 'sha-1234567']],
    ['private-key', { 'private-key': ' PEM ' }, (c) => c.privateKey, 'PEM'],
    ['private-key-passphrase', { 'private-key-passphrase': 'pp' }, (c) => c.passphrase, 'pp'],
    ['public-key', { 'public-key': 'PUB' }, (c) => c.publicKey, 'PUB'],
    ['registry-type basic', { 'registry-type': 'basic', username: 'u', password: 'p' }, (c) => [c.ecr, c.registryAuth], [undefined, { username: 'u', password: 'p' }]],
    ['registry-type ecr', { 'registry-type': 'ecr', 'aws-region': 'eu-west-1' }, (c) => c.ecr, { createRepository: false, region: 'eu-west-1' }],
    ['auto on an ECR host', { repository: ECR }, (c) => c.ecr, { createRepository: false }],
    ['username/password', { username: 'u', password: 'p' }, (c) => c.registryAuth, { username: 'u', password: 'p' }],
    ['aws-region', { repository: ECR, 'aws-region': 'us-gov-west-1' }, (c) => c.ecr?.region, 'us-gov-west-1'],
    ['create-repository', { repository: ECR, 'create-repository': 'true' }, (c) => c.ecr?.createRepository, true],
    ['tag-mutability', { 'tag-mutability': 'IMMUTABLE' }, (c) => c.tagMutability, { mode: 'IMMUTABLE', filters: [] }],
    ['tag-mutability-exclusions', { 'tag-mutability-exclusions': 'release-*' }, (c) => c.tagMutability, { mode: 'IMMUTABLE_WITH_EXCLUSION', filters: ['release-*'] }],
    ['tag-mutability on ECR', { repository: ECR, 'tag-mutability': 'IMMUTABLE_WITH_EXCLUSION' }, (c) => c.ecr?.create, { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['sha256-*.sig'] }],
    ['signature-file', { 'signature-file': 'out/sig.json' }, (c) => c.signatureFile, 'out/sig.json'],
    ['annotations', { annotations: 'team=core\n# a comment\nticket=A-1, A-2' }, (c) => c.annotations, { team: 'core', ticket: 'A-1, A-2' }],
    ['push', { push: 'false', repository: 'app' }, (c) => c.push, false],
    ['docker-login', { 'docker-login': 'false' }, (c) => c.dockerLogin, false],
    ['insecure-registry', { 'insecure-registry': 'true' }, (c) => c.insecure, true],
    ['allow-privileged-event', { 'allow-privileged-event': 'true' }, (c) => c.allowUntrustedEvent, true],
  ])('%s: valid', (_name, raw, pick, expected) => {
    expect(pick(sign(raw))).toEqual(expected);
  });

  it.each<[string, RawInputs, RegExp]>([
    ['mode', { mode: 'sign-and-push' }, /Input "mode" must be one of sign, verify \(got "sign-and-push"\)/],
    ['image', { image: '' }, /Input "image" is required: the local image id or reference that was built/],
    ['image', { image: 'a b' }, /Input "image" must be an image id or reference without blanks/],
    ['repository', { repository: '' }, /Input "repository" is required/],
    ['repository', { repository: 'app' }, /Input "repository" must include the registry host/],
    ['repository', { repository: '127.0.0.1:5000/App' }, /Input "repository" .*must be lowercase/],
    ['tags', { tags: 'ok,-bad' }, /Input "tags" has tag "-bad"/],
    ['registry-type', { 'registry-type': 'gcr' }, /Input "registry-type" must be one of auto, ecr, basic \(got "gcr"\)/],
    ['registry-type basic', { 'registry-type': 'basic' }, /Input "username" and password are required with registry-type: basic/],
    ['registry-type ecr', { 'registry-type': 'ecr', username: 'u', password: 'p' }, /Input "username" must be empty with registry-type: ecr/],
    ['username', { password: 'p' }, /Input "username" is required when password is set/],
    ['password', { username: 'u' }, /Input "password" is required when username is set/],
    ['aws-region', { 'aws-region': 'mars-1' }, /Input "aws-region" must be an AWS region such as eu-west-1 \(got "mars-1"\)/],
    ['aws-region on ECR', { repository: ECR, 'aws-region': 'EU' }, /Input "aws-region" must be an AWS region/],
    ['create-repository', { 'create-repository': 'yes' }, /Input "create-repository" must be true or false \(got "yes"\)/],
    ['tag-mutability', { 'tag-mutability': 'LOCKED' }, /Input "tag-mutability" must be one of MUTABLE, IMMUTABLE/],
    ['tag-mutability-exclusions', { 'tag-mutability-exclusions': 'a,b,c,d,e,f' }, /Input "tag-mutability-exclusions" has 6 filters; ECR allows at most 5/],
    ['signature-file', { 'signature-file': ' ' }, /Input "signature-file" is required/],
    ['annotations', { annotations: 'no-equals-sign' }, /Input "annotations" has "no-equals-sign"; each annotation must be key=value/],
    ['push', { push: 'no' }, /Input "push" must be true or false/],
    ['docker-login', { 'docker-login': '1' }, /Input "docker-login" must be true or false/],
    ['insecure-registry', { 'insecure-registry': 'maybe' }, /Input "insecure-registry" must be true or false/],
    ['allow-privileged-event', { 'allow-privileged-event': 'yes' }, /Input "allow-privileged-event" must be true or false/],
  ])('%s: invalid', (_name, raw, message) => {
    expect(refusal(() => sign(raw)).message).toMatch(message);
  });

  it('adds the run\'s claims, the event and the temp dir from the door; input annotations win', () => {
    const r = resolveSignInputs({ ...SIGN, annotations: 'git-sha=override' }, { eventName: 'push', runAnnotations: { 'git-sha': 'abc', 'run-url': 'u' }, workDir: '/runner/temp' });
    expect(r.mode === 'sign' && r.sign).toMatchObject({ eventName: 'push', workDir: '/runner/temp', annotations: { 'git-sha': 'override', 'run-url': 'u' } });
  });

  it('refuses an oversized value naming the input, without echoing it', () => {
    const secret = 'S'.repeat(MAX_RAW_INPUT_BYTES + 1);
    const e = refusal(() => sign({ 'private-key': secret }));
    expect(e.input).toBe('private-key');
    expect(e.message).not.toContain('SSSS');
  });
});

describe('verify-config, input by input', () => {
  it.each<[string, RawInputs, (c: ReturnType<typeof verify>) => unknown, unknown]>([
    ['image-ref', { 'image-ref': `ghcr.io/acme/app@${D}` }, (c) => c.imageRef, `ghcr.io/acme/app@${D}`],
    ['digest', { digest: D }, (c) => c.digest, D],
    ['signature-file with image-ref (default ignored)', { 'image-ref': 'ghcr.io/acme/app:v1', 'signature-file': 'image.signature' }, (c) => c.signatureFile, undefined],
    ['signature-file asked for', { 'image-ref': 'ghcr.io/acme/app:v1', 'signature-file': 'mine.sig' }, (c) => c.signatureFile, 'mine.sig'],
    ['annotations', { annotations: 'git-sha=abc' }, (c) => c.annotations, { 'git-sha': 'abc' }],
    ['ECR host selects ECR', { 'image-ref': `${ECR}:v1` }, (c) => c.ecr, { createRepository: false }],
  ])('%s: valid', (_name, raw, pick, expected) => {
    expect(pick(verify(raw))).toEqual(expected);
  });

  it.each<[string, RawInputs, RegExp]>([
    ['public-key', { 'public-key': '' }, /Input "public-key" is required: the trusted SPKI PEM public key/],
    ['digest', { digest: 'sha256:short' }, /Input "digest"/],
    ['image-ref', { 'image-ref': 'Not A Ref' }, /Input "image-ref"/],
    ['aws-region', { 'aws-region': 'nowhere' }, /Input "aws-region" must be an AWS region/],
  ])('%s: invalid', (_name, raw, message) => {
    expect(refusal(() => verify(raw)).message).toMatch(message);
  });
});
