import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensureDockerd } from '../../src/local/dockerd.ts';
import { startRegistry } from '../support/infra.ts';
import type { LocalRegistry } from '../support/infra.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { runSignAndPush } from '../../src/stages/sign.ts';
import type { SignConfig } from '../../src/stages/sign.ts';
import { generateKeyPair } from '../../src/domain/signature.ts';
import { createRegistryClient } from '../../src/adapters/registry.ts';
import { startFakeEcr, signedRegion, useFakeAwsEnv } from './fake-ecr.ts';
import type { FakeEcr } from './fake-ecr.ts';
import { createFakeDocker } from './fake-docker.ts';
import { makeImage, removeTestImages } from './helpers.ts';
import { scratchDirs } from '../support/scratch.ts';

// The ECR path of the stage: the real SDK talks to a loopback fake of the ECR API, whose
// GetAuthorizationToken hands out the htpasswd password of a real local registry (the data plane),
// exactly as ECR hands out AWS:<token> for its registry.

let registry: LocalRegistry;
let fake: FakeEcr | undefined;
const tempDir = scratchDirs();
let work: string;
let restoreEnv: () => void;
let imageA: string;
let imageB: string;
const key = generateKeyPair();
const privatePem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const fast = { attempts: 4, baseDelayMs: 1 };

beforeAll(async () => {
  await ensureDockerd(createMemoryLogger());
  registry = await startRegistry({ auth: true });
  work = tempDir('sign-ecr-');
  restoreEnv = useFakeAwsEnv();
  imageA = makeImage(`ecr A ${Date.now()}`);
  imageB = makeImage(`ecr B ${Date.now()}`);
});
afterEach(async () => { await fake?.stop(); fake = undefined; });
afterAll(async () => {
  restoreEnv?.();
  await registry?.stop();
  removeTestImages();
});

function config(repo: string, over: Partial<SignConfig> = {}): SignConfig {
  return {
    image: imageA,
    repository: `${registry.host}/${repo}`,
    tags: ['v1'],
    privateKey: privatePem,
    ecr: { region: 'eu-west-1', endpoint: fake!.endpoint, createRepository: true },
    signatureFile: join(work, `${repo.replace(/\//g, '_')}-${Math.random().toString(36).slice(2)}.signature`),
    retry: fast,
    ...over,
  };
}

const client = (repository: string) => createRegistryClient({ host: registry.host, repository, insecure: true, credentials: async () => ({ username: registry.username!, password: registry.password! }), retry: fast });

