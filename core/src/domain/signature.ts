import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { InputError } from './errors.ts';

/**
 * Key-based image signatures in cosign's "simple signing" format, with Node's crypto only.
 *
 * Sources: sigstore/cosign `specs/SIGNATURE_SPEC.md` (payload shape, `.sig` layout),
 * sigstore/sigstore `pkg/signature/payload/payload.go` (field names) and `pkg/signature/ecdsa.go`
 * (ECDSA over SHA-256 of the payload, ASN.1/DER signature — raw r‖s is rejected). A signature made
 * here is what `cosign verify --key cosign.pub --insecure-ignore-tlog=true` checks, and what
 * `openssl dgst -sha256 -verify pub.pem -signature sig.der payload` accepts.
 *
 * Pure computation: no files, no network. Keys are `KeyObject`s or PEM strings.
 */

/** `critical.type` of every cosign container image signature. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** Media type of the payload blob in a `.sig` manifest. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** Layer annotation that carries the base64 DER signature in a `.sig` manifest. */
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The decoded payload (field names exactly as cosign writes them). */
export interface SimpleSigningPayload {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': string };
    type: string;
  };
  optional: Record<string, string> | null;
}

/** True for `sha256:` followed by 64 lowercase hex digits (the only digest form Trunkline signs). */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/**
 * Builds the payload bytes that get signed. `dockerReference` is the repository without tag or
 * digest (`registry/name`); `digest` the manifest digest (`sha256:<64 hex>`); `annotations` land in
 * `optional` with keys sorted (as Go's encoder writes a map), or `null` when empty (cosign's form).
 * Returns the exact bytes: verifiers never re-serialize, so callers must keep these bytes.
 * Throws `Error` on a malformed digest or an empty reference.
 */
export function buildPayload(dockerReference: string, digest: string, annotations: Record<string, string> = {}): Buffer {
  if (!isDigest(digest)) throw new Error(`not a sha256 digest: "${digest}"`);
  if (!dockerReference || /[@\s]/.test(dockerReference)) throw new Error(`not a repository reference: "${dockerReference}"`);
  const keys = Object.keys(annotations).sort();
  const optional = keys.length ? Object.fromEntries(keys.map((k) => [k, String(annotations[k])])) : null;
  const payload: SimpleSigningPayload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional,
  };
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** Parses payload bytes; throws `Error` when they are not a simple-signing JSON object. */
export function parsePayload(bytes: Buffer): SimpleSigningPayload {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new Error(`signature payload is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const p = value as Partial<SimpleSigningPayload> | null;
  const c = p?.critical;
  if (!c || typeof c !== 'object' || typeof c.identity?.['docker-reference'] !== 'string'
    || typeof c.image?.['docker-manifest-digest'] !== 'string' || typeof c.type !== 'string') {
    throw new Error('signature payload lacks critical.identity / critical.image / critical.type');
  }
  return value as SimpleSigningPayload;
}

/** A P-256 key pair: the private key object and the public key as SPKI PEM (`cosign.pub` form). */
export interface KeyPair {
  privateKey: KeyObject;
  publicKeyPem: string;
}

/** A fresh ECDSA P-256 key pair (for runs without a configured key; the caller must warn). */
export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function assertP256(key: KeyObject, input: string): void {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw new InputError(input, `must be an ECDSA P-256 key (got ${key.asymmetricKeyType ?? 'unknown'}${details?.namedCurve ? ` ${details.namedCurve}` : ''})`);
  }
}

/**
 * Loads a private key from PEM: PKCS#8 (`PRIVATE KEY`), encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`,
 * needs `passphrase`) or SEC1 (`EC PRIVATE KEY`, optionally with OpenSSL's `Proc-Type: 4,ENCRYPTED`).
 * Cosign's own `ENCRYPTED SIGSTORE/COSIGN PRIVATE KEY` (scrypt + NaCl secretbox) is refused with the
 * conversion hint. Errors are `InputError`s naming `input` (or `passphraseInput` for a passphrase
 * problem); the key must be P-256.
 */
export function loadPrivateKey(pem: string, passphrase: string | undefined, input = 'private-key', passphraseInput = 'private-key-passphrase'): KeyObject {
  if (/-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(pem)) {
    throw new InputError(input, 'is a cosign-encrypted key, which Node cannot decrypt; give a PKCS#8 PEM instead (e.g. `openssl ecparam -name prime256v1 -genkey | openssl pkcs8 -topk8 -v2 aes-256-cbc`) and import it into cosign with `cosign import-key-pair` if cosign must sign too');
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new InputError(input, 'must be a PEM private key (-----BEGIN PRIVATE KEY-----, ENCRYPTED PRIVATE KEY or EC PRIVATE KEY)');
  }
  const encrypted = /ENCRYPTED PRIVATE KEY|Proc-Type:\s*4,ENCRYPTED/.test(pem);
  if (encrypted && !passphrase) throw new InputError(passphraseInput, `is required: the key in "${input}" is encrypted`);
  let key: KeyObject;
  try {
    key = createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase } : { key: pem, format: 'pem' });
  } catch (error) {
    if (encrypted) throw new InputError(passphraseInput, `does not decrypt the key in "${input}" (${(error as Error).message})`);
    throw new InputError(input, `is not a readable PEM private key (${(error as Error).message})`);
  }
  assertP256(key, input);
  return key;
}

