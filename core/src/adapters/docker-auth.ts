import type { Logger } from '../report/logger.ts';
import { docker } from './docker.ts';
import type { RegistryCredentials } from './registry.ts';

/**
 * `docker login` / `docker logout` for later steps of the job (pulls, `docker run`) — Trunkline's
 * own push talks to the registry API directly. The password goes on stdin (`--password-stdin`),
 * never on argv, where `ps` on a shared runner would show it (aws-actions/amazon-ecr-login used
 * `-p` until its PR #1252); it is masked before the call so no log line can carry it.
 */
export async function dockerLogin(host: string, credentials: RegistryCredentials, log: Logger): Promise<void> {
  log.secret(credentials.password);
  await docker(['login', '--username', credentials.username, '--password-stdin', host], {
    input: `${credentials.password}\n`,
    secrets: [credentials.password],
    timeoutMs: 60_000,
  });
  log.info(`docker logged in to ${host} as ${credentials.username}`);
}

/** `docker logout <host>`; a failure is reported as a warning (the job is over; nothing to undo). */
export async function dockerLogout(host: string, log: Logger): Promise<void> {
  try {
    const r = await docker(['logout', host], { allowFailure: true, timeoutMs: 30_000 });
    if (r.code === 0) log.info(`docker logged out of ${host}`);
    else log.warning(`docker logout ${host} failed: ${r.stderr.trim() || `exit code ${r.code}`}`);
  } catch (error) {
    log.warning(`docker logout ${host} failed: ${(error as Error).message}`);
  }
}
