import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { KeyObject } from 'node:crypto';
import { ECR_PUSH_ACTIONS, isEcrPublicHost, parseEcrHost } from '../domain/ecr-host.ts';
import { InputError } from '../domain/errors.ts';
import { assertEventAllowed } from '../domain/privileged-event.ts';
import { imageName, parseImageRef, parseRepositoryRef, validateDigest, validateTag } from '../domain/image-ref.ts';
import type { ImageRef } from '../domain/image-ref.ts';
import { buildSignatureManifest, mergeSignatures, parseSignatureManifest, sha256Digest, signatureTag } from '../domain/oci-manifest.ts';
import type { SignatureLayer } from '../domain/oci-manifest.ts';
import { describeConflicts, isTagImmutable, planTags } from '../domain/push-plan.ts';
import type { TagMutability } from '../domain/push-plan.ts';
import {
  buildPayload, generateKeyPair, keyId, loadPrivateKey, loadPublicKey, parseSignatureRecord, publicKeyPem,
  signatureRecord, signPayload, verifySignature,
} from '../domain/signature.ts';
import { dockerLogin } from '../adapters/docker-auth.ts';
import type { EcrCreateSettings } from '../adapters/ecr.ts';
import { exportImageCached } from '../adapters/image-archive.ts';
import type { ExportedImage } from '../adapters/image-archive.ts';
import { createRegistryClient, RegistryError } from '../adapters/registry.ts';
import type { CredentialSource, RegistryClient, RegistryCredentials } from '../adapters/registry.ts';
import type { RetryPolicy } from '../adapters/retry.ts';
import type { Logger } from '../report/logger.ts';
import { markdownTable, statusIcon } from '../report/render.ts';
import type { StageResult } from '../report/result.ts';
import { writeFileAtomic } from '../adapters/atomic-file.ts';

/**
 * The signing gate: the digest that is signed is the digest that is pushed, and no tag is written
 * unless the signature over that exact digest verifies with the configured public key.
 *
 * Order (each step only runs when the previous one succeeded):
 *  1. trust guard (privileged events need an explicit opt-in);
 *  2. `docker save` the built image and compute the exact manifest bytes → digest (nothing pushed);
 *  3. sign the cosign simple-signing payload for that digest, write `image.signature`, read it back
 *     and verify it with the configured public key — a failure stops here with nothing pushed;
 *  4. log in (ECR token or username/password), check every tag: an immutable tag on another digest
 *     refuses the push before any byte is uploaded; the same digest is a no-op;
 *  5. upload blobs (skipping those present), PUT the manifest by digest, then under each tag;
 *  6. store the signature in cosign's layout (`sha256-<hex>.sig`) and re-verify what the registry
 *     now serves: every tag's manifest hashes to the digest and the `.sig` verifies.
 */

/** ECR settings; when absent, an ECR registry host still selects ECR with these defaults. */
export interface EcrConfig {
  /** Default: parsed from the registry host. Required when the host is not an ECR host (a stand-in). */
  region?: string;
  /** API endpoint override (loopback fake); the SDK also reads `AWS_ENDPOINT_URL_ECR`. */
  endpoint?: string;
  /** Create the repository when missing (default false). */
  createRepository?: boolean;
  /** Settings for a created repository (defaults: IMMUTABLE_WITH_EXCLUSION, `sha256-*.sig`, scan on push). */
  create?: Partial<EcrCreateSettings>;
}

export interface SignConfig {
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
  /** Username/password for any OCI registry (GHCR, local registry, or an ECR token fetched elsewhere). */
  registryAuth?: RegistryCredentials;
  /** Use ECR for auth/repository (implied for ECR hosts without `registryAuth`). */
  ecr?: EcrConfig;
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
  /** Plain HTTP. Default: true for 127.0.0.0/8, localhost and [::1] (as docker treats them), else false. */
  insecure?: boolean;
  /** Default true. False: export, sign, verify and write the record only (no registry). */
  push?: boolean;
  /** Also `docker login` (password on stdin) so later job steps can pull; the action logs out in its post step. */
  dockerLogin?: boolean;
  retry?: RetryPolicy;
  /** Temp space for the exported image (default the OS temp dir). */
  workDir?: string;
  /**
   * Keep each exported image's config and compressed-layer descriptors here, keyed by image id,
   * so a re-run of an unchanged image skips `docker save` and compression entirely while the
   * registry already holds its blobs. Off by default.
   */
  exportCacheDir?: string;
}

