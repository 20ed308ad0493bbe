import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistryClient, parseChallenge, RegistryError } from '../../src/adapters/registry.ts';
import { isTransientNetworkError, withRetry } from '../../src/adapters/retry.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * A loopback fake of a remote registry that uses the Docker token flow (as GHCR and Docker Hub do):
 * 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, a token endpoint that checks
 * basic credentials, and scripted faults. Only what these tests call is implemented.
 */
function fakeBearerRegistry(options: { username: string; password: string; faults?: number[]; tamper?: boolean }) {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; type: string }>();
  const tokenRequests: URLSearchParams[] = [];
  const seenAuth: string[] = [];
  const faults = [...(options.faults ?? [])];
  let base = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, base);
      const body = Buffer.concat(chunks);
      if (url.pathname === '/token') {
        tokenRequests.push(url.searchParams);
        const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
        if (req.headers.authorization !== expected) { res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}'); return; }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'bearer-token-77' }));
        return;
      }
      const fault = faults.shift();
      if (fault) { res.writeHead(fault, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}'); return; }
      if (req.headers.authorization !== 'Bearer bearer-token-77') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="fake.example",scope="repository:acme/app:pull,push"`, 'content-type': 'application/json' })
          .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      seenAuth.push(req.headers.authorization);
      const m = /^\/v2\/acme\/app\/(blobs|manifests)\/(.+)$/.exec(url.pathname);
      if (req.method === 'POST' && url.pathname === '/v2/acme/app/blobs/uploads/') { res.writeHead(202, { location: '/upload/1?_state=abc' }).end(); return; }
      if (req.method === 'PATCH' && url.pathname === '/upload/1') { blobs.set('pending', body); res.writeHead(202, { location: `${base}/upload/1?_state=def` }).end(); return; }
      if (req.method === 'PUT' && url.pathname === '/upload/1') {
        const d = url.searchParams.get('digest')!;
        const pending = blobs.get('pending')!;
        if (sha(pending) !== d || url.searchParams.get('_state') !== 'def') { res.writeHead(400).end('{"errors":[{"code":"DIGEST_INVALID","message":"digest mismatch"}]}'); return; }
        blobs.set(d, pending);
        res.writeHead(201, { 'docker-content-digest': d }).end();
        return;
      }
      if (m?.[1] === 'blobs') {
        const b = blobs.get(m[2]!);
        if (!b) { res.writeHead(404).end(); return; }
        res.writeHead(200, { 'content-length': String(b.length) }).end(req.method === 'HEAD' ? undefined : (options.tamper ? Buffer.from('evil') : b));
        return;
      }
      if (m?.[1] === 'manifests') {
        if (req.method === 'PUT') {
          manifests.set(m[2]!, { bytes: body, type: String(req.headers['content-type']) });
          manifests.set(sha(body), { bytes: body, type: String(req.headers['content-type']) });
          res.writeHead(201, { 'docker-content-digest': sha(body) }).end();
          return;
        }
        const found = manifests.get(m[2]!);
        if (!found) { res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}'); return; }
        const served = options.tamper ? Buffer.concat([found.bytes, Buffer.from(' ')]) : found.bytes;
        // A HEAD without Docker-Content-Digest: the client must fall back to GET and hash.
        res.writeHead(200, { 'content-type': found.type }).end(req.method === 'HEAD' ? undefined : served);
        return;
      }
      if (url.pathname === '/v2/acme/app/tags/list') {
        const n = url.searchParams.get('last') ? { tags: ['z'] } : { tags: ['a', 'b'] };
        res.writeHead(200, { 'content-type': 'application/json', ...(url.searchParams.get('last') ? {} : { link: '</v2/acme/app/tags/list?n=2&last=b>; rel="next"' }) }).end(JSON.stringify(n));
        return;
      }
      res.writeHead(404).end();
    });
  });
  return new Promise<{ host: string; blobs: typeof blobs; tokenRequests: typeof tokenRequests; seenAuth: string[]; stop: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      base = `http://${host}`;
      resolve({ host, blobs, tokenRequests, seenAuth, stop: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => { await stop?.(); stop = undefined; });
const fast = { attempts: 3, baseDelayMs: 1 };

describe('registry client', () => {
  it('follows the bearer token flow with basic credentials at the realm, uploads and reads back (loopback fake)', async () => {
    const fake = await fakeBearerRegistry({ username: 'octocat', password: 'ghp_fakeTokenValue123' });
    stop = fake.stop;
    const log = createMemoryLogger();
    const c = createRegistryClient({ host: fake.host, repository: 'acme/app', insecure: true, log, retry: fast, credentials: async () => ({ username: 'octocat', password: 'ghp_fakeTokenValue123' }) });
    const data = Buffer.from('layer bytes');
    expect(await c.pushBlob(sha(data), data.length, () => data)).toBe(true);
    expect(await c.pushBlob(sha(data), data.length, () => data)).toBe(false); // HEAD says it exists
    expect(fake.tokenRequests[0]!.get('service')).toBe('fake.example');
    expect(fake.tokenRequests[0]!.get('scope')).toBe('repository:acme/app:pull,push');
    const manifest = Buffer.from('{"schemaVersion":2}');
    expect(await c.putManifest('v1', manifest, 'application/vnd.oci.image.manifest.v1+json')).toBe(sha(manifest));
    expect(await c.resolve('v1')).toBe(sha(manifest)); // HEAD without digest header → GET and hash
    expect(await c.resolve('missing')).toBeUndefined();
    expect((await c.getBlob(sha(data))).equals(data)).toBe(true);
    expect(await c.listTags()).toEqual(['a', 'b', 'z']); // Link pagination
    log.info('token bearer-token-77 and ghp_fakeTokenValue123');
    expect(log.lines.join('\n')).not.toMatch(/bearer-token-77|ghp_fakeTokenValue123/);
  });

  it('retries 503/429 with backoff and succeeds (loopback fake)', async () => {
    const fake = await fakeBearerRegistry({ username: 'u', password: 'p', faults: [503, 429] });
    stop = fake.stop;
    const log = createMemoryLogger();
    const c = createRegistryClient({ host: fake.host, repository: 'acme/app', insecure: true, log, retry: fast, credentials: async () => ({ username: 'u', password: 'p' }) });
    expect(await c.listTags()).toEqual(['a', 'b', 'z']);
    expect(log.lines.filter((l) => /retrying/.test(l))).toHaveLength(2);
  });

  it('gives up after the bounded attempts on persistent 5xx (loopback fake)', async () => {
    const fake = await fakeBearerRegistry({ username: 'u', password: 'p', faults: [502, 502, 502, 502] });
    stop = fake.stop;
    const c = createRegistryClient({ host: fake.host, repository: 'acme/app', insecure: true, retry: fast, credentials: async () => ({ username: 'u', password: 'p' }) });
    await expect(c.listTags()).rejects.toThrow(/HTTP 502 UNAVAILABLE/);
  });

  it('rejects content that does not hash to the requested digest (loopback fake)', async () => {
    const fake = await fakeBearerRegistry({ username: 'u', password: 'p', tamper: true });
    stop = fake.stop;
    const c = createRegistryClient({ host: fake.host, repository: 'acme/app', insecure: true, retry: fast, credentials: async () => ({ username: 'u', password: 'p' }) });
    const data = Buffer.from('real');
    await c.pushBlob(sha(data), data.length, () => data);
    await expect(c.getBlob(sha(data))).rejects.toThrow(/DIGEST_INVALID/);
    const manifest = Buffer.from('{"schemaVersion":2}');
    await c.putManifest('v1', manifest, 'application/vnd.oci.image.manifest.v1+json');
    await expect(c.getManifest(sha(manifest))).rejects.toThrow(/hashes to/);
  });

  it('wrong credentials at the token endpoint fail without retries', async () => {
    const fake = await fakeBearerRegistry({ username: 'u', password: 'p' });
    stop = fake.stop;
    const c = createRegistryClient({ host: fake.host, repository: 'acme/app', insecure: true, retry: fast, credentials: async () => ({ username: 'u', password: 'wrong' }) });
    const error = await c.listTags().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(401);
    expect(fake.tokenRequests).toHaveLength(1);
  });

  it('retries a connection refused, then reports it', async () => {
    const c = createRegistryClient({ host: '127.0.0.1:1', repository: 'a', insecure: true, retry: { attempts: 2, baseDelayMs: 1 } });
    const log = createMemoryLogger();
    const c2 = createRegistryClient({ host: '127.0.0.1:1', repository: 'a', insecure: true, retry: { attempts: 2, baseDelayMs: 1 }, log });
    await expect(c.listTags()).rejects.toThrow(/list tags of a: UNREACHABLE: the registry 127\.0\.0\.1:1 \(repository a\) could not be reached or dropped the connection: .*gave up after 2 attempt/);
    await expect(c2.blobExists(`sha256:${'0'.repeat(64)}`)).rejects.toThrow();
    expect(log.lines.some((l) => /attempt 1\/2/.test(l))).toBe(true);
  });
});

describe('parseChallenge', () => {
  it('reads bearer and basic challenges', () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"')).toEqual({ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull' } });
    expect(parseChallenge('Basic realm="trunkline-local"')).toEqual({ scheme: 'basic', params: { realm: 'trunkline-local' } });
    expect(parseChallenge(null)).toBeUndefined();
  });
});

describe('withRetry', () => {
  it('stops at once on a non-retryable error and after `attempts` on retryable ones, with capped backoff', async () => {
    const waits: number[] = [];
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('fatal'); }, { attempts: 5, baseDelayMs: 10, what: 'x', isRetryable: () => false, sleep: async (ms) => { waits.push(ms); } })).rejects.toThrow('fatal');
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('flaky'); }, { attempts: 4, baseDelayMs: 100, maxDelayMs: 250, what: 'x', isRetryable: () => true, sleep: async (ms) => { waits.push(ms); } })).rejects.toThrow('flaky');
    expect(calls).toBe(4);
    expect(waits).toHaveLength(3);
    expect(waits.every((w, i) => w >= 0 && w <= Math.min(250, 100 * 2 ** i))).toBe(true);
  });
  it('classifies transport errors', () => {
    expect(isTransientNetworkError(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }))).toBe(true);
    expect(isTransientNetworkError(new Error('unexpected EOF'))).toBe(true);
    expect(isTransientNetworkError(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }))).toBe(true);
    expect(isTransientNetworkError(new Error('HTTP 400'))).toBe(false);
  });
});
