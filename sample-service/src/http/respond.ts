/**
 * Response helpers shared by every route (README.md, "HTTP endpoints"): fixed security
 * headers, JSON error bodies `{"error":"<code>","message":"<text>"}`, and `Connection: close` while
 * the server drains. Headers go to `writeHead` as one flat array, Node's fastest path.
 */
import type { ServerResponse } from 'node:http';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';
/** Extra header pair for answers a cache must not keep (readiness, metrics, admin state). */
export const NO_STORE = ['Cache-Control', 'no-store'] as const;

/** Per-response facts the access log and the drain logic need. */
export interface Exchange {
  /** Echoed as `X-Request-Id`. */
  requestId: string;
  /** This response must close its connection (e.g. an unread request body). */
  closing: boolean;
  /** Shared drain state: once shutdown began, every response closes its connection. */
  readonly drain: { readonly shuttingDown: boolean };
  /** Body bytes sent (for the access log). */
  bytes: number;
}

/**
 * Sends a complete response. `extra` is a flat `[name, value, …]` header list. Writing to a socket
 * the client already closed is skipped (the request is then counted as 499).
 * @returns false when nothing was written (connection gone, or a response already started).
 */
export function send(res: ServerResponse, ex: Exchange, status: number, contentType: string, body: Buffer | string, extra?: readonly string[]): boolean {
  if (res.destroyed || res.headersSent) return false;
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const headers: Array<string | number> = [
    'Content-Type', contentType,
    'Content-Length', length,
    'X-Content-Type-Options', 'nosniff',
    'X-Request-Id', ex.requestId,
  ];
  if (extra) headers.push(...extra);
  if (ex.closing || ex.drain.shuttingDown) headers.push('Connection', 'close');
  ex.bytes = length;
  res.writeHead(status, headers as string[]);
  res.end(body);
  return true;
}

/** Sends `value` as JSON. */
export function sendJson(res: ServerResponse, ex: Exchange, status: number, value: unknown, extra?: readonly string[]): void {
  send(res, ex, status, JSON_TYPE, JSON.stringify(value), extra);
}

/** Sends the error body `{"error":code,"message":message}`. */
export function sendError(res: ServerResponse, ex: Exchange, status: number, code: string, message: string, extra?: readonly string[]): void {
  sendJson(res, ex, status, { error: code, message }, extra);
}
