import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureDockerd } from '../../src/local/dockerd.ts';
import { exportImage } from '../../src/adapters/image-archive.ts';
import { MEDIA, sha256Digest } from '../../src/domain/oci-manifest.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { makeImage, removeTestImages } from './helpers.ts';
import { scratchDirs } from '../support/scratch.ts';

// `docker save` writes the legacy layout on dockerd ≤ 24 (this machine: 20.10) and an OCI image
// layout (plus a compatible manifest.json) on dockerd ≥ 25; with the containerd image store the
// layers can already be gzip blobs. The real legacy archive is converted into each newer layout
// here and handed to exportImage through a `docker` stand-in whose `save` copies that archive.

const tempDir = scratchDirs();
let work: string;
let image: string;
let legacy: { config: Buffer; layers: Buffer[] };

beforeAll(async () => {
  await ensureDockerd(createMemoryLogger());
  work = tempDir('archive-');
  image = makeImage(`layout ${Date.now()}`);
  const x = join(work, 'legacy');
  mkdirSync(x);
  execFileSync('docker', ['save', '--output', join(work, 'legacy.tar'), image]);
  execFileSync('tar', ['-x', '-f', join(work, 'legacy.tar'), '-C', x]);
  const m = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'))[0];
  legacy = { config: readFileSync(join(x, m.Config)), layers: m.Layers.map((l: string) => readFileSync(join(x, l))) };
});
afterAll(removeTestImages);

function blob(root: string, bytes: Buffer): string {
  const d = sha256Digest(bytes);
  mkdirSync(join(root, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(root, 'blobs', 'sha256', d.slice(7)), bytes);
  return d;
}

/** Writes an OCI layout from the legacy parts; returns the archive path. */
function ociArchive(name: string, options: { dockerManifestJson: boolean; nested: boolean; gzipLayers: boolean }): { tar: string; layerDigests: string[] } {
  const root = join(work, name);
  mkdirSync(root);
  const configDigest = blob(root, legacy.config);
  const layerBytes = legacy.layers.map((l) => (options.gzipLayers ? gzipSync(l, { level: 9 }) : l));
  const layerDigests = layerBytes.map((b) => blob(root, b));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: legacy.config.length },
    layers: layerBytes.map((b, i) => ({ mediaType: options.gzipLayers ? MEDIA.ociLayerGzip : MEDIA.ociLayer, digest: layerDigests[i], size: b.length })),
  }));
  const manifestDigest = blob(root, manifest);
  const desc = { mediaType: MEDIA.ociManifest, digest: manifestDigest, size: manifest.length, platform: { os: 'linux', architecture: 'amd64' } };
  let top: object = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [desc] };
  if (options.nested) {
    const attestation = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}');
    const inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [
      desc,
      { mediaType: MEDIA.ociManifest, digest: blob(root, attestation), size: attestation.length, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': manifestDigest } },
    ] }));
    top = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociIndex, digest: blob(root, inner), size: inner.length }] };
  }
  writeFileSync(join(root, 'index.json'), JSON.stringify(top));
  writeFileSync(join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  if (options.dockerManifestJson) {
    writeFileSync(join(root, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${configDigest.slice(7)}`, RepoTags: null, Layers: layerDigests.map((d) => `blobs/sha256/${d.slice(7)}`) }]));
  }
  const tar = join(work, `${name}.tar`);
  execFileSync('tar', ['-c', '-f', tar, '-C', root, '.']);
  return { tar, layerDigests };
}

/** A `docker` whose `save --output PATH IMAGE` copies `archive` to PATH. */
function fakeSave(archive: string): string {
  const script = join(work, `docker-${Math.random().toString(36).slice(2)}`);
  writeFileSync(script, `#!/bin/sh\n[ "$1" = save ] && [ "$2" = --output ] && exec cp '${archive}' "$3"\nexit 3\n`);
  chmodSync(script, 0o755);
  return script;
}

async function exportWith(archive: string | undefined) {
  if (archive) process.env.TRUNKLINE_DOCKER = fakeSave(archive);
  try {
    return await exportImage(image, createMemoryLogger(), work);
  } finally {
    delete process.env.TRUNKLINE_DOCKER;
  }
}

describe('exportImage over every docker save layout', () => {
  it('legacy layout (real dockerd 20.10): config bytes kept, layers gzip-compressed deterministically', async () => {
    const a = await exportWith(undefined);
    const b = await exportWith(undefined);
    try {
      expect(a.config.digest).toBe(image); // the config digest is the image id
      expect(a.manifest.mediaType).toBe(MEDIA.dockerManifest);
      expect(a.manifest.digest).toBe(b.manifest.digest); // same image, same digest: re-runs are no-ops
      expect(a.layers.every((l) => l.compression === 'gzip')).toBe(true);
      expect(execFileSync('sh', ['-c', `gzip -dc '${a.layers[0]!.file}' | sha256sum`]).toString().split(' ')[0]).toBe(sha256Digest(legacy.layers[0]!).slice(7));
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  it('dockerd ≥ 25 layout (OCI blobs + compatible manifest.json) gives the same manifest digest', async () => {
    const expected = await exportWith(undefined);
    const oci = await exportWith(ociArchive('oci-with-manifest-json', { dockerManifestJson: true, nested: false, gzipLayers: false }).tar);
    try {
      expect(oci.manifest.digest).toBe(expected.manifest.digest);
    } finally {
      expected.cleanup();
      oci.cleanup();
    }
  });

  it('pure OCI layout with a nested index and an attestation manifest gives the same manifest digest', async () => {
    const expected = await exportWith(undefined);
    const oci = await exportWith(ociArchive('oci-nested', { dockerManifestJson: false, nested: true, gzipLayers: false }).tar);
    try {
      expect(oci.manifest.digest).toBe(expected.manifest.digest);
    } finally {
      expected.cleanup();
      oci.cleanup();
    }
  });

  it('gzip layers (containerd image store) are pushed as they are, not recompressed', async () => {
    const { tar, layerDigests } = ociArchive('oci-gzip', { dockerManifestJson: true, nested: false, gzipLayers: true });
    const oci = await exportWith(tar);
    try {
      expect(oci.layers.map((l) => l.digest)).toEqual(layerDigests);
      expect(JSON.parse(oci.manifest.bytes.toString()).layers.map((l: { digest: string }) => l.digest)).toEqual(layerDigests);
    } finally {
      oci.cleanup();
    }
  });

  it('cleans up and reports a docker save failure', async () => {
    process.env.TRUNKLINE_DOCKER = join(work, 'no-such-docker');
    try {
      await expect(exportImage(image, createMemoryLogger(), work)).rejects.toThrow(/could not start/);
    } finally {
      delete process.env.TRUNKLINE_DOCKER;
    }
    expect(execFileSync('sh', ['-c', `ls '${work}' | grep -c trunkline-export- || true`]).toString().trim()).toBe('0');
  });
});
