import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildPayload, generateKeyPair, keyId, loadPrivateKey, loadPublicKey, parsePayload, parseSignatureRecord,
  publicKeyPem, signPayload, signatureRecord, verifySignature, COSIGN_SIGNATURE_TYPE,
} from '../../src/domain/signature.ts';
import { InputError } from '../../src/domain/errors.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;
const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/sample-service';

function signed(annotations: Record<string, string> = { 'git-sha': 'f'.repeat(40) }) {
  const pair = generateKeyPair();
  const payload = buildPayload(REPO, DIGEST, annotations);
  const signature = signPayload(payload, pair.privateKey);
  return { pair, payload, signature, pub: loadPublicKey(pair.publicKeyPem) };
}

describe('simple-signing payload', () => {
  it('has cosign field names and order, optional keys sorted, null when empty', () => {
    const text = buildPayload(REPO, DIGEST, { tags: 'latest', 'git-sha': 'abc' }).toString();
    expect(text).toBe(`{"critical":{"identity":{"docker-reference":"${REPO}"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":{"git-sha":"abc","tags":"latest"}}`);
    expect(JSON.parse(buildPayload(REPO, DIGEST).toString()).optional).toBeNull();
  });
  it('refuses a non-digest and a reference with a digest', () => {
    expect(() => buildPayload(REPO, 'sha256:abc')).toThrow(/not a sha256 digest/);
    expect(() => buildPayload(`${REPO}@${DIGEST}`, DIGEST)).toThrow(/not a repository reference/);
  });
  it('parsePayload rejects JSON without the critical section', () => {
    expect(() => parsePayload(Buffer.from('{"optional":{}}'))).toThrow(/critical/);
    expect(() => parsePayload(Buffer.from('nope'))).toThrow(/not JSON/);
  });
});

