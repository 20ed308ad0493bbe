// The cold-start fix: bundles keep @actions/http-client (and undici) out of the entry chunk, and
// the stand-in HttpClient still makes real requests (a loopback server stands in for GitHub).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../bundle/lazy-http-client.ts';

const root = new URL('../..', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'trunkline-lazy-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('lazy @actions/http-client in the action bundles', () => {
  it('ncc puts undici in a separate chunk, not in the entry chunk @actions/core loads from', () => {
    const r = spawnSync(join(root, 'node_modules/.bin/ncc'), ['build', join(root, 'action-scan/src/main.ts'), '-o', out, '--quiet'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const entry = readFileSync(join(out, 'index.js'), 'utf8');
    expect(entry).not.toContain('class ProxyAgent');
    const chunks = readdirSync(out).filter((f) => f !== 'index.js' && f.endsWith('.js'));
    expect(chunks.some((f) => readFileSync(join(out, f), 'utf8').includes('class ProxyAgent'))).toBe(true);
  }, 300_000);

  it('the stand-in HttpClient sends the request through the real client on first use', async () => {
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, agent: req.headers['user-agent'] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const client = new HttpClient('trunkline-test');
      const { port } = server.address() as AddressInfo;
      const reply = await client.getJson<{ path: string; agent: string }>(`http://127.0.0.1:${port}/token`);
      expect(reply.statusCode).toBe(200);
      expect(reply.result).toEqual({ path: '/token', agent: 'trunkline-test' });
      client.dispose();
    } finally {
      server.close();
    }
  });
});
