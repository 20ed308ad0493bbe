import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { KeyObject } from 'node:crypto';
import { InputError } from '../domain/errors.ts';
import { assertEventAllowed } from '../domain/privileged-event.ts';
import { imageName, parseRepositoryRef, validateTag } from '../domain/image-ref.ts';
import { buildSignatureManifest, findEquivalentSignature, parseSignatureManifest, sha256Digest, signatureTag } from '../domain/oci-manifest.ts';
import type { SignatureLayer } from '../domain/oci-manifest.ts';
import { describeConflicts, isTagImmutable, planTags } from '../domain/push-plan.ts';
import {
  buildPayload, generateKeyPair, keyId, loadPrivateKey, loadPublicKey, parseSignatureRecord, publicKeyPem,
  signatureRecord, signPayload, verifySignature,
} from '../domain/signature.ts';
import type { SignConfig } from '../domain/sign-config.ts';
import { dockerLogin } from '../adapters/docker-auth.ts';
import { exportImageCached } from '../adapters/image-archive.ts';
import type { ExportedImage } from '../adapters/image-archive.ts';
import { RegistryError } from '../adapters/registry.ts';
import { writeFileAtomic } from '../adapters/atomic-file.ts';
import type { Logger } from '../report/logger.ts';
import { markdownTable, stageMarkdown } from '../report/render.ts';
import { runStage } from '../report/result.ts';
import type { StageBody, StageResult } from '../report/result.ts';
import { connectRegistry, explainRegistryError, refuseEcrPublic } from './registry-connection.ts';
import type { Connection } from './registry-connection.ts';
import { verifyStoredSignature } from './stored-signature.ts';

export type { EcrConfig, SignConfig } from '../domain/sign-config.ts';

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
 *  6. store the signature in cosign's layout (`sha256-<hex>.sig`) unless an equivalent one is
 *     there, and re-verify what the registry now serves: every tag's manifest hashes to the
 *     digest and the `.sig` verifies.
 */

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

/** Refuses privileged events unless opted in; the message names the input to set. */
export function trustGuard(eventName: string | undefined, allowed: boolean | undefined, what: string): void {
  assertEventAllowed(eventName, allowed, what);
}

/** One run's state: what the summary and a failure report need, filled in as the steps go. */
interface SignRun {
  cfg: SignConfig;
  log: Logger;
  notes: string[];
  outputs: SignOutputs;
  /** `registry/repository`, the payload's docker-reference; set once the repository is parsed. */
  dockerReference: string;
}

function failed(run: SignRun, error: string): StageBody<SignOutputs> {
  return { status: 'failed', outputs: run.outputs, notes: run.notes, error, findings: [{ id: 'signature-gate', message: error, location: run.outputs['image-ref'] || run.cfg.repository }] };
}

function passed(run: SignRun): StageBody<SignOutputs> {
  return { status: 'passed', outputs: run.outputs, notes: run.notes, findings: [] };
}

/**
 * Signs the built image's manifest digest, verifies the signature, and pushes the image and its
 * tags only when verification passes (see the module comment for the order). Returns a
 * `StageResult` named `sign`: `passed` with outputs, or `failed` with `error` saying what was and
 * was not pushed — bad config (an `InputError` naming the input) included; it never throws.
 */
export async function runSignAndPush(cfg: SignConfig, log: Logger): Promise<StageResult<SignOutputs>> {
  const run: SignRun = { cfg, log, notes: [], dockerReference: '', outputs: { digest: '', 'image-ref': '', 'signature-ref': '', 'public-key': '', 'pushed-tags': [] } };
  const result = await runStage('sign', () => signAndPush(run), {
    failedOutputs: () => run.outputs,
    onError: (r) => { r.notes = run.notes; },
  });
  result.summaryMarkdown = signMarkdown(result);
  return result;
}

