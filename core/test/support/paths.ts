import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** The repository root (tests run from any cwd). */
export const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/** Recorded upstream files the tests read; each folder's SOURCES.md names origin, commit and licence. */
export const fixturesDir = resolve(repoRoot, 'core', 'test', 'fixtures');
export const trivyFixtures = resolve(fixturesDir, 'trivy');
export const gitopsFixtures = resolve(fixturesDir, 'gitops', 'real');
