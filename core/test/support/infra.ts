import { ensureBaseImages } from '../../src/local/base-images.ts';
import { ensureDockerd } from '../../src/local/dockerd.ts';
import { createConsoleLogger } from '../../src/report/logger.ts';

export { startRegistry } from '../../src/local/registry.ts';
export type { LocalRegistry } from '../../src/local/registry.ts';

/**
 * For tests that use Docker: a daemon that answers (started when we are root) and the local
 * Node 24 base images. Returns the base image names for `--build-arg`.
 */
export async function prepareDocker(): Promise<{ runtime: string; builder: string }> {
  const log = createConsoleLogger({ prefix: 'test-infra' });
  await ensureDockerd(log);
  return ensureBaseImages(log);
}