async function signAndPush(run: SignRun): Promise<StageBody<SignOutputs>> {
  const { cfg, log, notes, outputs } = run;
  // Inputs first: nothing below may run on bad config.
  if (!cfg.image) throw new InputError('image', 'is required: the local image id or reference that was built');
  const ref = parseRepositoryRef(cfg.repository, 'repository');
  if (!ref.registry && cfg.push !== false) throw new InputError('repository', `must include the registry host, e.g. 127.0.0.1:5000/${ref.repository} or <account>.dkr.ecr.<region>.amazonaws.com/${ref.repository}`);
  if (!cfg.registryAuth) refuseEcrPublic(ref, 'repository');
  const tags = [...new Set(cfg.tags.map((t) => validateTag(t, 'tags')))];
  if (!cfg.signatureFile) throw new InputError('signature-file', 'is required');
  const dockerReference = imageName(ref);
  run.dockerReference = dockerReference;
  try {
    trustGuard(cfg.eventName, cfg.allowUntrustedEvent, 'sign and push');
  } catch (error) {
    return failed(run, (error as Error).message);
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
      return failed(run, `signature over ${digest} does not verify with the configured public key ${keyId(verifyKey)} (${verdict.reason}). Nothing was pushed.`);
    }
    log.info(`signed ${outputs['image-ref']} with key ${keyId(privateKey)}; verified with ${keyId(verifyKey)} (key-based, not recorded in a transparency log)`);
    notes.push(`Signature over ${digest} verified with ${keyId(verifyKey)} before any push; record written to ${cfg.signatureFile}.`);
    if (cfg.push === false) {
      notes.push('push: false — nothing was sent to a registry.');
      return passed(run);
    }

    let conn: Connection | undefined;
    try {
      conn = await connectRegistry(ref, cfg, log, true, notes);
      const pushedOk = await pushImage(run, conn, exported, tags);
      if (pushedOk !== true) return failed(run, pushedOk);
      const signed: SignatureLayer = { payloadDigest: sha256Digest(payload), payloadSize: payload.length, signature: signature.toString('base64') };
      const stored = await storeSignature(run, conn, payload, signed, verifyKey);
      if (stored !== true) return failed(run, stored);
      outputs['signature-ref'] = `${imageName(ref)}:${signatureTag(digest)}`;

      // Re-verify what the registry now serves, from the registry's bytes.
      for (const tag of outputs['pushed-tags']) {
        const served = await conn.client.getManifest(tag);
        if (served?.digest !== digest) return failed(run, `after the push, ${dockerReference}:${tag} serves ${served?.digest ?? 'nothing'}, not the signed ${digest}`);
      }
      const check = await verifyStoredSignature(conn.client, digest, verifyKey, dockerReference);
      if (!check.ok) return failed(run, `the signature the registry serves for ${digest} does not verify: ${check.reasons.join('; ')}`);
      notes.push(`Re-verified from the registry: ${outputs['pushed-tags'].length} tag(s) serve ${digest}; ${outputs['signature-ref']} verifies.`);
      // Only now, with credentials the registry accepted, log docker in for later steps of the job.
      const accepted = conn.current();
      if (cfg.dockerLogin && accepted) await dockerLogin(ref.registry!, accepted, log);
      return passed(run);
    } catch (error) {
      throw explainRegistryError(error, conn?.ecr ?? false);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const pushed = outputs['pushed-tags'].length ? `Tags already written: ${outputs['pushed-tags'].join(', ')}.` : 'No tag was written.';
    return failed(run, `${(error as Error).message} ${pushed}`);
  } finally {
    exported?.cleanup();
  }
}

/**
 * Uploads the image (blobs the registry lacks, the manifest by digest) and points every tag at it.
 * Every tag is decided before any is written, so a refusal leaves the registry as it was. Returns
 * true, or the refusal sentence; registry errors propagate.
 */
