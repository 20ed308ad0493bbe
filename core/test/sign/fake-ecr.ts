import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback fake of the ECR control-plane API (AWS JSON 1.1: `POST /` with
 * `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>` and
 * `Content-Type: application/x-amz-json-1.1`; errors as HTTP 400/5xx with `__type` in the body,
 * which the real SDK maps to its exception classes). It implements only what Trunkline calls:
 * GetAuthorizationToken, DescribeRepositories, CreateRepository. Faults are scripted per operation.
 */
export interface FakeCall {
  operation: string;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

export interface FakeEcr {
  endpoint: string;
  calls: FakeCall[];
  /** Repositories that exist, by name. */
  repositories: Map<string, Record<string, unknown>>;
  /** Passwords handed out by successive GetAuthorizationToken calls (the last one repeats). */
  passwords: string[];
  /** Scripted faults: operation → queue of `{status, type}` answered before the real behaviour. */
  faults: Map<string, { status: number; type: string; message?: string }[]>;
  stop(): Promise<void>;
}

export async function startFakeEcr(options: { username?: string; passwords: string[]; proxyHost: string; accountId?: string; region?: string }): Promise<FakeEcr> {
  const account = options.accountId ?? '123456789012';
  const region = options.region ?? 'eu-west-1';
  const state: Omit<FakeEcr, 'endpoint' | 'stop'> = { calls: [], repositories: new Map(), passwords: [...options.passwords], faults: new Map() };
  let tokenCalls = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.replace('AmazonEC2ContainerRegistry_V20150921.', '');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      state.calls.push({ operation, body, headers: req.headers });
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${state.calls.length}` });
        res.end(JSON.stringify(payload));
      };
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.1' || !target.startsWith('AmazonEC2ContainerRegistry_V20150921.')) {
        return send(400, { __type: 'UnknownOperationException', message: `bad request ${req.method} ${target}` });
      }
      const fault = state.faults.get(operation)?.shift();
      if (fault) return send(fault.status, { __type: fault.type, message: fault.message ?? fault.type });
      const name = (body.repositoryNames as string[] | undefined)?.[0] ?? (body.repositoryName as string | undefined);
      const repoUri = `${account}.dkr.ecr.${region}.amazonaws.com/${name}`;
      switch (operation) {
        case 'GetAuthorizationToken': {
          const password = state.passwords[Math.min(tokenCalls++, state.passwords.length - 1)]!;
          const token = Buffer.from(`${options.username ?? 'AWS'}:${password}`).toString('base64');
          return send(200, { authorizationData: [{ authorizationToken: token, expiresAt: Date.now() / 1000 + 43200, proxyEndpoint: `https://${options.proxyHost}` }] });
        }
        case 'DescribeRepositories': {
          const repo = name ? state.repositories.get(name) : undefined;
          if (!repo) return send(400, { __type: 'RepositoryNotFoundException', message: `The repository with name '${name}' does not exist in the registry with id '${account}'` });
          return send(200, { repositories: [repo] });
        }
        case 'CreateRepository': {
          if (state.repositories.has(name!)) return send(400, { __type: 'RepositoryAlreadyExistsException', message: 'exists' });
          const repo = {
            repositoryArn: `arn:aws:ecr:${region}:${account}:repository/${name}`, registryId: account, repositoryName: name, repositoryUri: repoUri,
            createdAt: Date.now() / 1000, imageTagMutability: body.imageTagMutability ?? 'MUTABLE',
            imageTagMutabilityExclusionFilters: body.imageTagMutabilityExclusionFilters ?? [],
            imageScanningConfiguration: body.imageScanningConfiguration ?? { scanOnPush: false },
            encryptionConfiguration: body.encryptionConfiguration ?? { encryptionType: 'AES256' },
          };
          state.repositories.set(name!, repo);
          return send(200, { repository: repo });
        }
        default:
          return send(400, { __type: 'UnknownOperationException', message: operation });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    ...state,
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

/** The region in a SigV4 `Authorization` header's credential scope (`…/20260101/<region>/ecr/aws4_request`). */
export function signedRegion(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\/ecr\/aws4_request/.exec(String(headers.authorization ?? ''))?.[1];
}

/** Fake static credentials for the SDK's default provider chain (env), restored by the returned function. */
export function useFakeAwsEnv(): () => void {
  const keys = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_REGION'] as const;
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEFAKEFAKEFAKE';
  process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-key-for-loopback-tests';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_REGION;
  return () => {
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  };
}
