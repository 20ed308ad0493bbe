import { readFileSync } from 'node:fs';
import { InputError } from '../domain/errors.ts';
import { imageName, parseImageRef, validateDigest } from '../domain/image-ref.ts';
import { signatureTag } from '../domain/oci-manifest.ts';
import { keyId, loadPublicKey, parseSignatureRecord, publicKeyPem, verifySignature } from '../domain/signature.ts';
import type { VerifyConfig } from '../domain/sign-config.ts';
import type { Logger } from '../report/logger.ts';
import { markdownTable, stageMarkdown } from '../report/render.ts';
import { runStage } from '../report/result.ts';
import type { StageBody, StageResult } from '../report/result.ts';
import { connectRegistry, refuseEcrPublic } from './registry-connection.ts';
import type { Connection } from './registry-connection.ts';
import { verifyStoredSignature } from './stored-signature.ts';

export type { VerifyConfig } from '../domain/sign-config.ts';

export type VerifyOutputs = {
  digest: string;
  'image-ref': string;
  'signature-ref': string;
  'public-key': string;
};

/**
 * Verify mode: checks a signature file and/or the registry's stored signature (cosign layout,
 * `sha256-<hex>.sig`) against a trusted public key and a digest. Returns a `StageResult` named
 * `verify`: `passed` only when every given source verifies; `failed` with the reason otherwise,
 * bad config (an `InputError` naming the input) included — it never throws.
 */
export async function runVerify(cfg: VerifyConfig, log: Logger): Promise<StageResult<VerifyOutputs>> {
  const notes: string[] = [];
  const outputs: VerifyOutputs = { digest: '', 'image-ref': '', 'signature-ref': '', 'public-key': '' };
  const failed = (error: string): StageBody<VerifyOutputs> => ({
    status: 'failed', outputs, notes, error, findings: [{ id: 'signature-verify', message: error, location: outputs['image-ref'] || cfg.signatureFile }],
  });
  const result = await runStage('verify', async (): Promise<StageBody<VerifyOutputs>> => {
    const pub = loadPublicKey(cfg.publicKey ?? '', 'public-key');
    outputs['public-key'] = publicKeyPem(pub);
    if (!cfg.signatureFile && !cfg.imageRef) throw new InputError('signature-file', 'or "image-ref" is required in verify mode');
    if (cfg.digest) validateDigest(cfg.digest, 'digest');
    const ref = cfg.imageRef ? parseImageRef(cfg.imageRef, 'image-ref') : undefined;
    if (ref && !ref.registry) throw new InputError('image-ref', 'must include the registry host');
    if (ref && !cfg.registryAuth) refuseEcrPublic(ref, 'image-ref');
    if (ref?.digest && cfg.digest && ref.digest !== cfg.digest) throw new InputError('digest', `(${cfg.digest}) differs from the digest in "image-ref" (${ref.digest})`);
    let digest = cfg.digest ?? ref?.digest;
    if (!digest && !ref) throw new InputError('digest', 'is required to verify a signature file: a signature only means something for the digest you deploy');
    const keyText = keyId(pub);

    let conn: Connection | undefined;
    if (ref) {
      conn = await connectRegistry(ref, cfg, log, false, notes);
      if (!digest) {
        digest = await conn.client.resolve(ref.tag ?? 'latest');
        if (!digest) return failed(`${imageName(ref)}:${ref.tag ?? 'latest'} does not exist in the registry`);
        notes.push(`Resolved ${imageName(ref)}:${ref.tag ?? 'latest'} to ${digest}.`);
      }
    }
    outputs.digest = digest!;
    const expectRef = cfg.dockerReference ?? (ref ? imageName(ref) : undefined);
    outputs['image-ref'] = expectRef ? `${expectRef}@${digest}` : digest!;
    if (cfg.signatureFile) {
      const record = parseSignatureRecord(readFileSync(cfg.signatureFile, 'utf8'));
      const v = verifySignature(record.payloadBytes, record.signatureBytes, pub, { digest: digest!, dockerReference: expectRef, annotations: cfg.annotations });
      if (!v.ok) return failed(`${cfg.signatureFile}: ${v.reason}`);
      notes.push(`${cfg.signatureFile} verifies for ${digest} with ${keyText}.`);
    }
    if (conn && ref) {
      const stored = await verifyStoredSignature(conn.client, digest!, pub, imageName(ref), cfg.annotations);
      outputs['signature-ref'] = `${imageName(ref)}:${signatureTag(digest!)}`;
      if (!stored.ok) return failed(`registry signature ${outputs['signature-ref']}: ${stored.reasons.join('; ')}`);
      notes.push(`${outputs['signature-ref']} verifies for ${digest} with ${keyText}.`);
    }
    log.info(`verified ${outputs['image-ref']} with ${keyText}`);
    return { status: 'passed', outputs, notes, findings: [] };
  }, { failedOutputs: () => outputs, onError: (r) => { r.notes = notes; } });
  const rows = [['Output', 'Value'], ...(['digest', 'image-ref', 'signature-ref'] as const).filter((k) => outputs[k]).map((k) => [k, `\`${outputs[k]}\``])];
  result.summaryMarkdown = stageMarkdown(result, [{ body: rows.length > 1 ? markdownTable(rows) : '' }]);
  return result;
}
