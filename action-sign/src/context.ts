import * as core from '@actions/core';
import { getBoolean, getEnum, getList, getString, getStringOr } from '@trunkline/core/door/inputs';
import { InputError } from '@trunkline/core/domain/errors';
import { COSIGN_SIG_TAG_FILTER, isAwsRegion, parseEcrHost } from '@trunkline/core/domain/ecr-host';
import { parseImageRef } from '@trunkline/core/domain/image-ref';
import { parseTagMutability } from '@trunkline/core/domain/push-plan';
import type { TagMutability } from '@trunkline/core/domain/push-plan';
import { parseAnnotations } from '@trunkline/core/domain/signature';
import type { RegistryCredentials } from '@trunkline/core/adapters/registry';
import type { EcrConfig, SignConfig, VerifyConfig } from '@trunkline/core/stages/sign';

/**
 * action-sign's inputs (action.yml) → `SignConfig` or `VerifyConfig`. Secrets (private key,
 * passphrase, password) are masked here, before anything can log them. The run adds `git-sha`
 * and `run-url` claims from `GITHUB_SHA` and the run URL; `GITHUB_EVENT_NAME` feeds the trust guard.
 */
export type SignContext = { mode: 'sign'; sign: SignConfig } | { mode: 'verify'; verify: VerifyConfig };

function secret(name: string): string | undefined {
  const value = core.getInput(name);
  if (!value.trim()) return undefined;
  core.setSecret(value);
  return value.trim();
}

function credentials(): RegistryCredentials | undefined {
  const username = getString('username');
  const password = secret('password');
  if (!username && !password) return undefined;
  if (!username) throw new InputError('username', 'is required when password is set');
  if (!password) throw new InputError('password', 'is required when username is set');
  return { username, password };
}

/** The run's provenance claims: commit and run URL (as the runner describes them). */
export function runAnnotations(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.GITHUB_SHA) out['git-sha'] = env.GITHUB_SHA;
  if (env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    out['run-url'] = `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''}`;
  }
  return out;
}

function registryHost(refText: string | undefined, input: string): string | undefined {
  return refText ? parseImageRef(refText, input).registry : undefined;
}

/**
 * ECR settings when ECR is selected: `registry-type: ecr`, or `auto` with an ECR host and no
 * username. `undefined` otherwise (username/password or anonymous).
 */
function ecrConfig(host: string | undefined, hasUsername: boolean, mutability: TagMutability | undefined): EcrConfig | undefined {
  const type = getEnum('registry-type', ['auto', 'ecr', 'basic'] as const, 'auto');
  const useEcr = type === 'ecr' || (type === 'auto' && !hasUsername && host !== undefined && parseEcrHost(host) !== undefined);
  if (!useEcr) {
    if (type === 'basic' && !hasUsername) throw new InputError('username', 'and password are required with registry-type: basic');
    return undefined;
  }
  if (hasUsername && type === 'ecr') throw new InputError('username', 'must be empty with registry-type: ecr (the ECR token is fetched with the job\'s AWS role)');
  const ecr: EcrConfig = { createRepository: getBoolean('create-repository', false) };
  const region = getString('aws-region');
  if (region) {
    if (!isAwsRegion(region)) throw new InputError('aws-region', `must be an AWS region such as eu-west-1 (got "${region}")`);
    ecr.region = region;
  }
  if (mutability) ecr.create = { mutability: mutability.mode, exclusionFilters: mutability.filters };
  return ecr;
}

function mutabilityInput(): TagMutability | undefined {
  const mode = getString('tag-mutability');
  const filters = getList('tag-mutability-exclusions');
  if (!mode && !filters.length) return undefined;
  const m = parseTagMutability(mode ?? 'IMMUTABLE_WITH_EXCLUSION', filters, 'tag-mutability', 'tag-mutability-exclusions');
  if (m.mode === 'IMMUTABLE_WITH_EXCLUSION' && !m.filters.length) m.filters = [COSIGN_SIG_TAG_FILTER];
  return m;
}

function insecure(): boolean | undefined {
  const raw = getString('insecure-registry');
  return raw === undefined ? undefined : getBoolean('insecure-registry', false);
}

/** Reads and validates every input for the chosen mode. Throws `InputError` naming the input. */
export function readContext(env: NodeJS.ProcessEnv = process.env): SignContext {
  const mode = getEnum('mode', ['sign', 'verify'] as const, 'sign');
  const auth = credentials();
  const mutability = mutabilityInput();
  const ins = insecure();
  if (mode === 'verify') {
    const publicKey = getString('public-key', { required: true })!;
    const verify: VerifyConfig = { publicKey };
    const signatureFile = getString('signature-file');
    const imageRef = getString('image-ref');
    if (imageRef) verify.imageRef = imageRef;
    const digest = getString('digest');
    if (digest) verify.digest = digest;
    // The default `image.signature` is only read when it was asked for or no image-ref was given.
    if (signatureFile && (signatureFile !== 'image.signature' || !imageRef)) verify.signatureFile = signatureFile;
    const ann = getList('annotations', { commas: false });
    if (ann.length) verify.annotations = parseAnnotations(ann, 'annotations');
    if (auth) verify.registryAuth = auth;
    const ecr = ecrConfig(registryHost(imageRef, 'image-ref'), auth !== undefined, undefined);
    if (ecr) verify.ecr = ecr;
    if (ins !== undefined) verify.insecure = ins;
    return { mode, verify };
  }

  const image = getString('image', { required: true })!;
  const repository = getString('repository', { required: true })!;
  const sign: SignConfig = {
    image,
    repository,
    tags: getList('tags'),
    signatureFile: getStringOr('signature-file', 'image.signature'),
    annotations: { ...runAnnotations(env), ...parseAnnotations(getList('annotations', { commas: false }), 'annotations') },
    push: getBoolean('push', true),
    dockerLogin: getBoolean('docker-login', true),
    eventName: env.GITHUB_EVENT_NAME,
    allowUntrustedEvent: getBoolean('allow-privileged-event', false),
  };
  const privateKey = secret('private-key');
  if (privateKey) sign.privateKey = privateKey;
  const passphrase = secret('private-key-passphrase');
  if (passphrase) sign.passphrase = passphrase;
  const publicKey = getString('public-key');
  if (publicKey) sign.publicKey = publicKey;
  if (auth) sign.registryAuth = auth;
  const ecr = ecrConfig(registryHost(repository, 'repository'), auth !== undefined, mutability);
  if (ecr) sign.ecr = ecr;
  else if (mutability) sign.tagMutability = mutability;
  if (ins !== undefined) sign.insecure = ins;
  return { mode, sign };
}
