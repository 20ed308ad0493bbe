import type { Logger } from '../report/logger.ts';

/**
 * Bounded retries with exponential backoff and full jitter (AWS Architecture Blog, "Exponential
 * Backoff and Jitter"): the wait before attempt n+1 is random in [0, min(maxDelayMs, base·2^(n-1))].
 * Only errors `isRetryable` accepts are retried; every other error is thrown at once.
 */
export interface RetryPolicy {
  /** Total attempts including the first (≥ 1). */
  attempts: number;
  /** Upper bound of the first wait, in milliseconds. */
  baseDelayMs: number;
  /** Cap for any single wait, in milliseconds (default 20 000). */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 20_000 };

export interface RetryOptions extends RetryPolicy {
  /** What is being tried, for the log line (`upload blob sha256:…`). */
  what: string;
  isRetryable(error: unknown): boolean;
  log?: Logger;
  /** Injected in tests; default `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
}

/** Runs `fn(attempt)` (attempt counts from 1) until it resolves, a non-retryable error, or attempts run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.isRetryable(error)) throw error;
      const cap = Math.min(options.maxDelayMs ?? 20_000, options.baseDelayMs * 2 ** (attempt - 1));
      const wait = Math.round(Math.random() * cap);
      options.log?.warning(`${options.what} failed (attempt ${attempt}/${options.attempts}): ${(error as Error).message}; retrying in ${wait} ms`);
      await sleep(wait);
    }
  }
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED']);

/**
 * Transport failures worth another attempt: connection reset/refused mid-way, an EOF, a socket or
 * header timeout, or an aborted request because of our own timeout. Node's fetch wraps them as
 * `TypeError: fetch failed` with the system error in `cause`.
 */
export function isTransientNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  for (let e: unknown = error; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && TRANSIENT_CODES.has(code)) return true;
    if (/\bEOF\b|socket hang up|other side closed|fetch failed/i.test(e.message)) return true;
  }
  return false;
}
