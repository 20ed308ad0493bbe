import type { RunOptions, RunResult } from './process.ts';
import { run } from './process.ts';

/**
 * The Docker CLI. `TRUNKLINE_DOCKER` picks the binary (default `docker` on PATH). Every docker
 * call in Trunkline goes through `docker()`, so argv is always an array and credentials go on
 * stdin (`--password-stdin`).
 */
export function dockerBinary(): string {
  return process.env.TRUNKLINE_DOCKER || 'docker';
}

/** Runs `docker <args>`; rejects with `ProcessError` on failure (see `run`). */
export function docker(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(dockerBinary(), args, options);
}

/** True when a Docker daemon answers `docker info` within 10 s. */
export async function dockerDaemonReady(): Promise<boolean> {
  try {
    await docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}