async function pushImage(run: SignRun, conn: Connection, exported: ExportedImage, tags: string[]): Promise<true | string> {
  const { log, notes, outputs } = run;
  const { client, mutability } = conn;
  const digest = outputs.digest;
  const dockerReference = run.dockerReference;
  const existing = new Map<string, string>();
  for (const tag of tags) {
    const d = await client.resolve(tag);
    if (d) existing.set(tag, d);
  }
  const plan = planTags(tags, digest, existing, mutability);
  if (plan.conflicts.length) return describeConflicts(dockerReference, digest, plan.conflicts);

  await log.group(`push ${outputs['image-ref']}`, async () => {
    let sent = 0;
    if (await client.pushBlob(exported.config.digest, exported.config.size, () => exported.config.bytes)) sent++;
    const present = await Promise.all(exported.layers.map((layer) => client.blobExists(layer.digest)));
    if (present.includes(false)) await exported.materialize();
    for (const [i, layer] of exported.layers.entries()) {
      if (present[i]) continue;
      await client.uploadBlob(layer.digest, layer.size, () => Readable.toWeb(createReadStream(layer.file)) as ReadableStream<Uint8Array>);
      sent++;
    }
    const stored = await client.putManifest(digest, exported.manifest.bytes, exported.manifest.mediaType);
    if (stored !== digest) throw new Error(`registry stored ${stored}, not the signed ${digest}`);
    log.info(`pushed manifest ${digest} by digest (${sent} blob(s) uploaded, ${exported.layers.length + 1 - sent} already present)`);
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
        return `tag ${dockerReference}:${tag} is immutable and now points at ${now}, not at the signed ${digest} (written by another run meanwhile). Tags written before it: ${outputs['pushed-tags'].join(', ') || 'none'}.`;
      }
      throw error;
    }
    outputs['pushed-tags'].push(tag);
  }
  for (const m of plan.moved) notes.push(`Moved mutable tag ${m.tag} from ${m.from}.`);
  if (plan.unchanged.length) notes.push(`Already pointing at ${digest} (no-op): ${plan.unchanged.join(', ')}.`);
  outputs['pushed-tags'] = [...outputs['pushed-tags'], ...plan.unchanged].sort((a, b) => tags.indexOf(a) - tags.indexOf(b));
  return true;
}

/**
 * Stores `signed` in cosign's layout next to the image. A re-run that signed the same payload
 * with the same key finds its equivalent already there and keeps the set as it is (the `.sig`
 * manifest does not grow); otherwise the signature is appended, as cosign does. Returns true, or
 * the refusal sentence for an immutable `.sig` tag that cannot take it.
 */
async function storeSignature(run: SignRun, conn: Connection, payload: Buffer, signed: SignatureLayer, verifyKey: KeyObject): Promise<true | string> {
  const { log, notes, outputs } = run;
  const { client, mutability } = conn;
  const digest = outputs.digest;
  const dockerReference = run.dockerReference;
  const sigTag = signatureTag(digest);
  const previous = await client.getManifest(sigTag);
  const existing = previous ? parseSignatureManifest(previous.bytes) : [];
  const sameKey = (layer: SignatureLayer): boolean => verifySignature(payload, Buffer.from(layer.signature, 'base64'), verifyKey, { digest, dockerReference }).ok;
  if (findEquivalentSignature(existing, signed, sameKey)) {
    notes.push(`${sigTag} already holds a signature over the same payload by ${keyId(verifyKey)}: kept the ${existing.length} signature(s) as they are.`);
    return true;
  }
  if (previous && isTagImmutable(sigTag, mutability)) {
    const already = await verifyStoredSignature(client, digest, verifyKey, dockerReference);
    if (!already.ok) {
      return `tag ${sigTag} exists and is immutable, so the signature cannot be added (${already.reasons.join('; ')}). Add the tag-mutability exclusion filter sha256-*.sig to the repository.`;
    }
    notes.push(`Kept the existing signature manifest ${sigTag} (immutable; it already holds a signature that verifies).`);
    return true;
  }
  const manifest = buildSignatureManifest([...existing, signed]);
  await client.pushBlob(signed.payloadDigest, signed.payloadSize, () => payload);
  await client.pushBlob(sha256Digest(manifest.config), manifest.config.length, () => manifest.config);
  await client.putManifest(sigTag, manifest.bytes, manifest.mediaType);
  log.info(`stored signature as ${dockerReference}:${sigTag} (${existing.length + 1} signature(s))`);
  return true;
}

/** The sign job summary: the common header, an outputs table, and the public key to verify with. */
function signMarkdown(result: StageResult<SignOutputs>): string {
  const o = result.outputs;
  const rows: string[][] = [['Output', 'Value']];
  if (o.digest) rows.push(['digest', `\`${o.digest}\``]);
  if (o['image-ref']) rows.push(['image-ref', `\`${o['image-ref']}\``]);
  if (o['signature-ref']) rows.push(['signature-ref', `\`${o['signature-ref']}\``]);
  rows.push(['pushed-tags', o['pushed-tags'].join(', ') || '—']);
  return stageMarkdown(result, [
    { body: markdownTable(rows) },
    { heading: 'Public key (verify with cosign verify --key)', body: o['public-key'] ? `\`\`\`\n${o['public-key'].trim()}\n\`\`\`` : '', collapsed: true },
  ]);
}
