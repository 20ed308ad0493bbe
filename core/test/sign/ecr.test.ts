import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand,
  RepositoryAlreadyExistsException, RepositoryNotFoundException, ServerException,
} from '@aws-sdk/client-ecr';
import { accessDeniedMessage, createEcrApi, EcrAccessError, isRetryableEcrError } from '../../src/adapters/ecr.ts';
import { parseEcrHost } from '../../src/domain/ecr-host.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { startFakeEcr, signedRegion, useFakeAwsEnv } from './fake-ecr.ts';

const fast = { attempts: 4, baseDelayMs: 1 };
const PASSWORD = 'ecr-fake-password-Zq9xVb71';
const TOKEN = Buffer.from(`AWS:${PASSWORD}`).toString('base64');

function sdkError(name: string, status: number, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(`${name} happened`), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

describe('ECR API with aws-sdk-client-mock', () => {
  const ecrMock = mockClient(ECRClient);
  beforeEach(() => ecrMock.reset());
  afterAll(() => ecrMock.restore());

  it('logs in: decodes AWS:<password> and masks the token and the password before anything prints them', async () => {
    ecrMock.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: TOKEN, proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com', expiresAt: new Date() }] });
    const log = createMemoryLogger();
    const api = await createEcrApi({ region: 'eu-west-1', log, retry: fast });
    const login = await api.login();
    expect(login).toMatchObject({ username: 'AWS', password: PASSWORD, proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' });
    log.info(`oops ${PASSWORD} and ${TOKEN}`);
    expect(log.lines.join('\n')).not.toContain(PASSWORD);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)[0]!.args[0].input).toEqual({}); // registryIds is deprecated
  });

  it('retries throttling with backoff and succeeds', async () => {
    ecrMock.on(DescribeRepositoriesCommand)
      .rejectsOnce(sdkError('ThrottlingException', 400))
      .rejectsOnce(sdkError('ThrottlingException', 400))
      .resolves({ repositories: [{ repositoryName: 'app', repositoryUri: 'u', registryId: '123456789012', imageTagMutability: 'IMMUTABLE' }] });
    const log = createMemoryLogger();
    const api = await createEcrApi({ region: 'eu-west-1', log, retry: fast });
    const repo = await api.describeRepository('app');
    expect(repo?.mutability).toEqual({ mode: 'IMMUTABLE', filters: [] });
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)).toHaveLength(3);
    expect(log.lines.filter((l) => /ThrottlingException.*retrying/.test(l))).toHaveLength(2);
  });

  it('retries 5xx a bounded number of times, then gives up', async () => {
    ecrMock.on(GetAuthorizationTokenCommand).rejects(new ServerException({ message: 'internal', $metadata: { httpStatusCode: 500 } }));
    const api = await createEcrApi({ region: 'eu-west-1', log: createMemoryLogger(), retry: { attempts: 3, baseDelayMs: 1 } });
    await expect(api.login()).rejects.toThrow(/internal/);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(3);
  });

  it('does not retry a 403 and lists the IAM actions the role needs', async () => {
    ecrMock.on(GetAuthorizationTokenCommand).rejects(sdkError('AccessDeniedException', 403));
    const api = await createEcrApi({ region: 'eu-west-1', log: createMemoryLogger(), retry: fast });
    const error = await api.login().then(() => new Error('expected a rejection'), (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(EcrAccessError);
    expect(error.message).toMatch(/ecr:GetAuthorizationToken.*ecr:BatchCheckLayerAvailability.*ecr:InitiateLayerUpload.*ecr:UploadLayerPart.*ecr:CompleteLayerUpload.*ecr:PutImage/);
    expect(error.message).toMatch(/Not retried/);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
  });

  it('creates a missing repository: IMMUTABLE_WITH_EXCLUSION for sha256-*.sig, scan on push, in the owning account', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(new RepositoryNotFoundException({ message: 'nope', $metadata: {} }));
    ecrMock.on(CreateRepositoryCommand).callsFake((input) => ({ repository: { repositoryName: input.repositoryName, repositoryUri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${input.repositoryName}`, registryId: '123456789012', imageTagMutability: input.imageTagMutability, imageTagMutabilityExclusionFilters: input.imageTagMutabilityExclusionFilters } }));
    const { DEFAULT_CREATE_SETTINGS } = await import('../../src/adapters/ecr.ts');
    const api = await createEcrApi({ region: 'eu-west-1', registryId: '123456789012', log: createMemoryLogger(), retry: fast });
    const { repository, created } = await api.ensureRepository('team/app', DEFAULT_CREATE_SETTINGS);
    expect(created).toBe(true);
    expect(ecrMock.commandCalls(CreateRepositoryCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'team/app', registryId: '123456789012', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'sha256-*.sig' }],
      imageScanningConfiguration: { scanOnPush: true }, encryptionConfiguration: { encryptionType: 'AES256' },
    });
    expect(repository.mutability).toEqual({ mode: 'IMMUTABLE_WITH_EXCLUSION', filters: ['sha256-*.sig'] });
  });

  it('a missing repository without create-repository fails naming the setting', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(new RepositoryNotFoundException({ message: 'nope', $metadata: {} }));
    const api = await createEcrApi({ region: 'us-east-2', log: createMemoryLogger(), retry: fast });
    await expect(api.ensureRepository('app', undefined)).rejects.toThrow(/"app" does not exist in region us-east-2: create it, or set create-repository: true/);
    expect(ecrMock.commandCalls(CreateRepositoryCommand)).toHaveLength(0);
  });

  it('a repository created concurrently (RepositoryAlreadyExists) is described and used', async () => {
    ecrMock.on(DescribeRepositoriesCommand)
      .rejectsOnce(new RepositoryNotFoundException({ message: 'nope', $metadata: {} }))
      .resolves({ repositories: [{ repositoryName: 'app', repositoryUri: 'u', registryId: '1', imageTagMutability: 'MUTABLE' }] });
    ecrMock.on(CreateRepositoryCommand).rejects(new RepositoryAlreadyExistsException({ message: 'exists', $metadata: {} }));
    const api = await createEcrApi({ region: 'eu-west-1', log: createMemoryLogger(), retry: fast });
    const { repository, created } = await api.ensureRepository('app', { mutability: 'IMMUTABLE', exclusionFilters: [], scanOnPush: true });
    expect(created).toBe(false);
    expect(repository.mutability.mode).toBe('MUTABLE');
  });

  it('missing AWS credentials give the OIDC hint, without retries', async () => {
    ecrMock.on(GetAuthorizationTokenCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const api = await createEcrApi({ region: 'eu-west-1', log: createMemoryLogger(), retry: fast });
    await expect(api.login()).rejects.toThrow(/no AWS credentials .*configure-aws-credentials with OIDC/);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
  });

  it('classifies errors', () => {
    expect(isRetryableEcrError(sdkError('ThrottlingException', 400))).toBe(true);
    expect(isRetryableEcrError(sdkError('ServerException', 500, 'server'))).toBe(true);
    expect(isRetryableEcrError(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }))).toBe(true);
    expect(isRetryableEcrError(sdkError('AccessDeniedException', 400))).toBe(false);
    expect(isRetryableEcrError(sdkError('AnyError', 403, 'server'))).toBe(false);
    expect(isRetryableEcrError(sdkError('InvalidParameterException', 400))).toBe(false);
    expect(isRetryableEcrError(sdkError('LimitExceededException', 400))).toBe(false); // a quota, not throttling
    expect(accessDeniedMessage('CreateRepository', sdkError('AccessDeniedException', 400), true)).toMatch(/ecr:CreateRepository/);
  });
});

describe('ECR API through the real SDK against a loopback fake of the AWS JSON 1.1 endpoint', () => {
  let restoreEnv: () => void;
  beforeAll(() => { restoreEnv = useFakeAwsEnv(); });
  afterAll(() => restoreEnv());
  let fake: Awaited<ReturnType<typeof startFakeEcr>>;
  afterEach(async () => fake?.stop());

  it.each([
    '123456789012.dkr.ecr.ap-southeast-2.amazonaws.com',
    '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com',
    '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn',
    '123456789012.dkr-ecr.eu-central-1.on.aws',
  ])('signs requests for the region parsed from %s (loopback fake)', async (host) => {
    fake = await startFakeEcr({ passwords: [PASSWORD], proxyHost: host });
    const parsed = parseEcrHost(host)!;
    const api = await createEcrApi({ region: parsed.region, endpoint: fake.endpoint, registryId: parsed.accountId, log: createMemoryLogger(), retry: fast });
    await api.login();
    expect(await api.describeRepository('app')).toBeUndefined(); // RepositoryNotFoundException mapped from __type
    expect(fake.calls.map((c) => c.operation)).toEqual(['GetAuthorizationToken', 'DescribeRepositories']);
    for (const call of fake.calls) expect(signedRegion(call.headers)).toBe(parsed.region);
    expect(fake.calls[1]!.body).toEqual({ repositoryNames: ['app'], registryId: '123456789012' });
  });

  it('retries ThrottlingException answered as HTTP 400 __type (loopback fake)', async () => {
    fake = await startFakeEcr({ passwords: [PASSWORD], proxyHost: 'h' });
    fake.faults.set('GetAuthorizationToken', [{ status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, { status: 503, type: 'ServiceUnavailableException' }]);
    const api = await createEcrApi({ region: 'eu-west-1', endpoint: fake.endpoint, log: createMemoryLogger(), retry: fast });
    expect((await api.login()).password).toBe(PASSWORD);
    expect(fake.calls.filter((c) => c.operation === 'GetAuthorizationToken')).toHaveLength(3);
  });

  it('does not retry AccessDeniedException (loopback fake)', async () => {
    fake = await startFakeEcr({ passwords: [PASSWORD], proxyHost: 'h' });
    fake.faults.set('CreateRepository', [{ status: 400, type: 'AccessDeniedException', message: 'User: arn:aws:sts::1:assumed-role/x is not authorized to perform: ecr:CreateRepository' }]);
    const api = await createEcrApi({ region: 'eu-west-1', endpoint: fake.endpoint, log: createMemoryLogger(), retry: fast });
    await expect(api.ensureRepository('app', { mutability: 'IMMUTABLE', exclusionFilters: [], scanOnPush: true })).rejects.toThrow(/ecr:CreateRepository.*Not retried/);
    expect(fake.calls.filter((c) => c.operation === 'CreateRepository')).toHaveLength(1);
  });
});
