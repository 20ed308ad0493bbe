import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Label on every image these tests create, so cleanup removes only ours. */
export const TEST_LABEL = 'org.trunkline.test=sign';

/**
 * Makes a tiny local image with `docker import` from a tar built here (one file whose content is
 * `content`), so each distinct content gives a distinct image and digest. Returns the image id.
 */
export function makeImage(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sign-img-'));
  try {
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'release'), content);
    const tar = execFileSync('tar', ['--numeric-owner', '--mtime=2024-01-01', '-C', dir, '-c', '.']);
    return execFileSync('docker', ['import', '--change', `LABEL ${TEST_LABEL}`, '-'], { input: tar }).toString().trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes every image carrying the test label (and anything tagged from it). */
export function removeTestImages(): void {
  const ids = execFileSync('docker', ['images', '--quiet', '--filter', `label=${TEST_LABEL}`]).toString().split('\n').filter(Boolean);
  if (ids.length) execFileSync('docker', ['rmi', '--force', ...new Set(ids)], { stdio: 'ignore' });
}

