import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { external } from '../report/external-time.ts';
import { redactUrl } from '../domain/url-credentials.ts';

/**
 * Bounded-time HTTP GETs for readiness polling, probes and scrapes. Uses `node:http` rather than
 * `fetch` so that proxy variables on a runner can never route loopback traffic through a proxy
 * (docs/verify-metrics.md, "HTTP client"), and every request has one hard deadline covering connect, headers and body.
 */

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Wall time of the whole request in milliseconds. */
  durationMs: number;
}

/** A request that got no complete response: `code` is the errno (`ECONNREFUSED`, ...) or `ETIMEDOUT`/`EBODYTOOLARGE`. */
export class HttpProbeError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HttpProbeError';
    this.code = code;
  }
}

export interface HttpGetOptions {
  /** Hard deadline for the whole request, in milliseconds. */
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Abort with `EBODYTOOLARGE` past this many body bytes (default 64 MiB). */
  maxBytes?: number;
}

/**
 * `GET url` with a fresh connection (no keep-alive agent, so nothing lingers after the check).
 * Resolves with status, headers and the raw body for any HTTP status; rejects with
 * `HttpProbeError` when there is no complete response within `timeoutMs`; its message names the
 * URL without credentials.
 */
export function httpGet(url: string | URL, options: HttpGetOptions): Promise<HttpResponse> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const start = performance.now();
  // Credentials in the URL go out as Basic auth, never into a message.
  const shown = redactUrl(target.href);
  return external(() => new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = request(target, { method: 'GET', headers: { Connection: 'close', ...options.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          finish(() => reject(new HttpProbeError('EBODYTOOLARGE', `GET ${shown}: body larger than ${maxBytes} bytes`)));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish(() => resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: Buffer.concat(chunks),
        durationMs: Math.round(performance.now() - start),
      })));
      res.on('error', (e: NodeJS.ErrnoException) => finish(() => reject(new HttpProbeError(e.code ?? 'ERESPONSE', `GET ${shown}: ${e.message}`))));
    });
    const timer = setTimeout(() => {
      finish(() => reject(new HttpProbeError('ETIMEDOUT', `GET ${shown}: no complete response within ${options.timeoutMs} ms`)));
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish(() => reject(new HttpProbeError(e.code ?? 'EREQUEST', `GET ${shown}: ${e.message}`))));
    req.end();
  }));
}
