import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { dockerDaemonReady } from '../adapters/docker.ts';
import { isAvailable, startBackground } from '../adapters/process.ts';
import type { Logger } from '../report/logger.ts';

/**
 * Makes sure a Docker daemon answers. When none does and we are root with `dockerd` installed
 * (Debian `docker.io`), starts one in the background, logging to `logFile`, and waits up to
 * `timeoutMs` (default 60 s) for `docker info`. Idempotent: a running daemon is reused.
 * Throws with an install hint when Docker is missing or we may not start it.
 */
export async function ensureDockerd(log: Logger, options: { logFile?: string; timeoutMs?: number } = {}): Promise<'reused' | 'started'> {
  if (await dockerDaemonReady()) return 'reused';
  if (!(await isAvailable('dockerd', ['--version']))) {
    throw new Error('No Docker daemon answers and dockerd is not installed: run `apt-get install -y docker.io` (Debian) or start Docker.');
  }
  if (process.getuid?.() !== 0) {
    throw new Error('No Docker daemon answers; start it (e.g. `sudo dockerd &`): Trunkline only starts dockerd itself when running as root.');
  }
  const logFile = options.logFile ?? '/var/log/trunkline-dockerd.log';
  mkdirSync(dirname(logFile), { recursive: true });
  log.info(`starting dockerd (log: ${logFile})`);
  await startBackground('dockerd', [], { logFile, detached: true });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (await dockerDaemonReady()) return 'started';
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`dockerd did not answer within ${(options.timeoutMs ?? 60_000) / 1000} s; see ${logFile}`);
}