describe('sign and push with ECR auth', () => {
  it('logs in with the ECR token, creates the repository, pushes, and never shows the password or token (loopback fake)', async () => {
    fake = await startFakeEcr({ username: registry.username, passwords: [registry.password!], proxyHost: registry.host });
    const docker = createFakeDocker();
    process.env.TRUNKLINE_DOCKER = docker.path;
    const log = createMemoryLogger();
    try {
      const cfg = config('ecr/app', { dockerLogin: true });
      const result = await runSignAndPush(cfg, log);
      expect(result.error).toBeUndefined();
      expect(result.status).toBe('passed');
      expect(await client('ecr/app').resolve('v1')).toBe(result.outputs.digest);

      // Repository creation: immutable tags except signature tags, scan on push.
      const create = fake.calls.find((c) => c.operation === 'CreateRepository')!;
      expect(create.body).toMatchObject({ repositoryName: 'ecr/app', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'sha256-*.sig' }], imageScanningConfiguration: { scanOnPush: true } });
      for (const call of fake.calls) expect(signedRegion(call.headers)).toBe('eu-west-1');

      // Token masking: scan everything a user or a later step could read.
      const token = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
      const everything = [log.lines.join('\n'), JSON.stringify(result), readFileSync(cfg.signatureFile, 'utf8')].join('\n');
      expect(everything).not.toContain(registry.password!);
      expect(everything).not.toContain(token);

      // No credential on any docker command line; the password went to `login` on stdin.
      const calls = docker.calls();
      expect(calls.some((c) => c.argv[0] === 'save')).toBe(true);
      for (const c of calls) {
        expect(c.argv.join(' ')).not.toContain(registry.password!);
        expect(c.argv.join(' ')).not.toContain(token);
      }
      const login = calls.find((c) => c.argv[0] === 'login')!;
      expect(login.argv).toEqual(['login', '--username', registry.username!, '--password-stdin', registry.host]);
      expect(login.stdin).toBe(registry.password);
    } finally {
      delete process.env.TRUNKLINE_DOCKER;
    }
  });

  it('logs in again once when the registry rejects an expired token (loopback fake)', async () => {
    fake = await startFakeEcr({ username: registry.username, passwords: ['expired-token-9f8e7d', registry.password!], proxyHost: registry.host });
    const log = createMemoryLogger();
    const result = await runSignAndPush(config('ecr/relogin'), log);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('passed');
    expect(fake.calls.filter((c) => c.operation === 'GetAuthorizationToken')).toHaveLength(2);
    expect(result.notes.join('\n')).toMatch(/logged in again with a fresh token/);
    expect(log.lines.join('\n')).not.toContain('expired-token-9f8e7d');
    expect(log.lines.join('\n')).not.toContain(registry.password!);
  });

  it('gives up after one re-login when the fresh token is rejected too (loopback fake)', async () => {
    fake = await startFakeEcr({ username: registry.username, passwords: ['bad-1', 'bad-2', 'bad-3'], proxyHost: registry.host });
    const result = await runSignAndPush(config('ecr/bad'), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/rejected the credentials/);
    expect(fake.calls.filter((c) => c.operation === 'GetAuthorizationToken')).toHaveLength(2);
  });

  it('retries throttled ECR calls and still pushes (loopback fake)', async () => {
    fake = await startFakeEcr({ username: registry.username, passwords: [registry.password!], proxyHost: registry.host });
    fake.faults.set('DescribeRepositories', [{ status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }]);
    fake.faults.set('GetAuthorizationToken', [{ status: 500, type: 'ServerException' }]);
    const result = await runSignAndPush(config('ecr/throttled'), createMemoryLogger());
    expect(result.status).toBe('passed');
    expect(fake.calls.filter((c) => c.operation === 'DescribeRepositories').length).toBeGreaterThanOrEqual(3);
  });

  it('does not retry a 403 and names the IAM actions; nothing is pushed (loopback fake)', async () => {
    fake = await startFakeEcr({ username: registry.username, passwords: [registry.password!], proxyHost: registry.host });
    fake.faults.set('GetAuthorizationToken', [{ status: 400, type: 'AccessDeniedException', message: 'not authorized to perform: ecr:GetAuthorizationToken' }]);
    const result = await runSignAndPush(config('ecr/denied'), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/ecr:GetAuthorizationToken.*ecr:InitiateLayerUpload.*ecr:PutImage/);
    expect(fake.calls).toHaveLength(1);
    expect(await client('ecr/denied').listTags()).toEqual([]);
  });

  it('a 403 from the ECR registry names the registry-side IAM actions; nothing is pushed (loopback fake)', async () => {
    // The data plane refuses everything, as ECR does for a role without the layer/image actions.
    const forbidden = createServer((req, res) => req.resume().on('end', () => res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":[{"code":"DENIED","message":"not authorized"}]}')));
    await new Promise<void>((r) => forbidden.listen(0, '127.0.0.1', () => r()));
    const host = `127.0.0.1:${(forbidden.address() as AddressInfo).port}`;
    try {
      fake = await startFakeEcr({ passwords: ['p'], proxyHost: host });
      const result = await runSignAndPush(config('ecr/forbidden', { repository: `${host}/ecr/forbidden` }), createMemoryLogger());
      expect(result.status).toBe('failed');
      expect(result.error).toContain('head manifest v1: HTTP 403. The role needs ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage, ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on the repository');
      expect(result.error).toMatch(/No tag was written\.$/);
    } finally {
      await new Promise((r) => forbidden.close(r));
    }
  });

  it('an IMMUTABLE repository: same digest is a no-op, a different digest is refused naming both (loopback fake)', async () => {
    fake = await startFakeEcr({ username: registry.username, passwords: [registry.password!], proxyHost: registry.host });
    fake.repositories.set('ecr/immutable', { repositoryName: 'ecr/immutable', registryId: '123456789012', repositoryUri: 'x', imageTagMutability: 'IMMUTABLE', imageTagMutabilityExclusionFilters: [] });
    const first = await runSignAndPush(config('ecr/immutable', { ecr: { region: 'eu-west-1', endpoint: fake.endpoint } }), createMemoryLogger());
    expect(first.status).toBe('passed');
    const rerun = await runSignAndPush(config('ecr/immutable', { ecr: { region: 'eu-west-1', endpoint: fake.endpoint } }), createMemoryLogger());
    expect(rerun.status).toBe('passed');
    expect(rerun.notes.join('\n')).toMatch(/no-op\): v1/);
    const other = await runSignAndPush(config('ecr/immutable', { image: imageB, ecr: { region: 'eu-west-1', endpoint: fake.endpoint } }), createMemoryLogger());
    expect(other.status).toBe('failed');
    expect(other.error).toContain(first.outputs.digest);
    expect(other.error).toContain(other.outputs.digest);
    expect(await client('ecr/immutable').resolve('v1')).toBe(first.outputs.digest);
  });

  it('reads the region and account from an ECR host (loopback fake)', async () => {
    const host = '210987654321.dkr.ecr.ap-northeast-3.amazonaws.com';
    fake = await startFakeEcr({ passwords: ['p'], proxyHost: host, accountId: '210987654321', region: 'ap-northeast-3' });
    fake.repositories.set('app', { repositoryName: 'app', registryId: '210987654321', repositoryUri: `${host}/app`, imageTagMutability: 'MUTABLE' });
    // No region given: it comes from the host. The data plane (the real host) is unreachable here,
    // so the push fails after the API calls, which is where the assertions are.
    const result = await runSignAndPush(config('app', { repository: `${host}/app`, ecr: { endpoint: fake.endpoint } }), createMemoryLogger());
    expect(result.status).toBe('failed');
    expect(fake.calls.map((c) => c.operation)).toEqual(['GetAuthorizationToken', 'DescribeRepositories']);
    for (const call of fake.calls) expect(signedRegion(call.headers)).toBe('ap-northeast-3');
    expect(fake.calls[1]!.body).toMatchObject({ registryId: '210987654321', repositoryNames: ['app'] });
  });
});
