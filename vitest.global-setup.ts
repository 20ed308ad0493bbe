// Once per `vitest run`, before any test file: a Docker daemon (started when we are root and none
// answers) and the local Node 24 base images. Doing it here, not in each file, keeps parallel test
// files from racing to start two daemons, and makes the container tests run rather than skip on a
// fresh CI machine where nothing started dockerd yet.
import { ensureBaseImages } from './core/src/local/base-images.ts';
import { ensureDockerd } from './core/src/local/dockerd.ts';
import { createConsoleLogger } from './core/src/report/logger.ts';

export default async function setup(): Promise<void> {
  const log = createConsoleLogger({ prefix: 'test-setup' });
  try {
    await ensureDockerd(log);
  } catch (error) {
    log.warning(`${(error as Error).message} — tests that need Docker will fail`);
    return;
  }
  await ensureBaseImages(log);
}
