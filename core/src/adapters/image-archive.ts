import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { LayerBlob } from '../domain/oci-manifest.ts';
import { archiveImageFromOciLayout, buildImageManifest, parseDockerSaveManifest, sha256Digest, sniffCompression } from '../domain/oci-manifest.ts';
import type { Logger } from '../report/logger.ts';
import { docker } from './docker.ts';
import { run } from './process.ts';

/**
 * Turns a local Docker image into registry-ready blobs and the exact manifest bytes that will be
 * pushed, so the digest can be signed (and the signature verified) before anything leaves the
 * machine. Source: `docker save` (legacy layout of dockerd ≤ 24 and OCI layout of dockerd ≥ 25),
 * extracted with `tar`; uncompressed layers are gzip-compressed (deterministically: Node's zlib
 * writes no timestamp), compressed ones are kept as they are.
 */
export interface ExportedImage {
  /** The config blob (bytes exactly as in the archive: its digest is the image id). */
  config: { digest: string; size: number; bytes: Buffer };
  /** Layer blobs in manifest order, each a file on disk. */
  layers: (LayerBlob & { file: string })[];
  manifest: { bytes: Buffer; mediaType: string; digest: string };
  /** Deletes the temporary files. */
  cleanup(): void;
}

/** sha256 and size of what flows through; used while compressing so the file is read once. */
function hashing(): Transform & { digest(): string; size(): number } {
  const hash = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return Object.assign(t, { digest: () => `sha256:${hash.digest('hex')}`, size: () => size });
}

function readHead(file: string, n: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function inside(root: string, rel: string): string {
  const full = resolve(root, rel);
  if (!full.startsWith(root + sep)) throw new Error(`archive path escapes the archive: ${rel}`);
  return full;
}

/**
 * Exports `image` (an image id such as `sha256:…`, or a reference the daemon knows) into a temp
 * dir under `workDir` (default the OS temp dir). Throws `ProcessError` when docker or tar fail,
 * `Error` when the archive does not hold exactly one image.
 */
export async function exportImage(image: string, log: Logger, workDir = tmpdir()): Promise<ExportedImage> {
  mkdirSync(workDir, { recursive: true });
  const dir = mkdtempSync(join(workDir, 'trunkline-export-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const archive = join(dir, 'image.tar');
    const root = join(dir, 'archive');
    mkdirSync(root);
    await docker(['save', '--output', archive, image], { timeoutMs: 15 * 60_000 });
    await run('tar', ['-x', '-f', archive, '-C', root], { timeoutMs: 15 * 60_000 });
    rmSync(archive);
    const image0 = existsSync(join(root, 'manifest.json'))
      ? parseDockerSaveManifest(readFileSync(join(root, 'manifest.json'), 'utf8'))
      : archiveImageFromOciLayout(readFileSync(join(root, 'index.json'), 'utf8'), (p) => readFileSync(inside(root, p), 'utf8'));
    const configBytes = readFileSync(inside(root, image0.configPath));
    const config = { digest: sha256Digest(configBytes), size: configBytes.length, bytes: configBytes };
    const layers: ExportedImage['layers'] = [];
    const outDir = join(dir, 'layers');
    mkdirSync(outDir);
    for (const [i, layer] of image0.layers.entries()) {
      const file = inside(root, layer.path);
      const compression = sniffCompression(readHead(file, 4));
      if (compression === 'none') {
        const out = join(outDir, `${i}.tar.gz`);
        const h = hashing();
        await pipeline(createReadStream(file), createGzip({ level: 6 }), h, createWriteStream(out));
        layers.push({ file: out, digest: h.digest(), size: h.size(), compression: 'gzip' });
      } else {
        const hash = createHash('sha256');
        for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
        layers.push({ file, digest: `sha256:${hash.digest('hex')}`, size: statSync(file).size, compression });
      }
    }
    const manifest = buildImageManifest(config, layers);
    log.info(`exported ${image}: config ${config.digest}, ${layers.length} layer(s), ${Math.round(layers.reduce((n, l) => n + l.size, 0) / 1e5) / 10} MB compressed; manifest ${manifest.digest}`);
    return { config, layers, manifest, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}
