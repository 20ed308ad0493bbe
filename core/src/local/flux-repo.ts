import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../adapters/git.ts';
import type { Logger } from '../report/logger.ts';

/** Identity for commits the local pipeline makes itself (the seed commit). */
const SEED_AUTHOR = { GIT_AUTHOR_NAME: 'Trunkline local', GIT_AUTHOR_EMAIL: 'trunkline@localhost', GIT_COMMITTER_NAME: 'Trunkline local', GIT_COMMITTER_EMAIL: 'trunkline@localhost' };

export interface LocalFluxRepo {
  /** The bare repository standing in for the team's Flux repo (`file://` remote). */
  bare: string;
  /** A fresh clone of its default branch, where the bump stage edits, commits and pushes. */
  checkout: string;
  /** Where the seeded files live inside the repository, e.g. `apps/sample-service`. */
  appDir: string;
}

/**
 * Creates (once) a bare git repository whose `main` holds `seedDir` under `appDir`, then makes a
 * fresh clone of it for this run. Idempotent: an existing bare repository is reused with all the
 * branches earlier runs pushed; only the clone is replaced.
 */
export async function ensureFluxRepo(options: { root: string; seedDir: string; appDir: string }, log: Logger): Promise<LocalFluxRepo> {
  const bare = join(options.root, 'flux.git');
  const checkout = join(options.root, 'flux-checkout');
  if (!existsSync(join(bare, 'HEAD'))) {
    const seed = join(options.root, 'flux-seed');
    rmSync(seed, { recursive: true, force: true });
    mkdirSync(join(seed, options.appDir), { recursive: true });
    cpSync(options.seedDir, join(seed, options.appDir), { recursive: true });
    // Seeded under a temporary name and renamed: an interrupted run never leaves a bare
    // repository without `main` for the next run to reuse.
    const staging = `${bare}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    await git(['init', '--quiet', '--bare', '--initial-branch=main', staging], { cwd: options.root });
    await git(['init', '--quiet', '--initial-branch=main', seed], { cwd: options.root });
    await git(['add', '--all'], { cwd: seed });
    await git(['commit', '--quiet', '-m', `Seed ${options.appDir} from the sample service`], { cwd: seed, env: SEED_AUTHOR });
    await git(['push', '--quiet', staging, 'main'], { cwd: seed });
    renameSync(staging, bare);
    rmSync(seed, { recursive: true, force: true });
    log.info(`created the local Flux repository ${bare}`);
  }
  rmSync(checkout, { recursive: true, force: true });
  await git(['clone', '--quiet', bare, checkout], { cwd: options.root });
  return { bare, checkout, appDir: options.appDir };
}
