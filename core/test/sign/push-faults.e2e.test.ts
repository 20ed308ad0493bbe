import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensureDockerd } from '../../src/local/dockerd.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { runSignAndPush } from '../../src/stages/sign.ts';
import { generateKeyPair } from '../../src/domain/signature.ts';
import { makeImage, removeTestImages } from './helpers.ts';
import { scratchDirs } from '../support/scratch.ts';

// The sign stage against a registry that goes away mid-push: a loopback fake of a remote registry
// that accepts the upload session and drops the connection on every blob PATCH. The image is a
// real one from the real dockerd, so the digest and blob names are the real ones.

const tempDir = scratchDirs();
let server: Server;
let host: string;
let image: string;

beforeAll(async () => {
  await ensureDockerd(createMemoryLogger());
  image = makeImage(`faults ${Date.now()}`);
  server = createServer((req, res) => {
    if (req.method === 'HEAD') { res.writeHead(404).end(); return; }
    if (req.method === 'POST') { res.writeHead(202, { location: '/v2/team/app/blobs/uploads/u1' }).end(); return; }
    if (req.method === 'PATCH') { req.socket.destroy(); return; }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  removeTestImages();
});

describe('sign stage when the registry dies mid-push (loopback fake)', () => {
  it('fails naming the blob, the registry, the attempts and what to do, and says no tag was written', async () => {
    const key = generateKeyPair();
    const result = await runSignAndPush({
      image, repository: `${host}/team/app`, tags: ['v1'], signatureFile: join(tempDir('push-faults-'), 'image.signature'),
      privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), retry: { attempts: 2, baseDelayMs: 1 },
    }, createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(new RegExp(`^upload blob sha256:[0-9a-f]{64}: UNREACHABLE: the registry ${host} \\(repository team/app\\) could not be reached or dropped the connection: .*gave up after 2 attempt\\(s\\)\\. Check that the registry is running and reachable, then run again: blobs already uploaded are skipped\\. No tag was written\\.$`));
    expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.outputs['pushed-tags']).toEqual([]);
    expect(result.summaryMarkdown).toMatch(/UNREACHABLE/);
  });
});
