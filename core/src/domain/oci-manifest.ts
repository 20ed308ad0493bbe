import { createHash } from 'node:crypto';
import { COSIGN_SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from './signature.ts';

/**
 * Manifests Trunkline builds and reads: the image manifest for an image exported with `docker
 * save`, and cosign's `.sig` signature manifest. Pure: bytes in, bytes/objects out.
 *
 * Sources: OCI image-spec `manifest.md`, `image-index.md`, `image-layout.md`; Docker "Image
 * Manifest V2, Schema 2"; moby `image/tarexport` (the `manifest.json` of `docker save`); cosign
 * `specs/SIGNATURE_SPEC.md` (the `.sig` manifest).
 */

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** The `Accept` list for reading manifests back (every single-image and index type). */
export const MANIFEST_ACCEPT = [MEDIA.ociManifest, MEDIA.dockerManifest, MEDIA.ociIndex, MEDIA.dockerManifestList].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string; variant?: string };
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** `sha256:<hex>` of bytes. */
export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** One image inside a `docker save` archive, as paths relative to the extracted archive root. */
export interface ArchiveImage {
  configPath: string;
  layers: { path: string; mediaType?: string }[];
  /** `RepoTags` of the legacy manifest, when present (informational). */
  repoTags: string[];
}

/**
 * Reads the `manifest.json` of a `docker save` archive (both the legacy layout of dockerd ≤ 24 —
 * `<id>.json` config and `<layer>/layer.tar` — and the OCI layout of dockerd ≥ 25, which keeps a
 * compatible `manifest.json` pointing into `blobs/sha256/`). The archive must hold exactly one
 * image; throws `Error` otherwise.
 */
export function parseDockerSaveManifest(text: string): ArchiveImage {
  const entries = JSON.parse(text) as { Config?: unknown; Layers?: unknown; RepoTags?: unknown }[];
  if (!Array.isArray(entries) || entries.length !== 1) throw new Error(`docker save manifest.json must list exactly one image (found ${Array.isArray(entries) ? entries.length : 'no list'})`);
  const e = entries[0]!;
  if (typeof e.Config !== 'string' || !Array.isArray(e.Layers) || e.Layers.some((l) => typeof l !== 'string')) {
    throw new Error('docker save manifest.json entry lacks Config or Layers');
  }
  for (const p of [e.Config, ...(e.Layers as string[])]) assertInside(p);
  return {
    configPath: e.Config,
    layers: (e.Layers as string[]).map((path) => ({ path })),
    repoTags: Array.isArray(e.RepoTags) ? (e.RepoTags as string[]) : [],
  };
}

/** Paths come from an archive: refuse absolute paths and `..` so nothing outside it is read. */
function assertInside(path: string): void {
  if (path.startsWith('/') || path.split('/').includes('..')) throw new Error(`archive path escapes the archive: ${path}`);
}

/** `blobs/<alg>/<hex>` for a digest (OCI image-layout). */
export function blobPath(digest: string): string {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest);
  if (!m) throw new Error(`not a digest: ${digest}`);
  return `blobs/${m[1]}/${m[2]}`;
}

/**
 * Picks the image manifest descriptor from an OCI `index.json` (or a nested index read with
 * `readBlob`): the only manifest, else the one for `platform` (default linux/amd64). Attestation
 * manifests (`vnd.docker.reference.type`) are skipped. Throws when nothing fits.
 */
export function selectManifest(index: { manifests?: Descriptor[] }, platform = { os: 'linux', architecture: 'amd64' }): Descriptor {
  const candidates = (index.manifests ?? []).filter((d) => !d.annotations?.['vnd.docker.reference.type']);
  if (candidates.length === 1) return candidates[0]!;
  const match = candidates.find((d) => d.platform?.os === platform.os && d.platform?.architecture === platform.architecture);
  if (!match) throw new Error(`OCI index has ${candidates.length} manifests and none for ${platform.os}/${platform.architecture}`);
  return match;
}

/**
 * Reads an image from an OCI image layout (no `manifest.json`): follows `index.json` through nested
 * indexes to one image manifest. `readBlob(path)` returns a file's text from the layout.
 */