/** Loads an SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`); `InputError` naming `input` otherwise. */
export function loadPublicKey(pem: string, input = 'public-key'): KeyObject {
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) throw new InputError(input, 'must be an SPKI PEM public key (-----BEGIN PUBLIC KEY-----), as in cosign.pub');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new InputError(input, `is not a readable public key (${(error as Error).message})`);
  }
  assertP256(key, input);
  return key;
}

/** The public half of a private key, a public key as is, or a public key read from PEM. */
function toPublicKey(key: KeyObject | string): KeyObject {
  return typeof key === 'string' || key.type === 'private' ? createPublicKey(key) : key;
}

/** The SPKI PEM of a private or public key. */
export function publicKeyPem(key: KeyObject): string {
  return toPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}

/** Key id: `sha256:<hex>` of the SPKI DER (the same idea as a Sigstore bundle's `publicKey.hint`). */
export function keyId(key: KeyObject | string): string {
  return `sha256:${createHash('sha256').update(toPublicKey(key).export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

/** Signs payload bytes: ECDSA P-256 over SHA-256, DER-encoded; returns the signature bytes. */
export function signPayload(payload: Buffer, privateKey: KeyObject): Buffer {
  return sign('sha256', payload, { key: privateKey, dsaEncoding: 'der' });
}

/** What a verifier expects the payload to claim. */
export interface Expectation {
  /** The manifest digest being deployed or pushed (`sha256:<hex>`). Required: a signature is bound to it. */
  digest: string;
  /** When set, `critical.identity.docker-reference` must equal it (containers/image policies check it; cosign does not). */
  dockerReference?: string;
  /** Annotations that must appear in `optional` with these exact values (as `cosign verify -a k=v`). */
  annotations?: Record<string, string>;
}

export type Verdict = { ok: true; payload: SimpleSigningPayload } | { ok: false; reason: string };

/**
 * Verifies a signature the way cosign's key verifier does: ECDSA/SHA-256 over the exact payload
 * bytes with a DER signature (`VerifyASN1`), then the claims — `critical.type`, the manifest digest,
 * and optionally the reference and annotations. Never throws for a bad signature: returns
 * `{ ok: false, reason }` with a sentence a user can act on.
 */
export function verifySignature(payload: Buffer, signature: Buffer, publicKey: KeyObject, expect: Expectation): Verdict {
  let valid: boolean;
  try {
    valid = verify('sha256', payload, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch (error) {
    // Malformed DER (e.g. a truncated signature) makes OpenSSL throw instead of returning false.
    return { ok: false, reason: `signature is not a valid ECDSA DER signature (${(error as Error).message})` };
  }
  if (!valid) return { ok: false, reason: `signature does not verify with public key ${keyId(publicKey)} over the payload bytes` };
  let parsed: SimpleSigningPayload;
  try {
    parsed = parsePayload(payload);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  const c = parsed.critical;
  if (c.type !== COSIGN_SIGNATURE_TYPE) return { ok: false, reason: `payload type is "${c.type}", expected "${COSIGN_SIGNATURE_TYPE}"` };
  if (c.image['docker-manifest-digest'] !== expect.digest) {
    return { ok: false, reason: `signature is for digest ${c.image['docker-manifest-digest']}, not ${expect.digest}` };
  }
  if (expect.dockerReference !== undefined && c.identity['docker-reference'] !== expect.dockerReference) {
    return { ok: false, reason: `signature names repository ${c.identity['docker-reference']}, not ${expect.dockerReference}` };
  }
  for (const [k, v] of Object.entries(expect.annotations ?? {})) {
    if (parsed.optional?.[k] !== v) return { ok: false, reason: `annotation ${k} is ${JSON.stringify(parsed.optional?.[k] ?? null)}, expected ${JSON.stringify(v)}` };
  }
  return { ok: true, payload: parsed };
}

/**
 * The `image.signature` file: everything needed to verify offline. `payload` and `signature` are
 * standard base64 of the exact bytes; `publicKey` is informational (a verifier must use its own
 * trusted key, never this one).
 */
export interface SignatureRecord {
  schema: 'trunkline.dev/image-signature/v1';
  /** `repo@sha256:…` of the signed manifest. */
  imageRef: string;
  digest: string;
  dockerReference: string;
  mediaType: typeof SIMPLE_SIGNING_MEDIA_TYPE;
  payload: string;
  signature: string;
  publicKey: string;
  keyId: string;
  /** Honest label: key-based, no transparency log entry (as cosign itself labels it). */
  note: string;
}

/** Builds the record for signed payload bytes. */
export function signatureRecord(payload: Buffer, signature: Buffer, publicKey: KeyObject): SignatureRecord {
  const parsed = parsePayload(payload);
  const ref = parsed.critical.identity['docker-reference'];
  const digest = parsed.critical.image['docker-manifest-digest'];
  return {
    schema: 'trunkline.dev/image-signature/v1',
    imageRef: `${ref}@${digest}`,
    digest,
    dockerReference: ref,
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    payload: payload.toString('base64'),
    signature: signature.toString('base64'),
    publicKey: publicKeyPem(publicKey),
    keyId: keyId(publicKey),
    note: 'key-based signature, not recorded in a transparency log',
  };
}

/** Parses an `image.signature` JSON text; throws `Error` naming the missing field. */
export function parseSignatureRecord(text: string): SignatureRecord & { payloadBytes: Buffer; signatureBytes: Buffer } {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`signature file is not JSON: ${(error as Error).message}`, { cause: error });
  }
  for (const field of ['payload', 'signature', 'digest']) {
    if (typeof value[field] !== 'string' || !value[field]) throw new Error(`signature file lacks "${field}"`);
  }
  const b64 = /^[A-Za-z0-9+/]*={0,2}$/;
  if (!b64.test(value.payload as string) || !b64.test(value.signature as string)) throw new Error('signature file payload/signature must be standard base64');
  const record = value as unknown as SignatureRecord;
  return { ...record, payloadBytes: Buffer.from(record.payload, 'base64'), signatureBytes: Buffer.from(record.signature, 'base64') };
}

/**
 * Parses `key=value` annotation lines (from an input or repeated flags) into the payload's
 * `optional` claims. Keys are `[A-Za-z0-9._/-]+` (cosign `-a` keys); values are free text.
 * Throws `InputError(inputName)` naming the malformed line.
 */
export function parseAnnotations(lines: readonly string[], inputName: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    const k = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!/^[A-Za-z0-9._/-]+$/.test(k)) throw new InputError(inputName, `has ${JSON.stringify(line)}; each annotation must be key=value with a key of letters, digits, ".", "_", "/" or "-"`);
    out[k] = line.slice(eq + 1).trim();
  }
  return out;
}
