import { randomUUID } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `content` to `path` atomically: a uniquely named temp file beside it (created with
 * `wx`, so it never reuses another writer's file), then `rename` over the target, which POSIX
 * makes atomic within a directory. Readers see the old file or the new one, never half of one;
 * on failure the temp file is removed and the target is untouched. Creates the directory.
 * `mode` applies from creation (0600 for keys: never readable by others, even briefly).
 */
export async function writeFileAtomic(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.trunkline-${randomUUID()}.tmp`);
  try {
    await writeFile(tmp, content, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}