export function archiveImageFromOciLayout(indexJson: string, readBlob: (path: string) => string): ArchiveImage {
  let desc = selectManifest(JSON.parse(indexJson) as { manifests?: Descriptor[] });
  for (let depth = 0; depth < 4; depth++) {
    const doc = JSON.parse(readBlob(blobPath(desc.digest))) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
    if (doc.manifests) {
      desc = selectManifest(doc);
      continue;
    }
    if (!doc.config || !doc.layers) throw new Error(`OCI blob ${desc.digest} is neither an index nor an image manifest`);
    return {
      configPath: blobPath(doc.config.digest),
      layers: doc.layers.map((l) => ({ path: blobPath(l.digest), mediaType: l.mediaType })),
      repoTags: [],
    };
  }
  throw new Error('OCI index nesting is deeper than 4 levels');
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

/** Compression of a layer file from its first bytes (gzip `1f 8b`, zstd `28 b5 2f fd`). */
export function sniffCompression(head: Buffer): LayerCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** A layer blob ready to upload: its registry digest, size and compression. */
export interface LayerBlob {
  digest: string;
  size: number;
  compression: 'gzip' | 'zstd';
}

/**
 * Builds the image manifest bytes for a config blob and compressed layers: Docker schema 2 when
 * every layer is gzip (what `docker push` writes; every registry and daemon reads it), OCI when a
 * layer is zstd (Docker schema 2 has no zstd type). Compact JSON: the digest of these exact bytes
 * is the image digest that gets signed and pushed.
 */
export function buildImageManifest(config: { digest: string; size: number }, layers: readonly LayerBlob[]): { bytes: Buffer; mediaType: string; digest: string } {
  const oci = layers.some((l) => l.compression === 'zstd');
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: oci ? MEDIA.ociManifest : MEDIA.dockerManifest,
    config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({
      mediaType: oci ? (l.compression === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.ociLayerGzip) : MEDIA.dockerLayerGzip,
      size: l.size,
      digest: l.digest,
    })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  return { bytes, mediaType: manifest.mediaType, digest: sha256Digest(bytes) };
}

/** cosign's signature tag for a digest: `sha256:abc…` → `sha256-abc….sig`. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** One signature inside a `.sig` manifest. */
export interface SignatureLayer {
  payloadDigest: string;
  payloadSize: number;
  /** Base64 DER signature from the layer annotation. */
  signature: string;
}

/** The minimal config blob of a `.sig` manifest (what go-containerregistry writes for cosign). */
export function signatureConfig(payloadDigests: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: '',
    created: '0001-01-01T00:00:00Z',
    history: payloadDigests.map(() => ({ created: '0001-01-01T00:00:00Z' })),
    os: '',
    rootfs: { type: 'layers', diff_ids: payloadDigests },
    config: {},
  }), 'utf8');
}

/**
 * Builds cosign's `.sig` manifest (OCI image manifest, one layer per signature: the payload blob
 * with the `dev.cosignproject.cosign/signature` annotation). Returns the manifest and the config
 * blob bytes, which must be uploaded first.
 */
export function buildSignatureManifest(signatures: readonly SignatureLayer[]): { bytes: Buffer; mediaType: string; digest: string; config: Buffer } {
  const config = signatureConfig(signatures.map((s) => s.payloadDigest));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, size: config.length, digest: sha256Digest(config) },
    layers: signatures.map((s) => ({
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      size: s.payloadSize,
      digest: s.payloadDigest,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: s.signature },
    })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  return { bytes, mediaType: MEDIA.ociManifest, digest: sha256Digest(bytes), config };
}

/** Reads the signatures out of a `.sig` manifest; layers without the annotation are skipped. */
export function parseSignatureManifest(bytes: Buffer): SignatureLayer[] {
  const m = JSON.parse(bytes.toString('utf8')) as Partial<ImageManifest>;
  if (!Array.isArray(m.layers)) throw new Error('signature manifest has no layers');
  return m.layers
    .filter((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE && typeof l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === 'string')
    .map((l) => ({ payloadDigest: l.digest, payloadSize: l.size, signature: l.annotations![COSIGN_SIGNATURE_ANNOTATION]! }));
}

/**
 * The existing layer equivalent to `sig`, by cosign's duplicate rule (`sign` with its dupe detector,
 * cosign `pkg/oci/remote`): the same payload digest, and a signature that verifies with the
 * signer's key. ECDSA signs with a fresh nonce each time, so a re-run over the same payload gives
 * other signature bytes: `verifiesWithSigner(layer)` decides; by default only equal bytes count.
 */
export function findEquivalentSignature(existing: readonly SignatureLayer[], sig: SignatureLayer, verifiesWithSigner: (layer: SignatureLayer) => boolean = (l) => l.signature === sig.signature): SignatureLayer | undefined {
  return existing.find((s) => s.payloadDigest === sig.payloadDigest && (s.signature === sig.signature || verifiesWithSigner(s)));
}

/** Adds `sig` to existing signatures unless an equivalent one is there (see `findEquivalentSignature`); cosign appends otherwise. */
export function mergeSignatures(existing: readonly SignatureLayer[], sig: SignatureLayer, verifiesWithSigner?: (layer: SignatureLayer) => boolean): SignatureLayer[] {
  return findEquivalentSignature(existing, sig, verifiesWithSigner) ? [...existing] : [...existing, sig];
}