export type SignOutputs = {
  /** `sha256:<hex>` of the pushed (and signed) manifest. */
  digest: string;
  /** `repository@sha256:…`. */
  'image-ref': string;
  /** `repository:sha256-<hex>.sig`, where cosign looks for the signature. Empty when not pushed. */
  'signature-ref': string;
  /** SPKI PEM of the key the signature verifies with. */
  'public-key': string;
  /** Tags that point at `digest` after the run (written now or already there). */
  'pushed-tags': string[];
};

/** Loopback registries speak plain HTTP by default (docker's insecure-registry default). */
export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(host);
}

/** ECR Public needs the ecr-public API (auth only in us-east-1): refused up front, naming the input. */
function refuseEcrPublic(ref: ImageRef, input: string): void {
  if (ref.registry && isEcrPublicHost(ref.registry)) {
    throw new InputError(input, 'is on ECR Public (public.ecr.aws), which needs the ecr-public API in us-east-1; push to a private ECR registry, or give username and password');
  }
}

/** Refuses privileged events unless opted in; the message names the input to set. */
export function trustGuard(eventName: string | undefined, allowed: boolean | undefined, what: string): void {
  assertEventAllowed(eventName, allowed, what);
}

interface Connection {
  client: RegistryClient;
  mutability: TagMutability;
  /** The credentials the registry last accepted (after a re-login, the fresh ones). */
  current(): RegistryCredentials | undefined;
}

/** ECR auth: asked for (`ecr` settings), or implied by an ECR host when no username/password is given. */
function usesEcr(host: string, cfg: { registryAuth?: RegistryCredentials; ecr?: EcrConfig }): boolean {
  return cfg.ecr !== undefined || (parseEcrHost(host) !== undefined && !cfg.registryAuth);
}

/** Shared by sign and verify: picks ECR or username/password auth and builds the registry client. */
async function connect(ref: ImageRef, cfg: { registryAuth?: RegistryCredentials; ecr?: EcrConfig; insecure?: boolean; retry?: RetryPolicy; tagMutability?: TagMutability }, log: Logger, forPush: boolean, notes: string[]): Promise<Connection> {
  const host = ref.registry!;
  const ecrHost = parseEcrHost(host);
  const insecure = cfg.insecure ?? isLoopbackHost(host);
  let credentials: CredentialSource | undefined;
  let current: RegistryCredentials | undefined;
  let mutability: TagMutability = cfg.tagMutability ?? { mode: 'MUTABLE', filters: [] };

  if (cfg.registryAuth) {
    const auth = cfg.registryAuth;
    log.secret(auth.password);
    current = auth;
    credentials = async () => auth;
  } else if (usesEcr(host, cfg)) {
    const region = cfg.ecr?.region ?? ecrHost?.region;
    if (!region) throw new InputError('aws-region', `is required: ${host} is not an ECR host, so the region cannot be read from it`);
    const { createEcrApi, DEFAULT_CREATE_SETTINGS } = await import('../adapters/ecr.ts');
    const ecr = await createEcrApi({ region, endpoint: cfg.ecr?.endpoint, registryId: ecrHost?.accountId, retry: cfg.retry, log });
    const first = await ecr.login();
    current = first;
    log.info(`ECR token for ${first.proxyEndpoint} (region ${region}) obtained${first.expiresAt ? `, valid until ${first.expiresAt.toISOString()}` : ''}`);
    credentials = async (refresh) => {
      if (refresh) {
        current = await ecr.login();
        notes.push('The registry rejected the ECR token once; logged in again with a fresh token.');
      }
      return current;
    };
    if (forPush) {
      const create = cfg.ecr?.createRepository ? { ...DEFAULT_CREATE_SETTINGS, ...cfg.ecr.create } : undefined;
      const { repository, created } = await ecr.ensureRepository(ref.repository, create);
      mutability = repository.mutability;
      notes.push(`${created ? 'Created' : 'Using'} ECR repository ${repository.uri || ref.repository} (tags ${mutability.mode}${mutability.filters.length ? ` except ${mutability.filters.join(', ')}` : ''}).`);
    }
  }
  const client = createRegistryClient({ host, repository: ref.repository, insecure, credentials, log, retry: cfg.retry });
  return { client, mutability, current: () => current };
}

