import { MANIFEST_ACCEPT, sha256Digest } from '../domain/oci-manifest.ts';
import type { Logger } from '../report/logger.ts';
import type { RetryPolicy } from './retry.ts';
import { DEFAULT_RETRY, isTransientNetworkError, withRetry } from './retry.ts';
import { external } from '../report/external-time.ts';

/**
 * A small client for the OCI Distribution API (OCI distribution-spec v1.1 `spec.md`; Docker
 * "Token Authentication Specification" for bearer challenges). It is the only code that talks to
 * a registry over HTTP: blobs (HEAD to skip what exists, POST → PATCH → PUT uploads), manifests
 * (PUT by digest or tag, GET/HEAD with every manifest `Accept` type) and `tags/list`.
 *
 * Credentials come from a `CredentialSource` and never leave this process except in an
 * `Authorization` header; every derived header value is registered with the logger's mask.
 * Every read of content is checked against its digest here, so callers can trust the bytes.
 */

export interface RegistryCredentials {
  username: string;
  password: string;
}

/**
 * Supplies credentials. `refresh` is true after the registry rejected the last ones (e.g. an
 * expired ECR token): the source should fetch new ones. `undefined` = anonymous.
 */
export type CredentialSource = (refresh: boolean) => Promise<RegistryCredentials | undefined>;

/** An HTTP-level failure: `status` (0 for transport errors), the registry's error `code` when given. */
export class RegistryError extends Error {
  readonly status: number;
  readonly code?: string;
  readonly operation: string;
  constructor(operation: string, status: number, code: string | undefined, detail: string) {
    super(`${operation}: ${status ? `HTTP ${status}${code ? ` ${code}` : ''}` : (code ?? 'transport error')}${detail ? `: ${detail}` : ''}`);
    this.name = 'RegistryError';
    this.status = status;
    this.code = code;
    this.operation = operation;
  }
}

export interface RegistryClientOptions {
  /** `host[:port]`, e.g. `127.0.0.1:5000` or `<acct>.dkr.ecr.<region>.amazonaws.com`. */
  host: string;
  /** Repository path inside the registry, e.g. `team/app`. */
  repository: string;
  /** Plain HTTP instead of HTTPS (docker treats 127.0.0.0/8 and localhost the same way). */
  insecure?: boolean;
  credentials?: CredentialSource;
  log?: Logger;
  retry?: RetryPolicy;
  /** Per request, ms (default 60 000); blob uploads get `uploadTimeoutMs` (default 15 min). */
  timeoutMs?: number;
  uploadTimeoutMs?: number;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of the bytes, computed here (never taken from a header). */
  digest: string;
}

export interface RegistryClient {
  readonly host: string;
  readonly repository: string;
  blobExists(digest: string): Promise<boolean>;
  /**
   * Uploads a blob unless it exists. `open()` returns the content (a Buffer, or a fresh stream
   * each call so that a retry can re-send). Returns true when bytes were sent.
   */
  pushBlob(digest: string, size: number, open: () => Buffer | ReadableStream<Uint8Array>): Promise<boolean>;
  /** Uploads a blob without the existence check, for a caller that already knows it is missing; `open` as for `pushBlob`. */
  uploadBlob(digest: string, size: number, open: () => Buffer | ReadableStream<Uint8Array>): Promise<void>;
  getBlob(digest: string): Promise<Buffer>;
  /** PUTs manifest bytes under a tag or digest; returns the digest the registry reports (checked against the bytes). */
  putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string>;
  /** GETs a manifest; `undefined` when the registry answers 404. When `reference` is a digest, the bytes must hash to it. */
  getManifest(reference: string): Promise<FetchedManifest | undefined>;
  /** The digest a tag or digest resolves to, `undefined` when absent (HEAD, falling back to GET). */
  resolve(reference: string): Promise<string | undefined>;
  /** Every tag of the repository (following `Link` pagination); `[]` when the repository does not exist. */
  listTags(): Promise<string[]>;
}

/** base64 of `user:password`, the credential of a `Basic` authorization header. */
function basicToken(creds: RegistryCredentials): string {
  return Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
}

/** Parses `Bearer realm="…",service="…",scope="…"` / `Basic realm="…"`. */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!.toLowerCase()] = p[2]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

function retryable(error: unknown): boolean {
  if (error instanceof RegistryError) return error.status >= 500 || error.status === 429 || error.status === 0;
  return isTransientNetworkError(error);
}

async function errorFrom(operation: string, response: Response): Promise<RegistryError> {
  const text = await response.text().catch(() => '');
  let code: string | undefined;
  let detail = text.trim().slice(0, 300);
  try {
    const first = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
    if (first) {
      code = first.code;
      detail = first.message ?? '';
    }
  } catch { /* not JSON: keep the text */ }
  return new RegistryError(operation, response.status, code, detail);
}

