import { describe, expect, it } from 'vitest';
import {
  archiveImageFromOciLayout, blobPath, buildImageManifest, buildSignatureManifest, MEDIA, mergeSignatures,
  parseDockerSaveManifest, parseSignatureManifest, selectManifest, sha256Digest, signatureTag, sniffCompression,
} from '../../src/domain/oci-manifest.ts';
import { COSIGN_SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from '../../src/domain/signature.ts';
import { gzipSync } from 'node:zlib';

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('docker save manifest.json', () => {
  it('reads the legacy layout of dockerd 20.10', () => {
    const text = JSON.stringify([{ Config: `${'a'.repeat(64)}.json`, RepoTags: ['x:1'], Layers: [`${'b'.repeat(64)}/layer.tar`] }]);
    expect(parseDockerSaveManifest(text)).toEqual({ configPath: `${'a'.repeat(64)}.json`, repoTags: ['x:1'], layers: [{ path: `${'b'.repeat(64)}/layer.tar` }] });
  });
  it('reads the dockerd ≥ 25 layout (paths into blobs/sha256) with RepoTags null', () => {
    const text = JSON.stringify([{ Config: `blobs/sha256/${'a'.repeat(64)}`, RepoTags: null, Layers: [`blobs/sha256/${'b'.repeat(64)}`] }]);
    expect(parseDockerSaveManifest(text).layers[0]!.path).toBe(`blobs/sha256/${'b'.repeat(64)}`);
  });
  it('refuses several images, missing fields and paths escaping the archive', () => {
    expect(() => parseDockerSaveManifest('[]')).toThrow(/exactly one image/);
    expect(() => parseDockerSaveManifest('[{"Config":"c.json"}]')).toThrow(/lacks/);
    expect(() => parseDockerSaveManifest('[{"Config":"../etc/passwd","Layers":[]}]')).toThrow(/escapes/);
    expect(() => parseDockerSaveManifest('[{"Config":"c.json","Layers":["/abs/layer.tar"]}]')).toThrow(/escapes/);
  });
});

describe('OCI layout', () => {
  const manifest = { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: D('c'), size: 2 }, layers: [{ mediaType: MEDIA.ociLayer, digest: D('1'), size: 3 }] };
  const index = { schemaVersion: 2, manifests: [
    { mediaType: MEDIA.ociManifest, digest: D('e'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
    { mediaType: MEDIA.ociManifest, digest: D('d'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: MEDIA.ociManifest, digest: D('f'), size: 1, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
  ] };
  it('follows index.json through a nested index to the linux/amd64 manifest', () => {
    const blobs: Record<string, string> = { [blobPath(D('9'))]: JSON.stringify(index), [blobPath(D('d'))]: JSON.stringify(manifest) };
    const top = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA.ociIndex, digest: D('9'), size: 1 }] });
    const image = archiveImageFromOciLayout(top, (p) => { if (!(p in blobs)) throw new Error(`missing ${p}`); return blobs[p]!; });
    expect(image).toEqual({ configPath: `blobs/sha256/${'c'.repeat(64)}`, layers: [{ path: `blobs/sha256/${'1'.repeat(64)}`, mediaType: MEDIA.ociLayer }], repoTags: [] });
  });
  it('selectManifest fails clearly when no platform fits', () => {
    expect(() => selectManifest({ manifests: index.manifests.slice(0, 1).concat(index.manifests.slice(0, 1)) })).toThrow(/none for linux\/amd64/);
  });
});

describe('layer compression', () => {
  it('sniffs gzip, zstd and plain tar', () => {
    expect(sniffCompression(gzipSync(Buffer.from('x')))).toBe('gzip');
    expect(sniffCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toBe('zstd');
    expect(sniffCompression(Buffer.from('plain tar header'))).toBe('none');
  });
});

describe('image manifest', () => {
  it('is Docker schema 2 for gzip layers and its digest is the sha256 of the exact bytes', () => {
    const m = buildImageManifest({ digest: D('c'), size: 10 }, [{ digest: D('1'), size: 5, compression: 'gzip' }]);
    expect(m.mediaType).toBe(MEDIA.dockerManifest);
    expect(m.digest).toBe(sha256Digest(m.bytes));
    const parsed = JSON.parse(m.bytes.toString());
    expect(parsed.config.mediaType).toBe(MEDIA.dockerConfig);
    expect(parsed.layers[0].mediaType).toBe(MEDIA.dockerLayerGzip);
  });
  it('is OCI when a layer is zstd', () => {
    const m = buildImageManifest({ digest: D('c'), size: 10 }, [{ digest: D('1'), size: 5, compression: 'zstd' }, { digest: D('2'), size: 5, compression: 'gzip' }]);
    const parsed = JSON.parse(m.bytes.toString());
    expect(parsed.mediaType).toBe(MEDIA.ociManifest);
    expect(parsed.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([MEDIA.ociLayerZstd, MEDIA.ociLayerGzip]);
  });
});

describe('cosign .sig manifest', () => {
  it('tags sha256-<hex>.sig', () => {
    expect(signatureTag(D('a'))).toBe(`sha256-${'a'.repeat(64)}.sig`);
  });
  it('has one simple-signing layer per signature with the signature annotation, and round-trips', () => {
    const sig = { payloadDigest: D('1'), payloadSize: 200, signature: 'MEUCIQ==' };
    const m = buildSignatureManifest([sig]);
    const parsed = JSON.parse(m.bytes.toString());
    expect(parsed.mediaType).toBe(MEDIA.ociManifest);
    expect(parsed.config.digest).toBe(sha256Digest(m.config));
    expect(JSON.parse(m.config.toString()).rootfs.diff_ids).toEqual([D('1')]);
    expect(parsed.layers).toEqual([{ mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: 200, digest: D('1'), annotations: { [COSIGN_SIGNATURE_ANNOTATION]: 'MEUCIQ==' } }]);
    expect(parseSignatureManifest(m.bytes)).toEqual([sig]);
  });
  it('appends a new signature and keeps an identical one once', () => {
    const a = { payloadDigest: D('1'), payloadSize: 1, signature: 'A' };
    const b = { payloadDigest: D('2'), payloadSize: 1, signature: 'B' };
    expect(mergeSignatures([a], b)).toEqual([a, b]);
    expect(mergeSignatures([a, b], { ...a })).toEqual([a, b]);
  });
});
