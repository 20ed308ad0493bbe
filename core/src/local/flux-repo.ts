import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../adapters/process.ts';
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
    await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    await run('git', ['init', '--quiet', '--initial-branch=main', seed]);
    await run('git', ['-C', seed, 'add', '--all']);
    await run('git', ['-C', seed, 'commit', '--quiet', '-m', `Seed ${options.appDir} from the sample service`], { env: SEED_AUTHOR });
    await run('git', ['-C', seed, 'push', '--quiet', bare, 'main']);
    rmSync(seed, { recursive: true, force: true });
    log.info(`created the local Flux repository ${bare}`);
  }
  rmSync(checkout, { recursive: true, force: true });
  await run('git', ['clone', '--quiet', bare, checkout]);
  return { bare, checkout, appDir: options.appDir };
}
