import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedServices } from '../../src/domain/changed-services.ts';
import { changedFilesSince } from '../../src/adapters/git.ts';
import { InputError } from '../../src/domain/errors.ts';
import { gitIn, writeFiles } from '../bump/git-repo.ts';
import { scratchDirs } from '../support/scratch.ts';

const tempDir = scratchDirs();

const SERVICES = [
  { name: 'api', paths: ['services/api/**', 'libs/shared/**'] },
  { name: 'static', paths: ['services/static/**'] },
  { name: 'web', paths: ['services/web/**', '!services/web/**/*.md'] },
];

describe('changedServices', () => {
  it.each([
    ['one service', ['services/static/index.html'], ['static']],
    ['a shared library delivers the service that lists it', ['libs/shared/a.ts'], ['api']],
    ['dot-files count', ['services/web/.npmrc'], ['web']],
    ['a negated glob excludes', ['services/web/README.md'], []],
    ['nothing of any service', ['docs/x.md', 'services/apiary/a'], []],
    ['two services, in config order', ['services/web/a', 'services/api/b'], ['api', 'web']],
    ['the config file delivers all', ['trunkline.yaml'], ['api', 'static', 'web']],
  ])('%s', (_name, files, expected) => {
    expect(changedServices(files, SERVICES).map((s) => s.name)).toEqual(expected);
  });

  it('says why', () => {
    expect(changedServices(['services/api/x.ts'], SERVICES)).toEqual([{ name: 'api', reason: 'services/api/x.ts changed' }]);
  });
});

describe('changedFilesSince (real git)', () => {
  function repo(): string {
    const dir = tempDir('tl-changed-');
    gitIn(dir, 'init', '--quiet', '-b', 'main');
    writeFiles(dir, { 'mono/services/api/a.ts': '1', 'mono/services/web/b.ts': '1', 'other/c': '1' });
    gitIn(dir, 'add', '.');
    gitIn(dir, 'commit', '--quiet', '-m', 'base');
    return dir;
  }

  it('lists the files changed since the merge base, relative to the config directory and limited to it', async () => {
    const dir = repo();
    gitIn(dir, 'checkout', '--quiet', '-b', 'feature');
    writeFiles(dir, { 'mono/services/api/a.ts': '2', 'other/c': '2' });
    gitIn(dir, 'commit', '--quiet', '-am', 'feature');
    // main moves on after the fork: with merge-base semantics its change is not the feature's.
    gitIn(dir, 'checkout', '--quiet', 'main');
    writeFiles(dir, { 'mono/services/web/b.ts': '2' });
    gitIn(dir, 'commit', '--quiet', '-am', 'main moves');
    gitIn(dir, 'checkout', '--quiet', 'feature');
    const files = await changedFilesSince('main', join(dir, 'mono'));
    expect(files).toEqual(['services/api/a.ts']);
    expect(changedServices(files, SERVICES).map((s) => s.name)).toEqual(['api']);
  });

  it('HEAD~1 after a commit touching one service', async () => {
    const dir = repo();
    mkdirSync(join(dir, 'mono/services/web/new dir'), { recursive: true });
    writeFileSync(join(dir, 'mono/services/web/new dir/x y.txt'), 'x');
    gitIn(dir, 'add', '.');
    gitIn(dir, 'commit', '--quiet', '-m', 'web');
    expect(await changedFilesSince('HEAD~1', join(dir, 'mono'))).toEqual(['services/web/new dir/x y.txt']);
  });

  it.each([['--output=/tmp/x'], ['no-such-ref'], ['a b']])('refuses %s naming changed-since', async (ref) => {
    const dir = repo();
    await expect(changedFilesSince(ref, dir)).rejects.toBeInstanceOf(InputError);
    await expect(changedFilesSince(ref, dir)).rejects.toThrow(/Input "changed-since" must/);
  });
});
