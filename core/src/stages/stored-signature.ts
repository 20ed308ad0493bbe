import type { KeyObject } from 'node:crypto';
import { parseSignatureManifest, signatureTag } from '../domain/oci-manifest.ts';
import { verifySignature } from '../domain/signature.ts';
import type { RegistryClient } from '../adapters/registry.ts';

/**
 * Checks the signatures a registry stores for `digest` in cosign's layout (tag `sha256-<hex>.sig`,
 * one payload layer per signature). Returns `ok` when some layer's payload verifies with
 * `publicKey` for `digest`, `dockerReference` and `annotations`; otherwise every reason.
 * Registry errors propagate.
 */
export async function verifyStoredSignature(client: RegistryClient, digest: string, publicKey: KeyObject, dockerReference: string, annotations?: Record<string, string>): Promise<{ ok: boolean; reasons: string[] }> {
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
