import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Real git for the bump tests: a bare "remote" that refuses non-fast-forward updates and keeps a
 * reflog of every ref update, seeded with `files` on `main`, and clones of it.
 */
export interface TestRepo {
  dir: string;
  bare: string;
  /** A fresh clone of the bare repository (checked out on main). */
  clone(name: string): string;
  /** `git <args>` in `cwd`, stdout trimmed. */
  git(cwd: string, ...args: string[]): string;
  cleanup(): void;
}

const IDENTITY = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false'];

export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...IDENTITY, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
}

export function createTestRepo(files: Record<string, string | Buffer>, options: { preReceiveSleepSeconds?: number } = {}): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-bump-'));
  const bare = join(dir, 'gitops.git');
  gitIn(dir, 'init', '--quiet', '--bare', '-b', 'main', bare);
  gitIn(bare, 'config', 'receive.denyNonFastForwards', 'true');
  gitIn(bare, 'config', 'receive.denyDeletes', 'true');
  gitIn(bare, 'config', 'core.logAllRefUpdates', 'always');
  const seed = join(dir, 'seed');
  gitIn(dir, 'clone', '--quiet', bare, seed);
  writeFiles(seed, files);
  gitIn(seed, 'add', '-A');
  gitIn(seed, 'commit', '--quiet', '-m', 'seed');
  gitIn(seed, 'push', '--quiet', 'origin', 'main');
  if (options.preReceiveSleepSeconds) {
    // Holds every push inside receive-pack so that concurrent pushes overlap for real.
    const hook = join(bare, 'hooks', 'pre-receive');
    writeFileSync(hook, `#!/bin/sh\ncat >/dev/null\nsleep ${options.preReceiveSleepSeconds}\n`);
    chmodSync(hook, 0o755);
  }
  return {
    dir,
    bare,
    clone(name) {
      const path = join(dir, name);
      gitIn(dir, 'clone', '--quiet', bare, path);
      return path;
    },
    git: (cwd, ...args) => gitIn(cwd, ...args),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Every update of `refs/heads/<branch>` the bare repository recorded (its reflog file), as
 * [old, new] SHA pairs in order; a creation has the all-zero id as old.
 */
export function refUpdates(bare: string, branch: string): Array<[string, string]> {
  const text = readFileSync(join(bare, 'logs', 'refs', 'heads', ...branch.split('/')), 'utf8');
  return text.split('\n').filter(Boolean).map((line) => {
    const [oldSha, newSha] = line.split(' ');
    return [oldSha!, newSha!];
  });
}
