// A stand-in for the `trivy` executable, for the paths that need one: Trivy cannot run on this
// machine (its vulnerability DB comes from a public registry). It records its argv and environment,
// can answer like a rate-limited DB registry for its first N runs, and then writes a REAL recorded
// Trivy report (from core/test/fixtures/trivy) to --output. Tests using it say "(fake trivy executable)".
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The stderr line a rate-limited DB download ends with (shape of Trivy's error chain; composed, not recorded). */
export const RATE_LIMIT_STDERR = 'FATAL Fatal error run error: init error: DB error: failed to download vulnerability DB: '
  + 'failed to download artifact from mirror.gcr.io/aquasec/trivy-db:2: GET https://mirror.gcr.io/v2/aquasec/trivy-db/manifests/2: '
  + 'TOOMANYREQUESTS: Quota exceeded for quota metric';

export const FAKE_TRIVY_SCRIPT = `#!/bin/sh
# Fake trivy (tests only). Env: FAKE_TRIVY_DIR (state), FAKE_TRIVY_REPORT (report to emit),
# FAKE_TRIVY_RATE_LIMITED_RUNS (how many scans answer TOOMANYREQUESTS first),
# FAKE_TRIVY_NO_REPORT=1 (exit 0 without writing the report, as the audit saw Trivy do).
if [ "$1" = "--version" ]; then echo "Version: \${FAKE_TRIVY_VERSION:-0.74.0}"; exit 0; fi
state="\${FAKE_TRIVY_DIR:?}"
n=$(cat "$state/count" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$state/count"
printf '%s\\n' "$@" > "$state/args.$n"
env > "$state/env.$n"
if [ "$n" -le "\${FAKE_TRIVY_RATE_LIMITED_RUNS:-0}" ]; then
  echo "${RATE_LIMIT_STDERR}" >&2
  exit 1
fi
if [ "\${FAKE_TRIVY_NO_REPORT:-}" = "1" ]; then exit 0; fi
out=""
while [ $# -gt 0 ]; do
  case "$1" in --output) out="$2"; shift ;; esac
  shift
done
cp "\${FAKE_TRIVY_REPORT:?}" "$out"
`;

/** Writes the fake `trivy` into `dir` (mode 755) and returns its path. */
export function writeFakeTrivy(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'trivy');
  writeFileSync(path, FAKE_TRIVY_SCRIPT);
  chmodSync(path, 0o755);
  return path;
}

/** What the fake recorded for its n-th run (1-based): argv lines and environment. */
export function fakeTrivyRun(stateDir: string, n: number): { args: string[]; env: Record<string, string> } {
  const args = readFileSync(join(stateDir, `args.${n}`), 'utf8').split('\n').slice(0, -1);
  const env = Object.fromEntries(readFileSync(join(stateDir, `env.${n}`), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { args, env };
}

/** How many scans the fake ran (0 when never called). */
export function fakeTrivyRuns(stateDir: string): number {
  try {
    return Number(readFileSync(join(stateDir, 'count'), 'utf8').trim());
  } catch {
    return 0;
  }
}
