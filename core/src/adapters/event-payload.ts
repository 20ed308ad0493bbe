import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../domain/errors.ts';

/** GitHub caps webhook payloads at 25 MB ("Webhook events and payloads"): anything larger is not one. */
export const MAX_EVENT_PAYLOAD_BYTES = 25 * 1024 * 1024;

/**
 * Reads and parses the GitHub event payload at `path` (what `GITHUB_EVENT_PATH` names). Returns
 * `{}` when `path` is empty or, with `missingIsEmpty`, absent (a runner without a payload file).
 * Throws `InputError(inputName)` when the file cannot be read, is over `MAX_EVENT_PAYLOAD_BYTES`,
 * or is not JSON.
 */
export async function readEventPayload(path: string | undefined, inputName: string, options: { missingIsEmpty?: boolean } = {}): Promise<unknown> {
  if (!path) return {};
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    if (options.missingIsEmpty) return {};
    throw new InputError(inputName, `file ${JSON.stringify(path)} cannot be read`);
  }
  if (size > MAX_EVENT_PAYLOAD_BYTES) throw new InputError(inputName, `file ${JSON.stringify(path)} is ${size} bytes, more than the ${MAX_EVENT_PAYLOAD_BYTES} a GitHub event payload can be`);
  let text: string;
  try { text = await readFile(path, 'utf8'); } catch { throw new InputError(inputName, `file ${JSON.stringify(path)} cannot be read`); }
  try { return JSON.parse(text) as unknown; } catch { throw new InputError(inputName, `file ${JSON.stringify(path)} is not JSON`); }
}
