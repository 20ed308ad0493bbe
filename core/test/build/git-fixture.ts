import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/adapters/process.ts';

/**
 * A real git repository holding a tiny service: a Dockerfile FROM the local runtime base image
 * (build arg RUNTIME_IMAGE, public default kept) and one file. Commits get fixed committer dates
 * so tests know the commit time the build must use.
 */
export async function makeServiceRepo(options: { branch?: string } = {}): Promise<{ dir: string; commit: (file: string, text: string, isoDate: string) => Promise<string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-build-repo-'));
  await run('git', ['init', '-q', '-b', options.branch ?? 'main', dir]);
  await run('git', ['-C', dir, 'config', 'user.email', 'test@trunkline.invalid']);
  await run('git', ['-C', dir, 'config', 'user.name', 'Trunkline Test']);
  writeFileSync(join(dir, 'Dockerfile'), [
    'ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot',
    'FROM ${RUNTIME_IMAGE}',
    'COPY hello.txt /srv/hello.txt',
    'CMD ["/srv/hello.txt"]',
    '',
  ].join('\n'));
  const commit = async (file: string, text: string, isoDate: string): Promise<string> => {
    writeFileSync(join(dir, file), text);
    await run('git', ['-C', dir, 'add', '-A']);
    await run('git', ['-C', dir, 'commit', '-q', '-m', `change ${file}`], { env: { GIT_COMMITTER_DATE: isoDate, GIT_AUTHOR_DATE: isoDate } });
    return (await run('git', ['-C', dir, 'rev-parse', 'HEAD'])).stdout.trim();
  };
  return { dir, commit };
}
