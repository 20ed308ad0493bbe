import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistryClient, RegistryError } from '../../src/adapters/registry.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';

// What a user reads when the registry goes away mid-push or keeps refusing a refreshed token.
// Both registries here are loopback fakes of a remote registry, scripted for one fault each.

const DIGEST = `sha256:${'7'.repeat(64)}`;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => { await stop?.(); stop = undefined; });

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stop = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('registry faults (loopback fakes)', () => {
  it('a registry that drops the connection mid-upload: the error names the blob, the registry, the attempts and what to do', async () => {
    let patches = 0;
    const host = await listen(createServer((req, res) => {
      if (req.method === 'POST') { res.writeHead(202, { location: '/v2/acme/app/blobs/uploads/u1' }).end(); return; }
      if (req.method === 'PATCH') { patches++; req.socket.destroy(); return; }
      res.writeHead(404).end();
    }));
    const log = createMemoryLogger();
    const client = createRegistryClient({ host, repository: 'acme/app', insecure: true, log, retry: { attempts: 2, baseDelayMs: 1 } });
    const error = await client.uploadBlob(DIGEST, 4, () => Buffer.from('blob')).then(() => undefined, (e: unknown) => e as RegistryError);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error!.message).toContain(`upload blob ${DIGEST}: UNREACHABLE: the registry ${host} (repository acme/app) could not be reached or dropped the connection: `);
    expect(error!.message).toMatch(/gave up after 2 attempt\(s\)\. Check that the registry is running and reachable, then run again/);
    expect(error!.message).not.toMatch(/^fetch failed$/);
    expect(patches).toBe(2);
  });

  it('a manifest PUT to a registry that is gone names the manifest and the registry', async () => {
    const host = await listen(createServer((req) => { req.socket.destroy(); }));
    const client = createRegistryClient({ host, repository: 'acme/app', insecure: true, retry: { attempts: 2, baseDelayMs: 1 } });
    await expect(client.putManifest('v1', Buffer.from('{}'), 'application/vnd.oci.image.manifest.v1+json'))
      .rejects.toThrow(new RegExp(`put manifest acme/app:v1: UNREACHABLE: the registry ${host} \\(repository acme/app\\) could not be reached`));
  });

  it('an expired token refused again after the refresh: the final error quotes the registry\'s message', async () => {
    const refreshes: boolean[] = [];
    const host = await listen(createServer((req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"', 'content-type': 'application/json' })
        .end('{"errors":[{"code":"DENIED","message":"Your authorization token has expired. Reauthenticate and try again."}]}');
    }));
    const client = createRegistryClient({
      host, repository: 'acme/app', insecure: true, retry: { attempts: 2, baseDelayMs: 1 },
      credentials: async (refresh) => { refreshes.push(refresh); return { username: 'AWS', password: `token-${refreshes.length}` }; },
    });
    const error = await client.listTags().then(() => undefined, (e: unknown) => e as RegistryError);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error!.status).toBe(401);
    expect(error!.message).toContain(`${host} rejected the credentials, fresh ones included (the registry said: DENIED: Your authorization token has expired. Reauthenticate and try again.)`);
    expect(refreshes).toEqual([false, true]);
  });
});