/** Checks that some signature in the `.sig` manifest verifies for `digest`; returns the failure reasons otherwise. */
async function verifyStoredSignature(client: RegistryClient, digest: string, publicKey: KeyObject, dockerReference: string, annotations?: Record<string, string>): Promise<{ ok: boolean; reasons: string[] }> {
  const sig = await client.getManifest(signatureTag(digest));
  if (!sig) return { ok: false, reasons: [`no signature manifest under tag ${signatureTag(digest)}`] };
  const reasons: string[] = [];
  for (const layer of parseSignatureManifest(sig.bytes)) {
    const payload = await client.getBlob(layer.payloadDigest);
    const verdict = verifySignature(payload, Buffer.from(layer.signature, 'base64'), publicKey, { digest, dockerReference, annotations });
    if (verdict.ok) return { ok: true, reasons: [] };
    reasons.push(verdict.reason);
  }
  return { ok: false, reasons: reasons.length ? reasons : ['the signature manifest holds no cosign signature layer'] };
}

/** The registry-side push actions: what a 403 from the ECR registry (not its API) points at. */
const ECR_REGISTRY_ACTIONS = ECR_PUSH_ACTIONS.filter((a) => a !== 'ecr:GetAuthorizationToken' && a !== 'ecr:DescribeRepositories');

/** Explains a registry error: a 403 on ECR lists the IAM actions. */
function explain(error: unknown, ecr: boolean): Error {
  if (error instanceof RegistryError && error.status === 403 && ecr) {
    return new Error(`${error.message}. The role needs ${ECR_REGISTRY_ACTIONS.slice(0, -1).join(', ')} and ${ECR_REGISTRY_ACTIONS.at(-1)} on the repository (a missing InitiateLayerUpload often shows up as a bare EOF).`, { cause: error });
  }
  return error as Error;
}

/**
 * Signs the built image's manifest digest, verifies the signature, and pushes the image and its
 * tags only when verification passes (see the module comment for the order). Returns a
 * `StageResult` named `sign`: `passed` with outputs, or `failed` with `error` saying what was and
 * was not pushed. Throws `InputError` for bad config (before any side effect).
 */