describe('sign and verify', () => {
  it('verifies its own signature and returns the parsed claims', () => {
    const { payload, signature, pub } = signed();
    const v = verifySignature(payload, signature, pub, { digest: DIGEST, dockerReference: REPO, annotations: { 'git-sha': 'f'.repeat(40) } });
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.payload.critical.type).toBe(COSIGN_SIGNATURE_TYPE);
  });
  it('produces DER (ASN.1 SEQUENCE), not raw r||s', () => {
    const { signature } = signed();
    expect(signature[0]).toBe(0x30);
    expect(signature.length).not.toBe(64);
  });

  describe('tamper tests', () => {
    it('fails for a changed payload (one byte)', () => {
      const { payload, signature, pub } = signed();
      const changed = Buffer.from(payload.toString().replace('sample-service', 'sample-servicf'));
      const v = verifySignature(changed, signature, pub, { digest: DIGEST });
      expect(v).toEqual({ ok: false, reason: expect.stringMatching(/does not verify/) });
    });
    it('fails for a payload re-serialized with different whitespace (bytes, not JSON, are signed)', () => {
      const { payload, signature, pub } = signed();
      const reformatted = Buffer.from(JSON.stringify(JSON.parse(payload.toString()), null, 1));
      expect(verifySignature(reformatted, signature, pub, { digest: DIGEST }).ok).toBe(false);
    });
    it('fails with the wrong key', () => {
      const { payload, signature } = signed();
      const other = loadPublicKey(generateKeyPair().publicKeyPem);
      const v = verifySignature(payload, signature, other, { digest: DIGEST });
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toContain(keyId(other));
    });
    it('fails for a signature made for another digest', () => {
      const { payload, signature, pub } = signed();
      const v = verifySignature(payload, signature, pub, { digest: OTHER });
      expect(v).toEqual({ ok: false, reason: `signature is for digest ${DIGEST}, not ${OTHER}` });
    });
    it('fails for a truncated signature', () => {
      const { payload, signature, pub } = signed();
      for (const cut of [1, 8, signature.length - 1]) {
        expect(verifySignature(payload, signature.subarray(0, signature.length - cut), pub, { digest: DIGEST }).ok).toBe(false);
      }
    });
    it('fails for a flipped signature bit and for an empty signature', () => {
      const { payload, signature, pub } = signed();
      const flipped = Buffer.from(signature);
      flipped[flipped.length - 1]! ^= 1;
      expect(verifySignature(payload, flipped, pub, { digest: DIGEST }).ok).toBe(false);
      expect(verifySignature(payload, Buffer.alloc(0), pub, { digest: DIGEST }).ok).toBe(false);
    });
    it('fails for another repository or a missing annotation', () => {
      const { payload, signature, pub } = signed();
      expect(verifySignature(payload, signature, pub, { digest: DIGEST, dockerReference: 'ghcr.io/x/y' }).ok).toBe(false);
      expect(verifySignature(payload, signature, pub, { digest: DIGEST, annotations: { 'run-url': 'x' } }).ok).toBe(false);
    });
    it('fails for a validly signed payload of another type', () => {
      const pair = generateKeyPair();
      const payload = Buffer.from(buildPayload(REPO, DIGEST).toString().replace(COSIGN_SIGNATURE_TYPE, 'something else'));
      const v = verifySignature(payload, signPayload(payload, pair.privateKey), loadPublicKey(pair.publicKeyPem), { digest: DIGEST });
      expect(v).toEqual({ ok: false, reason: expect.stringMatching(/payload type/) });
    });
  });

  it('is accepted by openssl dgst -sha256 -verify (independent checker), and a tampered payload is not', () => {
    const { pair, payload, signature } = signed();
    const dir = mkdtempSync(join(tmpdir(), 'sig-openssl-'));
    try {
      writeFileSync(join(dir, 'pub.pem'), pair.publicKeyPem);
      writeFileSync(join(dir, 'payload'), payload);
      writeFileSync(join(dir, 'sig.der'), signature);
      const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'payload')]).toString();
      expect(out.trim()).toBe('Verified OK');
      writeFileSync(join(dir, 'payload'), Buffer.concat([payload, Buffer.from(' ')]));
      expect(() => execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'payload')], { stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('verifies a signature made by openssl with an openssl-generated key (interop both ways)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sig-openssl-'));
    try {
      execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'key.pem')]);
      execFileSync('openssl', ['ec', '-in', join(dir, 'key.pem'), '-pubout', '-out', join(dir, 'pub.pem')], { stdio: 'pipe' });
      const payload = buildPayload(REPO, DIGEST);
      writeFileSync(join(dir, 'payload'), payload);
      execFileSync('openssl', ['dgst', '-sha256', '-sign', join(dir, 'key.pem'), '-out', join(dir, 'sig.der'), join(dir, 'payload')]);
      const pub = loadPublicKey(readFileSync(join(dir, 'pub.pem'), 'utf8'));
      const sig = readFileSync(join(dir, 'sig.der'));
      expect(verifySignature(payload, sig, pub, { digest: DIGEST }).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('keys', () => {
  it('loads PKCS#8, encrypted PKCS#8 (with passphrase) and SEC1 PEM', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const enc = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' }).toString();
    const want = publicKeyPem(privateKey);
    expect(publicKeyPem(loadPrivateKey(pkcs8, undefined))).toBe(want);
    expect(publicKeyPem(loadPrivateKey(sec1, undefined))).toBe(want);
    expect(publicKeyPem(loadPrivateKey(enc, 'correct horse'))).toBe(want);
  });
  it('names the passphrase input when it is missing or wrong', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const enc = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }).toString();
    expect(() => loadPrivateKey(enc, undefined)).toThrow(/Input "private-key-passphrase" is required/);
    expect(() => loadPrivateKey(enc, 'wrong')).toThrow(/Input "private-key-passphrase" does not decrypt/);
  });
  it('refuses non-P-256 keys, garbage and cosign-encrypted keys with an InputError naming the input', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => loadPrivateKey(rsa, undefined)).toThrow(/Input "private-key" must be an ECDSA P-256 key \(got rsa\)/);
    expect(() => loadPublicKey(p384)).toThrow(/Input "public-key" must be an ECDSA P-256 key/);
    expect(() => loadPrivateKey('hello', undefined)).toThrow(InputError);
    expect(() => loadPrivateKey('-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----', 'x')).toThrow(/cosign-encrypted/);
    expect(() => loadPublicKey('-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----')).toThrow(/not a readable public key/);
  });
  it('keyId is the sha256 of the SPKI DER and equal for a private key and its public key', () => {
    const pair = generateKeyPair();
    expect(keyId(pair.privateKey)).toBe(keyId(pair.publicKeyPem));
    expect(keyId(pair.publicKeyPem)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(createPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' })).asymmetricKeyType).toBe('ec');
  });
});

describe('image.signature record', () => {
  it('round-trips payload and signature bytes and names the digest and image-ref', () => {
    const { payload, signature, pub } = signed();
    const record = signatureRecord(payload, signature, pub);
    expect(record.imageRef).toBe(`${REPO}@${DIGEST}`);
    const back = parseSignatureRecord(JSON.stringify(record));
    expect(back.payloadBytes.equals(payload)).toBe(true);
    expect(back.signatureBytes.equals(signature)).toBe(true);
    expect(verifySignature(back.payloadBytes, back.signatureBytes, pub, { digest: back.digest }).ok).toBe(true);
  });
  it('rejects a record without a signature or with non-base64 payload', () => {
    expect(() => parseSignatureRecord('{"payload":"e30=","digest":"x"}')).toThrow(/lacks "signature"/);
    expect(() => parseSignatureRecord('{"payload":"%%","signature":"e30=","digest":"x"}')).toThrow(/base64/);
    expect(() => parseSignatureRecord('not json')).toThrow(/not JSON/);
  });
});
