/**
 * Test HTTP client on `node:http` (not fetch): tests need HEAD, raw headers, slow uploads and
 * aborting a request mid-flight, and every call pins 127.0.0.1 (never `localhost`, which may be ::1).
 */
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body in this many pieces spread over `trickleMs` (a slow client, keeping the request in flight). */
  trickle?: { pieces: number; trickleMs: number };
  /** Fresh connection per request unless set (keep-alive agent). */
  agent?: import('node:http').Agent;
}

/** Reads a whole response into a Reply. */
function readReply(res: IncomingMessage, resolve: (reply: Reply) => void, reject: (error: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = undefined; }
    resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
  });
  res.on('error', reject);
}

/** One request to `http://127.0.0.1:<port><path>`; resolves with the whole reply, rejects on socket errors. */
export function request(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string | number> = { ...options.headers };
    if (body) headers['content-length'] = body.length;
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: options.agent ?? false }, (res) => readReply(res, resolve, reject));
    req.on('error', reject);
    if (!body) return void req.end();
    if (!options.trickle) return void req.end(body);
    const { pieces, trickleMs } = options.trickle;
    const size = Math.ceil(body.length / pieces);
    let i = 0;
    const next = (): void => {
      const chunk = body.subarray(i * size, (i + 1) * size);
      i++;
      if (i >= pieces) return void req.end(chunk);
      req.write(chunk);
      setTimeout(next, trickleMs / pieces);
    };
    next();
  });
}

/**
 * Starts a request that stays in flight (body trickled over `ms`) and can be aborted: the client
 * destroys its socket, as a browser tab closing mid-request does.
 */
export function inFlightRequest(port: number, path: string, ms: number, body: string): { abort(): void; done: Promise<Reply> } {
  let abort: () => void = () => undefined;
  const done = new Promise<Reply>((resolve, reject) => {
    const payload = Buffer.from(body);
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': payload.length } }, (res) => readReply(res, resolve, reject));
    req.on('error', reject);
    req.write(payload.subarray(0, 1));
    const timer = setTimeout(() => req.end(payload.subarray(1)), ms);
    abort = () => { clearTimeout(timer); req.destroy(); };
  });
  return { abort: () => abort(), done };
}

/** Polls `GET path` until it answers `status` or `timeoutMs` passes; returns the elapsed ms. */
export async function waitForStatus(port: number, path: string, status: number, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    try {
      if ((await request(port, path)).status === status) return performance.now() - start;
    } catch { /* not listening yet */ }
    if (performance.now() - start > timeoutMs) throw new Error(`GET ${path} did not answer ${status} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
