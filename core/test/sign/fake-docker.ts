import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A `docker` stand-in for TRUNKLINE_DOCKER that records every argv (and the stdin of `login`) and
 * hands `save`/`images`/`rmi` to the real docker, so tests can prove no credential is ever on a
 * command line while the rest of the flow stays real.
 */
export interface FakeDocker {
  path: string;
  /** Each recorded call: argv without the program name, and stdin for `login`. */
  calls(): { argv: string[]; stdin?: string }[];
}

export function createFakeDocker(): FakeDocker {
  const dir = mkdtempSync(join(tmpdir(), 'fake-docker-'));
  const real = execFileSync('sh', ['-c', 'command -v docker']).toString().trim();
  const log = join(dir, 'calls.log');
  const script = join(dir, 'docker');
  writeFileSync(script, `#!/bin/sh
# Records argv one per line between ARGV/END markers.
{ echo ARGV; for a in "$@"; do printf '%s\\n' "$a"; done; } >> '${log}'
case "$1" in
  login) { echo STDIN; cat; echo; } >> '${log}'; echo 'Login Succeeded' ;;
  logout) echo "Removing login credentials for $2" ;;
  *) echo END >> '${log}'; exec '${real}' "$@" ;;
esac
echo END >> '${log}'
`);
  chmodSync(script, 0o755);
  return {
    path: script,
    calls() {
      if (!existsSync(log)) return [];
      const out: { argv: string[]; stdin?: string }[] = [];
      let current: { argv: string[]; stdin?: string } | undefined;
      let mode: 'argv' | 'stdin' = 'argv';
      for (const line of readFileSync(log, 'utf8').split('\n')) {
        if (line === 'ARGV') { current = { argv: [] }; mode = 'argv'; continue; }
        if (line === 'STDIN' && current) { mode = 'stdin'; current.stdin = ''; continue; }
        if (line === 'END' && current) { if (current.stdin !== undefined) current.stdin = current.stdin.replace(/\n+$/, ''); out.push(current); current = undefined; continue; }
        if (!current) continue;
        if (mode === 'argv') current.argv.push(line);
        else current.stdin += `${line}\n`;
      }
      return out;
    },
  };
}