export async function runSignAndPush(cfg: SignConfig, log: Logger): Promise<StageResult<SignOutputs>> {
  const start = performance.now();
  const notes: string[] = [];
  const outputs: SignOutputs = { digest: '', 'image-ref': '', 'signature-ref': '', 'public-key': '', 'pushed-tags': [] };
  const done = (status: 'passed' | 'failed', error?: string): StageResult<SignOutputs> => ({
    name: 'sign', status, durationMs: Math.round(performance.now() - start), outputs, findings: error ? [{ id: 'signature-gate', message: error, location: outputs['image-ref'] || cfg.repository }] : [], notes, ...(error ? { error } : {}),
    summaryMarkdown: summary(status, outputs, notes, error),
  });

  // Inputs first: nothing below may run on bad config.
  if (!cfg.image) throw new InputError('image', 'is required: the local image id or reference that was built');
  const ref = parseRepositoryRef(cfg.repository, 'repository');
  if (!ref.registry && cfg.push !== false) throw new InputError('repository', `must include the registry host, e.g. 127.0.0.1:5000/${ref.repository} or <account>.dkr.ecr.<region>.amazonaws.com/${ref.repository}`);
  if (!cfg.registryAuth) refuseEcrPublic(ref, 'repository');
  const tags = [...new Set(cfg.tags.map((t) => validateTag(t, 'tags')))];
  if (!cfg.signatureFile) throw new InputError('signature-file', 'is required');
  const dockerReference = imageName(ref);
  try {
    trustGuard(cfg.eventName, cfg.allowUntrustedEvent, 'sign and push');
  } catch (error) {
    return done('failed', (error as Error).message);
  }
  let privateKey: KeyObject;
  if (cfg.privateKey) {
    privateKey = loadPrivateKey(cfg.privateKey, cfg.passphrase);
  } else {
    privateKey = generateKeyPair().privateKey;
    log.warning('No private-key given: signed with an ephemeral key pair. The signature proves nothing to anyone who did not get this run\'s public-key output; configure a key for releases.');
    notes.push('Signed with an ephemeral key pair (no private-key configured).');
  }
  const verifyKey = cfg.publicKey ? loadPublicKey(cfg.publicKey) : loadPublicKey(publicKeyPem(privateKey));
  outputs['public-key'] = publicKeyPem(verifyKey);

  let exported: ExportedImage | undefined;
  try {
    exported = await log.group(`export ${cfg.image}`, () => exportImageCached(cfg.image, log, cfg.workDir, cfg.exportCacheDir));
    const digest = exported.manifest.digest;
    outputs.digest = digest;
    outputs['image-ref'] = `${dockerReference}@${digest}`;

    // Sign, write, read back, verify with the configured key: the gate before any push.
    const payload = buildPayload(dockerReference, digest, { ...cfg.annotations, ...(tags.length ? { tags: tags.join(',') } : {}) });
    const signature = signPayload(payload, privateKey);
    await writeFileAtomic(cfg.signatureFile, `${JSON.stringify(signatureRecord(payload, signature, privateKey), null, 2)}\n`);
    const record = parseSignatureRecord(readFileSync(cfg.signatureFile, 'utf8'));
    const verdict = verifySignature(record.payloadBytes, record.signatureBytes, verifyKey, { digest, dockerReference });
    if (!verdict.ok) {
      return done('failed', `signature over ${digest} does not verify with the configured public key ${keyId(verifyKey)} (${verdict.reason}). Nothing was pushed.`);
    }
    log.info(`signed ${outputs['image-ref']} with key ${keyId(privateKey)}; verified with ${keyId(verifyKey)} (key-based, not recorded in a transparency log)`);
    notes.push(`Signature over ${digest} verified with ${keyId(verifyKey)} before any push; record written to ${cfg.signatureFile}.`);
    if (cfg.push === false) {
      notes.push('push: false — nothing was sent to a registry.');
      return done('passed');
    }

    const ecrUsed = usesEcr(ref.registry!, cfg);
    try {
      const conn = await connect(ref, cfg, log, true, notes);
      const { client, mutability } = conn;

      // Decide every tag before writing any, so a refusal leaves the registry as it was.
      const existing = new Map<string, string>();
      for (const tag of tags) {
        const d = await client.resolve(tag);
        if (d) existing.set(tag, d);
      }
      const plan = planTags(tags, digest, existing, mutability);
      if (plan.conflicts.length) return done('failed', describeConflicts(dockerReference, digest, plan.conflicts));

      await log.group(`push ${outputs['image-ref']}`, async () => {
        let sent = 0;
        if (await client.pushBlob(exported!.config.digest, exported!.config.size, () => exported!.config.bytes)) sent++;
        const present = await Promise.all(exported!.layers.map((layer) => client.blobExists(layer.digest)));
        if (present.includes(false)) await exported!.materialize();
        for (const [i, layer] of exported!.layers.entries()) {
          if (present[i]) continue;
          await client.uploadBlob(layer.digest, layer.size, () => Readable.toWeb(createReadStream(layer.file)) as ReadableStream<Uint8Array>);
          sent++;
        }
        const stored = await client.putManifest(digest, exported!.manifest.bytes, exported!.manifest.mediaType);
        if (stored !== digest) throw new Error(`registry stored ${stored}, not the signed ${digest}`);
        log.info(`pushed manifest ${digest} by digest (${sent} blob(s) uploaded, ${exported!.layers.length + 1 - sent} already present)`);
      });

      for (const tag of plan.put) {
        try {
          await client.putManifest(tag, exported.manifest.bytes, exported.manifest.mediaType);
        } catch (error) {
          // ECR answers an immutable-tag clash (e.g. a parallel run) with TAG_INVALID: look again.
          const now = error instanceof RegistryError && error.status < 500 ? await client.resolve(tag) : undefined;
          if (now === digest) {
            plan.unchanged.push(tag);
            continue;
          }
          if (now) {
            return done('failed', `tag ${dockerReference}:${tag} is immutable and now points at ${now}, not at the signed ${digest} (written by another run meanwhile). Tags written before it: ${outputs['pushed-tags'].join(', ') || 'none'}.`);
          }
          throw error;
        }
        outputs['pushed-tags'].push(tag);
      }
      for (const m of plan.moved) notes.push(`Moved mutable tag ${m.tag} from ${m.from}.`);
      if (plan.unchanged.length) notes.push(`Already pointing at ${digest} (no-op): ${plan.unchanged.join(', ')}.`);
      outputs['pushed-tags'] = [...outputs['pushed-tags'], ...plan.unchanged].sort((a, b) => tags.indexOf(a) - tags.indexOf(b));

      // The signature, in cosign's layout, next to the image.
      const sigTag = signatureTag(digest);
      const ours: SignatureLayer = { payloadDigest: sha256Digest(payload), payloadSize: payload.length, signature: signature.toString('base64') };
      const previous = await client.getManifest(sigTag);
      const merged = mergeSignatures(previous ? parseSignatureManifest(previous.bytes) : [], ours);
      const sigManifest = buildSignatureManifest(merged);
      if (previous && previous.digest !== sigManifest.digest && isTagImmutable(sigTag, mutability)) {
        const already = await verifyStoredSignature(client, digest, verifyKey, dockerReference);
        if (!already.ok) {
          return done('failed', `tag ${sigTag} exists and is immutable, so the signature cannot be added (${already.reasons.join('; ')}). Add the tag-mutability exclusion filter sha256-*.sig to the repository.`);
        }
        notes.push(`Kept the existing signature manifest ${sigTag} (immutable; it already holds a signature that verifies).`);
      } else if (!previous || previous.digest !== sigManifest.digest) {
        await client.pushBlob(ours.payloadDigest, ours.payloadSize, () => payload);
        await client.pushBlob(sha256Digest(sigManifest.config), sigManifest.config.length, () => sigManifest.config);
        await client.putManifest(sigTag, sigManifest.bytes, sigManifest.mediaType);
        log.info(`stored signature as ${dockerReference}:${sigTag} (${merged.length} signature(s))`);
      }
      outputs['signature-ref'] = `${dockerReference}:${sigTag}`;

      // Re-verify what the registry now serves, from the registry's bytes.
      for (const tag of outputs['pushed-tags']) {
        const served = await client.getManifest(tag);
        if (served?.digest !== digest) return done('failed', `after the push, ${dockerReference}:${tag} serves ${served?.digest ?? 'nothing'}, not the signed ${digest}`);
      }
      const stored = await verifyStoredSignature(client, digest, verifyKey, dockerReference);
      if (!stored.ok) return done('failed', `the signature the registry serves for ${digest} does not verify: ${stored.reasons.join('; ')}`);
      notes.push(`Re-verified from the registry: ${outputs['pushed-tags'].length} tag(s) serve ${digest}; ${outputs['signature-ref']} verifies.`);
      // Only now, with credentials the registry accepted, log docker in for later steps of the job.
      const accepted = conn.current();
      if (cfg.dockerLogin && accepted) await dockerLogin(ref.registry!, accepted, log);
      return done('passed');
    } catch (error) {
      throw explain(error, ecrUsed);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const pushed = outputs['pushed-tags'].length ? `Tags already written: ${outputs['pushed-tags'].join(', ')}.` : 'No tag was written.';
    return done('failed', `${(error as Error).message} ${pushed}`);
  } finally {
    exported?.cleanup();
  }
}

function summary(status: 'passed' | 'failed', o: SignOutputs, notes: string[], error?: string): string {
  const rows: string[][] = [['Output', 'Value']];
  if (o.digest) rows.push(['digest', `\`${o.digest}\``]);
  if (o['image-ref']) rows.push(['image-ref', `\`${o['image-ref']}\``]);
  if (o['signature-ref']) rows.push(['signature-ref', `\`${o['signature-ref']}\``]);
  rows.push(['pushed-tags', o['pushed-tags'].join(', ') || '—']);
  const parts = [`### ${statusIcon(status)} sign: ${status}`];
  if (error) parts.push(`**Error:** ${error}`);
  parts.push(markdownTable(rows));
  for (const n of notes) parts.push(`- ${n}`);
  if (o['public-key']) parts.push(`<details><summary>Public key (verify with cosign verify --key)</summary>\n\n\`\`\`\n${o['public-key'].trim()}\n\`\`\`\n</details>`);
  return parts.join('\n\n');
}

export interface VerifyConfig {
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
  registryAuth?: RegistryCredentials;
  ecr?: EcrConfig;
  insecure?: boolean;
  retry?: RetryPolicy;
}

export type VerifyOutputs = {
  digest: string;
  'image-ref': string;
  'signature-ref': string;
  'public-key': string;
};

/**
 * Verify mode: checks a signature file and/or the registry's stored signature against a trusted
 * public key and a digest. Returns `passed` only when every given source verifies; `failed` with
 * the reason otherwise. Throws `InputError` for missing/invalid config.
 */
export async function runVerify(cfg: VerifyConfig, log: Logger): Promise<StageResult<VerifyOutputs>> {
  const start = performance.now();
  const notes: string[] = [];
  const pub = loadPublicKey(cfg.publicKey ?? '', 'public-key');
  const outputs: VerifyOutputs = { digest: '', 'image-ref': '', 'signature-ref': '', 'public-key': publicKeyPem(pub) };
  const done = (status: 'passed' | 'failed', error?: string): StageResult<VerifyOutputs> => ({
    name: 'verify', status, durationMs: Math.round(performance.now() - start), outputs, notes,
    findings: error ? [{ id: 'signature-verify', message: error, location: outputs['image-ref'] || cfg.signatureFile }] : [], ...(error ? { error } : {}),
  });
  if (!cfg.signatureFile && !cfg.imageRef) throw new InputError('signature-file', 'or "image-ref" is required in verify mode');
  if (cfg.digest) validateDigest(cfg.digest, 'digest');
  const ref = cfg.imageRef ? parseImageRef(cfg.imageRef, 'image-ref') : undefined;
  if (ref && !ref.registry) throw new InputError('image-ref', 'must include the registry host');
  if (ref && !cfg.registryAuth) refuseEcrPublic(ref, 'image-ref');
  if (ref?.digest && cfg.digest && ref.digest !== cfg.digest) throw new InputError('digest', `(${cfg.digest}) differs from the digest in "image-ref" (${ref.digest})`);
  let digest = cfg.digest ?? ref?.digest;
  if (!digest && !ref) throw new InputError('digest', 'is required to verify a signature file: a signature only means something for the digest you deploy');
  const keyText = keyId(pub);

  try {
    let conn: Connection | undefined;
    if (ref) {
      conn = await connect(ref, cfg, log, false, notes);
      if (!digest) {
        digest = await conn.client.resolve(ref.tag ?? 'latest');
        if (!digest) return done('failed', `${imageName(ref)}:${ref.tag ?? 'latest'} does not exist in the registry`);
        notes.push(`Resolved ${imageName(ref)}:${ref.tag ?? 'latest'} to ${digest}.`);
      }
    }
    outputs.digest = digest!;
    const expectRef = cfg.dockerReference ?? (ref ? imageName(ref) : undefined);
    outputs['image-ref'] = expectRef ? `${expectRef}@${digest}` : digest!;
    if (cfg.signatureFile) {
      const record = parseSignatureRecord(readFileSync(cfg.signatureFile, 'utf8'));
      const v = verifySignature(record.payloadBytes, record.signatureBytes, pub, { digest: digest!, dockerReference: expectRef, annotations: cfg.annotations });
      if (!v.ok) return done('failed', `${cfg.signatureFile}: ${v.reason}`);
      notes.push(`${cfg.signatureFile} verifies for ${digest} with ${keyText}.`);
    }
    if (conn && ref) {
      const stored = await verifyStoredSignature(conn.client, digest!, pub, imageName(ref), cfg.annotations);
      outputs['signature-ref'] = `${imageName(ref)}:${signatureTag(digest!)}`;
      if (!stored.ok) return done('failed', `registry signature ${outputs['signature-ref']}: ${stored.reasons.join('; ')}`);
      notes.push(`${outputs['signature-ref']} verifies for ${digest} with ${keyText}.`);
    }
    log.info(`verified ${outputs['image-ref']} with ${keyText}`);
    return done('passed');
  } catch (error) {
    if (error instanceof InputError) throw error;
    return done('failed', (error as Error).message);
  }
}
