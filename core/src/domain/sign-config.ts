import { COSIGN_SIG_TAG_FILTER, isAwsRegion, parseEcrHost } from './ecr-host.ts';
import { InputError } from './errors.ts';
import { parseImageRef, parseRepositoryRef, validateDigest, validateTag } from './image-ref.ts';
import { parseTagMutability } from './push-plan.ts';
import type { TagMutability, TagMutabilityMode } from './push-plan.ts';
import { checkRawSizes, RawReader } from './raw-inputs.ts';
import type { InputTable, RawInputs } from './raw-inputs.ts';
import { parseAnnotations } from './signature.ts';

/**
 * The one resolver of action-sign's inputs: `action-sign/action.yml`, `trunkline sign` /
 * `trunkline verify` and (next) `trunkline.yaml` all hand raw values keyed by the action's input
 * names to `resolveSignInputs`, which returns the typed, validated config of the sign or verify
 * stage. Names and defaults live in `SIGN_INPUTS` only (the parity test compares it with
 * action.yml and the CLI flags).
 */

/** Username/password for a registry (the same shape as the registry adapter's credentials). */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** Bounded retries: total attempts (≥ 1), first backoff cap and per-wait cap, in milliseconds. */
export interface RetrySettings {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs?: number;
}

/** ECR settings; when absent, an ECR registry host still selects ECR with these defaults. */
export interface EcrConfig {
  /** Default: parsed from the registry host. Required when the host is not an ECR host (a stand-in). */
  region?: string;
  /** API endpoint override (loopback fake); the SDK also reads `AWS_ENDPOINT_URL_ECR`. */
  endpoint?: string;
  /** Create the repository when missing (default false). */
  createRepository?: boolean;
  /** Settings for a created repository (defaults: IMMUTABLE_WITH_EXCLUSION, `sha256-*.sig`, scan on push). */
  create?: { mutability?: TagMutabilityMode; exclusionFilters?: string[]; scanOnPush?: boolean };
  /** Per-attempt timeouts of every ECR API call, ms (defaults in adapters/ecr.ts). */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** What both stages need to reach a registry. */
export interface RegistryAccess {
  /** Username/password for any OCI registry (GHCR, a local registry, or an ECR token fetched elsewhere). */
  registryAuth?: RegistryLogin;
  /** Use ECR for auth/repository (implied for ECR hosts without `registryAuth`). */
  ecr?: EcrConfig;
  /** Plain HTTP. Default: true for 127.0.0.0/8, localhost and [::1] (as docker treats them), else false. */
  insecure?: boolean;
  retry?: RetrySettings;
}

export interface SignConfig extends RegistryAccess {
  /** The built local image: an image id (`sha256:…`) or a reference the daemon knows. */
  image: string;
  /** Target repository without tag or digest, e.g. `127.0.0.1:5000/sample-service` or an ECR URI. */
  repository: string;
  /** Tags to point at the signed digest (validated OCI tags). May be empty: push by digest only. */
  tags: string[];
  /** PEM private key (PKCS#8, encrypted PKCS#8 or SEC1, P-256). Absent → ephemeral key pair with a warning. */
  privateKey?: string;
  passphrase?: string;
  /** SPKI PEM to verify with before pushing. Default: derived from the private key. */
  publicKey?: string;
  /** For non-ECR registries, which tags may not move (default MUTABLE). ECR reports its own. */
  tagMutability?: TagMutability;
  /** Where to write the `image.signature` JSON record. */
  signatureFile: string;
  /** Extra claims in the payload's `optional` (e.g. `git-sha`, `run-url`); `tags` is added. */
  annotations?: Record<string, string>;
  /** `GITHUB_EVENT_NAME` (or `local`). */
  eventName?: string;
  /** Opt-in to sign/push on `pull_request_target`, `workflow_run` or `issue_comment`. */
  allowUntrustedEvent?: boolean;
  /** Default true. False: export, sign, verify and write the record only (no registry). */
  push?: boolean;
  /** Also `docker login` (password on stdin) so later job steps can pull; the action logs out in its post step. */
  dockerLogin?: boolean;
  /** Temp space for the exported image (the doors pass `RUNNER_TEMP`; default the OS temp dir). */
  workDir?: string;
  /**
   * Keep each exported image's config and compressed-layer descriptors here, keyed by image id,
   * so a re-run of an unchanged image skips `docker save` and compression entirely while the
   * registry already holds its blobs. Off by default.
   */
  exportCacheDir?: string;
}

export interface VerifyConfig extends RegistryAccess {
  /** Trusted SPKI PEM (never the key stored in a signature file). */
  publicKey: string;
  /** An `image.signature` record to check offline. */
  signatureFile?: string;
  /** `repo@sha256:…` or `repo:tag`: check the signature the registry stores (`sha256-<hex>.sig`). */
  imageRef?: string;
  /** The digest the signature must be for (required unless `imageRef` names or resolves one). */
  digest?: string;
  /** When set, the payload's docker-reference must equal it. */
  dockerReference?: string;
  /** Claims that must appear in the payload's `optional`. */
  annotations?: Record<string, string>;
}

export const DEFAULT_SIGNATURE_FILE = 'image.signature';

/** action-sign's inputs: names and defaults exactly as `action-sign/action.yml` has them. */
export const SIGN_INPUTS: InputTable = [
  // The CLI picks the mode by command (`trunkline sign` / `trunkline verify`).
  { name: 'mode', default: 'sign', actionOnly: true },
  { name: 'image' },
  { name: 'repository' },
  { name: 'tags', list: 'items' },
  { name: 'private-key', secret: true },
  { name: 'private-key-passphrase', secret: true },
  { name: 'public-key' },
  { name: 'registry-type', default: 'auto' },
  { name: 'username' },
  { name: 'password', secret: true },
  { name: 'aws-region' },
  { name: 'create-repository', default: 'false' },
  { name: 'tag-mutability' },
  { name: 'tag-mutability-exclusions', list: 'items' },
  { name: 'signature-file', default: DEFAULT_SIGNATURE_FILE },
  { name: 'annotations', list: 'lines' },
  { name: 'push', default: 'true' },
  { name: 'docker-login', default: 'true' },
  { name: 'insecure-registry' },
  { name: 'allow-privileged-event', default: 'false' },
  { name: 'image-ref' },
  { name: 'digest' },
];

/** The inputs `mode: verify` reads (the others belong to `mode: sign`, except `mode` itself). */
export const VERIFY_INPUT_NAMES: readonly string[] = [
  'public-key', 'signature-file', 'image-ref', 'digest', 'annotations', 'registry-type', 'username', 'password', 'aws-region', 'insecure-registry',
];

/** The inputs `mode: sign` reads. */
export const SIGN_INPUT_NAMES: readonly string[] = SIGN_INPUTS.map((s) => s.name).filter((n) => n !== 'mode' && n !== 'image-ref' && n !== 'digest');

/** What a door knows about the run that is not an input: event, provenance claims, temp dir. */
export interface SignRunContext {
  /** `GITHUB_EVENT_NAME`, or `local` for the CLI. */
  eventName?: string;
  /** Claims the run adds to the payload (`git-sha`, `run-url`); input `annotations` override them. */
  runAnnotations?: Record<string, string>;
  /** Temp space for the exported image (`RUNNER_TEMP` on a runner). */
  workDir?: string;
}

export type ResolvedSignInputs = { mode: 'sign'; sign: SignConfig } | { mode: 'verify'; verify: VerifyConfig };

function credentials(r: RawReader): RegistryLogin | undefined {
  const username = r.string('username');
  const password = r.string('password');
  if (!username && !password) return undefined;
  if (!username) throw new InputError('username', 'is required when password is set');
  if (!password) throw new InputError('password', 'is required when username is set');
  return { username, password };
}

/** `aws-region`, validated by the one region grammar ECR hosts are parsed with (both doors). */
function awsRegion(r: RawReader): string | undefined {
  const region = r.string('aws-region');
  if (region && !isAwsRegion(region)) throw new InputError('aws-region', `must be an AWS region such as eu-west-1 (got "${region}")`);
  return region;
}

function tagMutability(r: RawReader): TagMutability | undefined {
  const mode = r.string('tag-mutability');
  const filters = r.list('tag-mutability-exclusions');
  if (!mode && !filters.length) return undefined;
  const m = parseTagMutability(mode ?? 'IMMUTABLE_WITH_EXCLUSION', filters, 'tag-mutability', 'tag-mutability-exclusions');
  if (m.mode === 'IMMUTABLE_WITH_EXCLUSION' && !m.filters.length) m.filters = [COSIGN_SIG_TAG_FILTER];
  return m;
}

/**
 * ECR settings when ECR is selected: `registry-type: ecr`, or `auto` with an ECR host and no
 * username. `undefined` otherwise (username/password or anonymous). A given `aws-region` is
 * validated whichever registry is selected.
 */
function ecrConfig(r: RawReader, host: string | undefined, hasUsername: boolean, mutability: TagMutability | undefined): EcrConfig | undefined {
  const type = r.oneOf('registry-type', ['auto', 'ecr', 'basic'] as const, 'auto');
  const region = awsRegion(r);
  const createRepository = r.boolean('create-repository', false);
  const useEcr = type === 'ecr' || (type === 'auto' && !hasUsername && host !== undefined && parseEcrHost(host) !== undefined);
  if (!useEcr) {
    if (type === 'basic' && !hasUsername) throw new InputError('username', 'and password are required with registry-type: basic');
    return undefined;
  }
  if (hasUsername && type === 'ecr') throw new InputError('username', 'must be empty with registry-type: ecr (the ECR token is fetched with the job\'s AWS role)');
  const ecr: EcrConfig = { createRepository };
  if (region) ecr.region = region;
  if (mutability) ecr.create = { mutability: mutability.mode, exclusionFilters: mutability.filters };
  return ecr;
}

function insecure(r: RawReader): boolean | undefined {
  return r.string('insecure-registry') === undefined ? undefined : r.boolean('insecure-registry', false);
}

function access(r: RawReader, host: string | undefined, mutability: TagMutability | undefined): RegistryAccess {
  const out: RegistryAccess = {};
  const auth = credentials(r);
  if (auth) out.registryAuth = auth;
  const ecr = ecrConfig(r, host, auth !== undefined, mutability);
  if (ecr) out.ecr = ecr;
  const ins = insecure(r);
  if (ins !== undefined) out.insecure = ins;
  return out;
}

/** The sign stage's config from a reader over `SIGN_INPUTS`. Throws `InputError` naming the input. */
export function resolveSignConfig(r: RawReader, context: SignRunContext = {}): SignConfig {
  const image = r.string('image', { required: 'the local image id or reference that was built' })!;
  if (/\s/.test(image)) throw new InputError('image', `must be an image id or reference without blanks (got "${image}")`);
  const repository = r.string('repository', { required: 'the target repository, e.g. 127.0.0.1:5000/app' })!;
  const push = r.boolean('push', true);
  const ref = parseRepositoryRef(repository, 'repository');
  if (!ref.registry && push) throw new InputError('repository', `must include the registry host, e.g. 127.0.0.1:5000/${ref.repository} or <account>.dkr.ecr.<region>.amazonaws.com/${ref.repository}`);
  const mutability = tagMutability(r);
  const sign: SignConfig = {
    image,
    repository,
    tags: [...new Set(r.list('tags').map((t) => validateTag(t, 'tags')))],
    signatureFile: r.string('signature-file', { required: true })!,
    annotations: { ...context.runAnnotations, ...parseAnnotations(r.list('annotations', { commas: false }), 'annotations') },
    push,
    dockerLogin: r.boolean('docker-login', true),
    allowUntrustedEvent: r.boolean('allow-privileged-event', false),
    ...access(r, ref.registry, mutability),
  };
  if (context.eventName) sign.eventName = context.eventName;
  if (context.workDir) sign.workDir = context.workDir;
  const privateKey = r.string('private-key');
  if (privateKey) sign.privateKey = privateKey;
  const passphrase = r.string('private-key-passphrase');
  if (passphrase) sign.passphrase = passphrase;
  const publicKey = r.string('public-key');
  if (publicKey) sign.publicKey = publicKey;
  if (!sign.ecr && mutability) sign.tagMutability = mutability;
  return sign;
}

/** The verify stage's config from a reader over `SIGN_INPUTS`. Throws `InputError` naming the input. */
export function resolveVerifyConfig(r: RawReader): VerifyConfig {
  const publicKey = r.string('public-key', { required: 'the trusted SPKI PEM public key (cosign.pub)' })!;
  const imageRef = r.string('image-ref');
  const ref = imageRef ? parseImageRef(imageRef, 'image-ref') : undefined;
  const verify: VerifyConfig = { publicKey, ...access(r, ref?.registry, undefined) };
  if (imageRef) verify.imageRef = imageRef;
  const digest = r.string('digest');
  if (digest) verify.digest = validateDigest(digest, 'digest');
  // The default `image.signature` is only read when it was asked for or no image-ref was given.
  const signatureFile = r.string('signature-file');
  if (signatureFile && (signatureFile !== DEFAULT_SIGNATURE_FILE || !imageRef)) verify.signatureFile = signatureFile;
  const annotations = r.list('annotations', { commas: false });
  if (annotations.length) verify.annotations = parseAnnotations(annotations, 'annotations');
  return verify;
}

/**
 * Resolves action-sign's raw inputs (keyed by `SIGN_INPUTS` names) for the chosen `mode`
 * (`sign` by default). Throws `InputError` naming the input and the allowed form.
 */
export function resolveSignInputs(raw: RawInputs, context: SignRunContext = {}): ResolvedSignInputs {
  checkRawSizes(raw);
  const r = new RawReader(raw, SIGN_INPUTS);
  const mode = r.oneOf('mode', ['sign', 'verify'] as const, 'sign');
  return mode === 'verify' ? { mode, verify: resolveVerifyConfig(r) } : { mode, sign: resolveSignConfig(r, context) };
}
