// The export cache: a re-run of an unchanged image must give the same signed manifest without
// `docker save`, and only trust cache entries that hash to the image id and the manifest digest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportImageCached } from '../../src/adapters/image-archive.ts';
import { ensureDockerd } from '../../src/local/dockerd.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { makeImage, removeTestImages } from './helpers.ts';
import { scratchDirs } from '../support/scratch.ts';

const tempDir = scratchDirs();
let work: string;
let image: string;

beforeAll(async () => {
  await ensureDockerd(createMemoryLogger());
  work = tempDir('export-cache-');
  image = makeImage(`export cache ${Date.now()}`);
});
afterAll(removeTestImages);

/** A `docker` that answers `image inspect` for real but fails on `save`: proves no export ran. */
function dockerWithoutSave(): string {
  const script = join(work, 'docker-no-save');
  writeFileSync(script, '#!/bin/sh\n[ "$1" = save ] && { echo "save must not run" >&2; exit 7; }\nexec docker "$@"\n');
  chmodSync(script, 0o755);
  return script;
}

describe('exportImageCached', () => {
  it('serves the same manifest from the cache without docker save, and materializes on demand', async () => {
    const cacheDir = join(work, 'cache-a');
    const first = await exportImageCached(image, createMemoryLogger(), work, cacheDir);
    first.cleanup();
    expect(readdirSync(cacheDir)).toEqual([`${image.slice(7)}.json`]);

    process.env.TRUNKLINE_DOCKER = dockerWithoutSave();
    let second;
    try {
      const log = createMemoryLogger();
      second = await exportImageCached(image, log, work, cacheDir);
      expect(log.lines.join('\n')).toContain('export cache');
      expect(second.manifest.digest).toBe(first.manifest.digest);
      expect(second.manifest.bytes.equals(first.manifest.bytes)).toBe(true);
      expect(second.layers.every((l) => l.file === '')).toBe(true);
      await expect(second.materialize()).rejects.toThrow(/exited with code 7/);
    } finally {
      delete process.env.TRUNKLINE_DOCKER;
    }
    await second.materialize();
    expect(second.layers.map((l) => l.digest)).toEqual(first.layers.map((l) => l.digest));
    expect(second.layers.every((l) => l.file !== '')).toBe(true);
    second.cleanup();
  });

  it('ignores a cache entry whose config does not hash to the image id', async () => {
    const cacheDir = join(work, 'cache-b');
    const first = await exportImageCached(image, createMemoryLogger(), work, cacheDir);
    first.cleanup();
    const file = join(cacheDir, `${image.slice(7)}.json`);
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { config: string };
    const config = JSON.parse(Buffer.from(entry.config, 'base64').toString()) as Record<string, unknown>;
    config.author = 'tampered';
    entry.config = Buffer.from(JSON.stringify(config)).toString('base64');
    writeFileSync(file, JSON.stringify(entry));
    const log = createMemoryLogger();
    const again = await exportImageCached(image, log, work, cacheDir);
    expect(log.lines.join('\n')).not.toContain('export cache');
    expect(again.config.digest).toBe(image);
    expect(again.layers.every((l) => l.file !== '')).toBe(true);
    again.cleanup();
  });
});
