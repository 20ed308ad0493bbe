import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** The repository root (tests run from any cwd). */
export const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/**
 * Real recorded data lives in `shared/` beside the clone (CI clones next to it);
 * `TRUNKLINE_SHARED` overrides the location.
 */
export const sharedDir = process.env.TRUNKLINE_SHARED ?? resolve(repoRoot, '..', 'shared');
export const trivyFixtures = resolve(sharedDir, 'fixtures', 'trivy');
export const gitopsFixtures = resolve(sharedDir, 'fixtures', 'gitops', 'real');
