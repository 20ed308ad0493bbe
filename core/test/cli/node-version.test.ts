// `trunkline` on a Node older than 24 must stop with a message naming the version it needs,
// not with a loader error. Runs the real entry point with this machine's Debian Node (v20).
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/paths.ts';

const OLD_NODE = '/usr/bin/node';
const entry = join(repoRoot, 'core/bin/trunkline.js');

describe('trunkline on an older Node', () => {
  it('exits 1 naming Node 24 and how to get it', () => {
    const version = execFileSync(OLD_NODE, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    // The premise of this test: the machine's Debian Node is older than 24 (Debian's nodejs package).
    expect(Number(version.slice(1).split('.')[0])).toBeLessThan(24);
    const r = spawnSync(OLD_NODE, [entry, 'tags'], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`trunkline needs Node 24 or newer; this is Node ${version}`);
    expect(r.stderr).toContain('npm ci');
    expect(r.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
  });

  it('runs the command on this Node 24', () => {
    const r = spawnSync(process.execPath, [entry, 'help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).not.toContain('trunkline needs Node');
    expect(r.stdout).toContain('Usage: trunkline <command>');
    expect(r.status).toBe(0);
  });
});
