import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createEcrApi } from '../../src/adapters/ecr.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { useFakeAwsEnv } from './fake-ecr.ts';

/**
 * A loopback fake of an ECR API endpoint that accepts connections, reads the request and never
 * answers (the audit's "ECR API that never answers"). Without per-attempt timeouts the SDK waits
 * forever; the timeouts are injected small so the test stays short.
 */
async function startSilentFakeEcr(): Promise<{ endpoint: string; connections: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server: Server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('data', () => { /* swallow the request, never answer */ });
    socket.on('error', () => { /* the client aborting is expected */ });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    get connections() { return state.connections; },
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('ECR API that never answers (loopback fake)', () => {
  let restoreEnv: () => void;
  let fake: Awaited<ReturnType<typeof startSilentFakeEcr>> | undefined;
  beforeAll(() => { restoreEnv = useFakeAwsEnv(); });
  afterAll(() => restoreEnv());
  afterEach(async () => fake?.stop());

  it('gives up after the bounded attempts, naming the endpoint and the attempt count', async () => {
    fake = await startSilentFakeEcr();
    const log = createMemoryLogger();
    const api = await createEcrApi({
      region: 'eu-west-1', endpoint: fake.endpoint, log,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, connectTimeoutMs: 200, requestTimeoutMs: 300,
    });
    const error = await api.login().then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain(`ECR GetAuthorizationToken at ${fake.endpoint} got no answer after 3 attempt(s)`);
    expect(error!.message).toMatch(/200 ms to connect and 300 ms in all/);
    expect(fake.connections).toBe(3);
    expect(log.lines.filter((l) => /ECR GetAuthorizationToken failed \(attempt \d\/3\)/.test(l))).toHaveLength(2);
  });
});
