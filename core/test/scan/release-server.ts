// A loopback stand-in for GitHub's release download host, serving one fake Trivy release archive
// laid out like the real ones: `/v<version>/trivy_<version>_Linux-64bit.tar.gz` with `trivy` at the
// root (the fake-trivy script). It records every request path, so tests can see downloads happen.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFakeTrivy } from './fake-trivy.ts';

export interface FakeReleaseServer {
  baseUrl: string;
  /** Path of the archive on the server. */
  assetPath: string;
  /** sha256 (hex) of the archive served. */
  sha256: string;
  /** Request paths received, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 (ephemeral port) for Trivy `version` on Linux x64. */
export async function startFakeReleaseServer(version: string): Promise<FakeReleaseServer> {
  const root = mkdtempSync(join(tmpdir(), 'trunkline-release-'));
  const content = join(root, 'content');
  writeFakeTrivy(content);
  execFileSync('tar', ['-czf', join(root, 'release.tar.gz'), '-C', content, 'trivy']);
  const archive = readFileSync(join(root, 'release.tar.gz'));
  const assetPath = `/v${version}/trivy_${version}_Linux-64bit.tar.gz`;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === assetPath) {
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': archive.length });
      res.end(archive);
    } else {
      res.writeHead(404).end('Not Found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    assetPath,
    sha256: createHash('sha256').update(archive).digest('hex'),
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())).then(() => rmSync(root, { recursive: true, force: true })),
  };
}
