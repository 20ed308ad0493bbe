/**
 * The admin flag API: `GET|POST /admin/flags`, `POST /admin/flags/reset` (README.md, "HTTP endpoints").
 *
 * Registered only when `ADMIN_FLAGS_ENABLED=true` (a development aid; the chart keeps it off).
 * With `ADMIN_TOKEN` set every admin request needs `Authorization: Bearer <token>` (compared in
 * constant time). Checks run in this order: 401 auth, 405 method, 409 flagd owns the flags,
 * 415 content type, 413 body over 16 KiB, 400 invalid body.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FlagService } from '../flags/flag-service.ts';
import { parseFlagPatch } from '../flags/flags.ts';
import type { FlagSnapshot } from '../flags/flags.ts';
import type { Exchange } from './respond.ts';
import { NO_STORE, sendError, sendJson } from './respond.ts';
import { ALLOWED_METHODS } from './routes.ts';

export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

/** What the admin API needs from the flag layer. */
export type AdminFlags = Pick<FlagService, 'providerName' | 'snapshot' | 'update' | 'reset'>;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** True when no token is configured, or the request carries exactly `Bearer <token>`. */
export function authorized(header: string | undefined, tokenDigest: Buffer | undefined): boolean {
  if (!tokenDigest) return true;
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(header ?? '');
  // Hashing both sides first gives equal lengths, as timingSafeEqual requires, without leaking the length.
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), tokenDigest);
}

type BodyResult = { body: string } | { tooLarge: true } | { aborted: true };

/** Reads the request body up to `limit` bytes (413 beyond it, checked by header first, then while reading). */
function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve({ tooLarge: true });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult): void => { if (!settled) { settled = true; resolve(result); } };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        settle({ tooLarge: true });
        req.removeAllListeners('data');
        req.resume();
      } else chunks.push(chunk);
    });
    req.once('end', () => settle({ body: Buffer.concat(chunks).toString('utf8') }));
    req.once('error', () => settle({ aborted: true }));
    req.once('close', () => settle({ aborted: true }));
  });
}

function state(providerName: string, snapshot: FlagSnapshot): unknown {
  return { provider: providerName, flags: { ...snapshot.values } };
}

/** Creates the admin route handler; `token` is `ADMIN_TOKEN` (undefined: no auth). */
export function createAdminHandler(flags: AdminFlags, token: string | undefined) {
  const tokenDigest = token === undefined ? undefined : digest(token);

  return async function handleAdmin(path: '/admin/flags' | '/admin/flags/reset', req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void> {
    if (!authorized(req.headers.authorization, tokenDigest)) {
      return sendError(res, ex, 401, 'unauthorized', 'missing or wrong Authorization: Bearer token', ['WWW-Authenticate', 'Bearer']);
    }
    const allowed = ALLOWED_METHODS[path];
    if (!allowed.includes(req.method ?? '')) {
      return sendError(res, ex, 405, 'method_not_allowed', `${path} allows ${allowed.join(', ')}`, ['Allow', allowed.join(', ')]);
    }
    if (req.method !== 'POST') return sendJson(res, ex, 200, state(flags.providerName, flags.snapshot), NO_STORE);
    // Checked before the body is read (409 precedes 415/413/400); update and reset below are
    // therefore never on flagd and never throw FlagsManagedByFlagdError.
    if (flags.providerName === 'flagd') {
      return sendError(res, ex, 409, 'flags_managed_by_flagd', 'flags come from flagd; change the flag source instead');
    }
    if (path === '/admin/flags/reset') return sendJson(res, ex, 200, state(flags.providerName, await flags.reset()), NO_STORE);
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return sendError(res, ex, 415, 'unsupported_media_type', 'Content-Type must be application/json');
    }
    const read = await readBody(req, MAX_ADMIN_BODY_BYTES);
    if ('aborted' in read) return;
    if ('tooLarge' in read) {
      ex.closing = true; // the rest of the body is not read: the connection cannot be reused
      return sendError(res, ex, 413, 'payload_too_large', `body must be at most ${MAX_ADMIN_BODY_BYTES} bytes`);
    }
    const parsed = parseFlagPatch(read.body);
    if ('error' in parsed) return sendError(res, ex, parsed.error.status, parsed.error.error, parsed.error.message);
    return sendJson(res, ex, 200, state(flags.providerName, await flags.update(parsed.patch)), NO_STORE);
  };
}
