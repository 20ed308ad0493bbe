import { redactUrl } from './url-credentials.ts';

/** How much of a response body a failure message quotes: enough for an error page or a stack trace. */
export const EXCERPT_BYTES = 2048;

/**
 * The start of a response body for a failure message: up to `maxBytes` bytes as UTF-8 (a cut
 * character becomes U+FFFD), then `… (N bytes in all)` when there was more; `(empty body)` for none.
 */
export function bodyExcerpt(body: Buffer, maxBytes = EXCERPT_BYTES): string {
  if (body.length === 0) return '(empty body)';
  const text = body.subarray(0, maxBytes).toString('utf8').trimEnd();
  return body.length > maxBytes ? `${text}\n… (${body.length} bytes in all)` : text;
}

/**
 * What a failed request returned, for a message: `GET <url without credentials> returned
 * <status><hint>` and, on the following lines, the body excerpt.
 */
export function describeResponse(url: string, status: number, body: Buffer, hint = ''): string {
  return `GET ${redactUrl(url)} returned ${status}${hint}\n${bodyExcerpt(body)}`;
}