/** The deepest message of a transport error's cause chain (`fetch failed` → `other side closed`). */
export function transportCause(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (let e: unknown = error; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    const code = (e as NodeJS.ErrnoException).code;
    message = code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
  }
  return message;
}

/** The registry's own words from an error response (`CODE: message`, at most 300 characters), or ''. */
async function registryMessage(response: Response): Promise<string> {
  const text = (await response.text().catch(() => '')).trim();
  try {
    const first = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ').slice(0, 300);
  } catch { /* not JSON: the text itself */ }
  return text.slice(0, 300);
}

/** Creates a client for one repository. No request is made until a method is called. */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const base = `${options.insecure ? 'http' : 'https'}://${options.host}`;
  const name = options.repository;
  const policy = options.retry ?? DEFAULT_RETRY;
  const log = options.log;
  let authorization: string | undefined;

  async function tokenFor(params: Record<string, string>, creds: RegistryCredentials | undefined): Promise<string> {
    if (!params.realm) throw new RegistryError('auth', 401, 'UNAUTHORIZED', 'bearer challenge without realm');
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${name}:pull,push`);
    const headers: Record<string, string> = {};
    if (creds) headers.authorization = `Basic ${basicToken(creds)}`;
    const response = await external(() => fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) }));
    if (!response.ok) throw await errorFrom('token', response);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError('token', response.status, undefined, 'token endpoint returned no token');
    log?.secret(token);
    return `Bearer ${token}`;
  }

  async function authorize(challenge: ReturnType<typeof parseChallenge>, refresh: boolean): Promise<boolean> {
    const creds = await options.credentials?.(refresh);
    if (creds) {
      log?.secret(creds.password);
      log?.secret(basicToken(creds));
    }
    if (challenge?.scheme === 'bearer') {
      authorization = await tokenFor(challenge.params, creds);
      return true;
    }
    if (!creds) return false;
    authorization = `Basic ${basicToken(creds)}`;
    return true;
  }

  /**
   * One request with the auth dance: on 401, (re)authorize from the challenge; on a second 401,
   * ask the credential source for fresh credentials once (expired token); then give up.
   */
  async function send(operation: string, method: string, pathOrUrl: string, init: { headers?: Record<string, string>; body?: () => Buffer | ReadableStream<Uint8Array>; timeoutMs?: number } = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${base}${pathOrUrl}`;
    let refreshed = false;
    let reauthorized = false;
    for (;;) {
      const headers: Record<string, string> = { ...init.headers };
      if (authorization) headers.authorization = authorization;
      const body = init.body?.();
      const request: RequestInit & { duplex?: 'half' } = { method, headers, redirect: 'follow', signal: AbortSignal.timeout(init.timeoutMs ?? options.timeoutMs ?? 60_000) };
      if (body !== undefined) {
        request.body = body as RequestInit['body'];
        if (!(body instanceof Buffer)) request.duplex = 'half';
      }
      const response = await external(() => fetch(url, request));
      if (response.status !== 401) return response;
      const said = await registryMessage(response);
      const challenge = parseChallenge(response.headers.get('www-authenticate'));
      const hadBasic = authorization?.startsWith('Basic ') ?? false;
      if (!reauthorized && (!authorization || !hadBasic)) {
        reauthorized = true;
        if (await authorize(challenge, false)) continue;
        throw new RegistryError(operation, 401, 'UNAUTHORIZED', `${options.host} requires credentials and none were given`);
      }
      if (!refreshed && options.credentials) {
        refreshed = true;
        reauthorized = true;
        log?.warning(`${options.host} rejected the credentials (${operation}); fetching fresh ones once (an expired token?)`);
        if (await authorize(challenge, true)) continue;
      }
      throw new RegistryError(operation, 401, 'UNAUTHORIZED', `${options.host} rejected the credentials${refreshed ? ', fresh ones included' : ''}${said ? ` (the registry said: ${said})` : ''}`);
    }
  }

  /**
   * Retries `fn`; a transport failure that outlives the attempts (the registry went away
   * mid-push) becomes a `RegistryError` naming the operation, the registry and what to do.
   */
  const retry = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    let attempts = 0;
    try {
      return await withRetry(() => { attempts++; return fn(); }, { ...policy, what, isRetryable: retryable, log });
    } catch (error) {
      if (error instanceof RegistryError || !isTransientNetworkError(error)) throw error;
      throw new RegistryError(what, 0, 'UNREACHABLE', `the registry ${options.host} (repository ${name}) could not be reached or dropped the connection: ${transportCause(error)}; gave up after ${attempts} attempt(s). Check that the registry is running and reachable, then run again: blobs already uploaded are skipped.`);
    }
  };

  async function blobExists(digest: string): Promise<boolean> {
    return retry(`check blob ${digest}`, async () => {
      const r = await send('check blob', 'HEAD', `/v2/${name}/blobs/${digest}`);
      await r.body?.cancel();
      if (r.status === 200) return true;
      if (r.status === 404) return false;
      throw new RegistryError('check blob', r.status, undefined, '');
    });
  }

  async function getManifest(reference: string): Promise<FetchedManifest | undefined> {
    return retry(`get manifest ${name}:${reference}`, async () => {
      const r = await send('get manifest', 'GET', `/v2/${name}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
      if (r.status === 404) {
        await r.body?.cancel();
        return undefined;
      }
      if (r.status !== 200) throw await errorFrom(`get manifest ${reference}`, r);
      const bytes = Buffer.from(await r.arrayBuffer());
      const digest = sha256Digest(bytes);
      if (reference.startsWith('sha256:') && digest !== reference) throw new RegistryError('get manifest', 200, 'DIGEST_INVALID', `content hashes to ${digest}, not ${reference}`);
      return { bytes, mediaType: r.headers.get('content-type') ?? '', digest };
    });
  }

  function resolveLocation(location: string | null, operation: string): URL {
    if (!location) throw new RegistryError(operation, 0, undefined, 'registry returned no Location header');
    return new URL(location, base);
  }

  async function uploadBlob(digest: string, size: number, open: () => Buffer | ReadableStream<Uint8Array>): Promise<void> {
    await retry(`upload blob ${digest}`, async () => {
      const start = await send('start upload', 'POST', `/v2/${name}/blobs/uploads/`, { headers: { 'content-length': '0' } });
      if (start.status !== 202) throw await errorFrom('start upload', start);
      await start.body?.cancel();
      const patchUrl = resolveLocation(start.headers.get('location'), 'start upload');
      const patch = await send('upload blob', 'PATCH', patchUrl.href, {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body: open,
        timeoutMs: options.uploadTimeoutMs ?? 900_000,
      });
      if (patch.status !== 202) throw await errorFrom('upload blob', patch);
      await patch.body?.cancel();
      const finish = resolveLocation(patch.headers.get('location'), 'upload blob');
      finish.searchParams.set('digest', digest);
      const put = await send('finish upload', 'PUT', finish.href, { headers: { 'content-length': '0' } });
      if (put.status !== 201) throw await errorFrom('finish upload', put);
      await put.body?.cancel();
    });
  }

  return {
    host: options.host,
    repository: name,
    blobExists,

    async pushBlob(digest, size, open) {
      if (await blobExists(digest)) return false;
      await uploadBlob(digest, size, open);
      return true;
    },

    uploadBlob,

    async getBlob(digest) {
      return retry(`get blob ${digest}`, async () => {
        const r = await send('get blob', 'GET', `/v2/${name}/blobs/${digest}`);
        if (r.status !== 200) throw await errorFrom('get blob', r);
        const bytes = Buffer.from(await r.arrayBuffer());
        const actual = sha256Digest(bytes);
        if (actual !== digest) throw new RegistryError('get blob', 200, 'DIGEST_INVALID', `content hashes to ${actual}, not ${digest}`);
        return bytes;
      });
    },

    async putManifest(reference, bytes, mediaType) {
      return retry(`put manifest ${name}:${reference}`, async () => {
        const r = await send('put manifest', 'PUT', `/v2/${name}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body: () => bytes });
        if (r.status !== 201 && r.status !== 200) throw await errorFrom(`put manifest ${reference}`, r);
        await r.body?.cancel();
        const reported = r.headers.get('docker-content-digest');
        const actual = sha256Digest(bytes);
        if (reported && reported !== actual) throw new RegistryError('put manifest', r.status, 'DIGEST_INVALID', `registry stored ${reported}, the bytes hash to ${actual}`);
        return actual;
      });
    },

    getManifest,

    async resolve(reference) {
      const digest = await retry(`resolve ${name}:${reference}`, async () => {
        const r = await send('head manifest', 'HEAD', `/v2/${name}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
        await r.body?.cancel();
        if (r.status === 404) return null;
        if (r.status !== 200) throw new RegistryError(`head manifest ${reference}`, r.status, undefined, '');
        return r.headers.get('docker-content-digest') ?? '';
      });
      if (digest === null) return undefined;
      if (/^sha256:[0-9a-f]{64}$/.test(digest)) return digest;
      return (await getManifest(reference))?.digest;
    },

    async listTags() {
      const tags: string[] = [];
      let next: string | undefined = `/v2/${name}/tags/list?n=1000`;
      while (next) {
        const page: string = next;
        const result = await retry(`list tags of ${name}`, async () => {
          const r = await send('list tags', 'GET', page);
          if (r.status === 404) {
            await r.body?.cancel();
            return { tags: [] as string[], link: null };
          }
          if (r.status !== 200) throw await errorFrom('list tags', r);
          const body = (await r.json()) as { tags?: string[] | null };
          return { tags: body.tags ?? [], link: r.headers.get('link') };
        });
        tags.push(...result.tags);
        const m = result.link ? /<([^>]+)>;\s*rel="?next"?/.exec(result.link) : null;
        next = m ? m[1] : undefined;
      }
      return tags;
    },
  };
}
