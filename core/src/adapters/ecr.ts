import type { ECRClient } from '@aws-sdk/client-ecr';
import { ECR_CREATE_ACTIONS, ECR_PUSH_ACTIONS, COSIGN_SIG_TAG_FILTER } from '../domain/ecr-host.ts';
import type { TagMutability, TagMutabilityMode } from '../domain/push-plan.ts';
import type { Logger } from '../report/logger.ts';
import type { RegistryCredentials } from './registry.ts';
import type { RetryPolicy } from './retry.ts';
import { DEFAULT_RETRY, isTransientNetworkError, withRetry } from './retry.ts';

/**
 * Amazon ECR control plane through `@aws-sdk/client-ecr` (API reference: GetAuthorizationToken,
 * DescribeRepositories, CreateRepository). The SDK is imported lazily, so actions that never touch
 * ECR do not pay its load time.
 *
 * - Credentials only from the SDK's default provider chain (OIDC web identity, container or instance
 *   profile, env) — Trunkline has no access-key inputs.
 * - The region is always explicit (parsed from the registry host by the caller).
 * - The SDK's own retries are off (`maxAttempts: 1`); `withRetry` retries throttling, 5xx and
 *   transport errors with backoff, and never an authorization failure, which instead names the IAM
 *   actions the role needs.
 */

export interface EcrOptions {
  region: string;
  /** API endpoint override (a loopback fake in tests). The SDK also honours `AWS_ENDPOINT_URL_ECR`. */
  endpoint?: string;
  /** Owning account for cross-account repositories (the 12 digits of the registry host). */
  registryId?: string;
  retry?: RetryPolicy;
  log: Logger;
  /** A ready client (tests with aws-sdk-client-mock); default: a new `ECRClient`. */
  client?: ECRClient;
  /** Per attempt: time to connect, ms (default `ECR_TIMEOUTS.connectTimeoutMs`). */
  connectTimeoutMs?: number;
  /** Per attempt: time for the whole request and response, ms (default `ECR_TIMEOUTS.requestTimeoutMs`). */
  requestTimeoutMs?: number;
}

/**
 * Per-attempt limits of every ECR API call (small JSON requests that normally answer within a
 * second). An API that never answers then costs at most `attempts × (connect + request)` plus the
 * backoff waits, instead of hanging the job: with `DEFAULT_RETRY` (5 attempts, waits of at most
 * 0.5 + 1 + 2 + 4 s) that is 5 × 20 s + 7.5 s ≈ 110 s.
 */
export const ECR_TIMEOUTS = { connectTimeoutMs: 5_000, requestTimeoutMs: 15_000 } as const;

/** The API endpoint a call goes to, for error messages: the override, or the regional default. */
export function ecrEndpoint(region: string, endpoint?: string): string {
  return endpoint ?? `https://api.ecr.${region}.amazonaws.com`;
}

export interface EcrLogin extends RegistryCredentials {
  /** `https://<account>.dkr.ecr.<region>.amazonaws.com` as returned by the API. */
  proxyEndpoint: string;
  expiresAt?: Date;
}

export interface EcrRepository {
  name: string;
  uri: string;
  registryId: string;
  mutability: TagMutability;
  scanOnPush: boolean;
}

/** Settings for a repository Trunkline creates. */
export interface EcrCreateSettings {
  /** Default `IMMUTABLE_WITH_EXCLUSION`, so release tags cannot move but cosign's `.sig` tags can. */
  mutability: TagMutabilityMode;
  /** Default `['sha256-*.sig']`; ECR allows at most 5 `WILDCARD` filters of `[0-9a-zA-Z._*-]`. */
  exclusionFilters: string[];
  scanOnPush: boolean;
}

export const DEFAULT_CREATE_SETTINGS: EcrCreateSettings = { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: [COSIGN_SIG_TAG_FILTER], scanOnPush: true };

/** ECR refused the call for lack of permission or credentials; retrying cannot help. */
export class EcrAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EcrAccessError';
  }
}

export interface EcrApi {
  /** GetAuthorizationToken → `AWS` + password; masks the token and the password before returning. */
  login(): Promise<EcrLogin>;
  describeRepository(name: string): Promise<EcrRepository | undefined>;
  /** Describes `name`; when absent, creates it with `create` (or throws when `create` is undefined). */
  ensureRepository(name: string, create: EcrCreateSettings | undefined): Promise<{ repository: EcrRepository; created: boolean }>;
}

type SdkError = Error & { $metadata?: { httpStatusCode?: number }; $fault?: string; $retryable?: unknown };

const THROTTLING = new Set(['ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown', 'ProvisionedThroughputExceededException']);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'InvalidClientTokenId', 'NotAuthorized']);

/** Throttling, 5xx, or a transport failure: worth another attempt. */
export function isRetryableEcrError(error: unknown): boolean {
  const e = error as SdkError;
  if (!(error instanceof Error)) return false;
  if (DENIED.has(e.name) || e.$metadata?.httpStatusCode === 403) return false;
  if (THROTTLING.has(e.name) || e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  return isTransientNetworkError(error);
}

/** The sentence for a refused call: what was refused and every IAM action the role needs. */
export function accessDeniedMessage(operation: string, error: Error, creating: boolean): string {
  const actions = [...ECR_PUSH_ACTIONS, ...(creating ? ECR_CREATE_ACTIONS : [])];
  return `ECR refused ${operation} (${error.name}: ${error.message}). The role needs these IAM actions on the repository (ecr:GetAuthorizationToken on "*"): ${actions.join(', ')}. Not retried: more attempts cannot fix a permission.`;
}

function mutabilityOf(repo: { imageTagMutability?: string; imageTagMutabilityExclusionFilters?: { filter?: string }[] }): TagMutability {
  return {
    mode: (repo.imageTagMutability as TagMutabilityMode | undefined) ?? 'MUTABLE',
    filters: (repo.imageTagMutabilityExclusionFilters ?? []).flatMap((f) => (f.filter ? [f.filter] : [])),
  };
}

/**
 * Creates the ECR API wrapper (loading the SDK now). Calls are retried per `retry`
 * (default 5 attempts) and translated: permission errors → `EcrAccessError` listing IAM actions;
 * missing credentials → an `EcrAccessError` saying how to provide them.
 */
export async function createEcrApi(options: EcrOptions): Promise<EcrApi> {
  const sdk = await import('@aws-sdk/client-ecr');
  const connectTimeoutMs = options.connectTimeoutMs ?? ECR_TIMEOUTS.connectTimeoutMs;
  const requestTimeoutMs = options.requestTimeoutMs ?? ECR_TIMEOUTS.requestTimeoutMs;
  const client = options.client ?? new sdk.ECRClient({
    region: options.region,
    maxAttempts: 1,
    // The SDK's handler has no timeouts by default: an endpoint that accepts and never answers hangs forever.
    requestHandler: { connectionTimeout: connectTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const log = options.log;
  const registryId = options.registryId;
  const endpoint = ecrEndpoint(options.region, options.endpoint);
  let creating = false;

  async function call<T>(operation: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const policy = options.retry ?? DEFAULT_RETRY;
    let attempts = 0;
    try {
      return await withRetry(() => {
        attempts++;
        // A hard bound per attempt as well, whatever the handler does with its own timeouts.
        return send(AbortSignal.timeout(connectTimeoutMs + requestTimeoutMs));
      }, { ...policy, what: `ECR ${operation}`, isRetryable: isRetryableEcrError, log });
    } catch (error) {
      const e = error as SdkError;
      if (isTransientNetworkError(error)) {
        throw new Error(`ECR ${operation} at ${endpoint} got no answer after ${attempts} attempt(s), each limited to ${connectTimeoutMs} ms to connect and ${requestTimeoutMs} ms in all (${e.name}: ${e.message}). Check the network path to the endpoint (proxy, VPC endpoint, firewall) and AWS_ENDPOINT_URL_ECR.`, { cause: error });
      }
      if (e.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
        throw new EcrAccessError(`no AWS credentials for ECR ${operation}: configure a role for the job (aws-actions/configure-aws-credentials with OIDC, \`permissions: id-token: write\`) or run on an instance/container with a role (${e.message})`);
      }
      if (DENIED.has(e.name) || e.$metadata?.httpStatusCode === 403) throw new EcrAccessError(accessDeniedMessage(operation, e, creating));
      throw error;
    }
  }

  async function describeRepository(name: string): Promise<EcrRepository | undefined> {
    try {
      const out = await call('DescribeRepositories', (abortSignal) => client.send(new sdk.DescribeRepositoriesCommand({ repositoryNames: [name], ...(registryId ? { registryId } : {}) }), { abortSignal }));
      const r = out.repositories?.[0];
      if (!r) return undefined;
      return { name, uri: r.repositoryUri ?? '', registryId: r.registryId ?? registryId ?? '', mutability: mutabilityOf(r), scanOnPush: r.imageScanningConfiguration?.scanOnPush ?? false };
    } catch (error) {
      if ((error as Error).name === 'RepositoryNotFoundException') return undefined;
      throw error;
    }
  }

  return {
    async login() {
      const out = await call('GetAuthorizationToken', (abortSignal) => client.send(new sdk.GetAuthorizationTokenCommand({}), { abortSignal }));
      const data = out.authorizationData?.[0];
      if (!data?.authorizationToken || !data.proxyEndpoint) throw new Error('ECR GetAuthorizationToken returned no authorization data');
      // Mask both forms before anything can print them (the runner only hides exact matches).
      log.secret(data.authorizationToken);
      const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new Error('ECR authorization token is not base64 of "user:password"');
      const password = decoded.slice(colon + 1);
      log.secret(password);
      log.secret(decoded);
      return { username: decoded.slice(0, colon), password, proxyEndpoint: data.proxyEndpoint, expiresAt: data.expiresAt };
    },

    describeRepository,

    async ensureRepository(name, create) {
      const found = await describeRepository(name);
      if (found) return { repository: found, created: false };
      if (!create) {
        throw new Error(`ECR repository "${name}" does not exist in ${registryId ? `account ${registryId}, ` : ''}region ${options.region}: create it, or set create-repository: true`);
      }
      creating = true;
      try {
        const out = await call('CreateRepository', (abortSignal) => client.send(new sdk.CreateRepositoryCommand({
          repositoryName: name,
          ...(registryId ? { registryId } : {}),
          imageTagMutability: create.mutability,
          ...(create.exclusionFilters.length && create.mutability.endsWith('_WITH_EXCLUSION')
            ? { imageTagMutabilityExclusionFilters: create.exclusionFilters.map((filter) => ({ filterType: 'WILDCARD' as const, filter })) }
            : {}),
          imageScanningConfiguration: { scanOnPush: create.scanOnPush },
          encryptionConfiguration: { encryptionType: 'AES256' },
        }), { abortSignal }));
        const r = out.repository;
        log.info(`created ECR repository ${r?.repositoryUri ?? name} (${create.mutability}${create.exclusionFilters.length ? ` except ${create.exclusionFilters.join(', ')}` : ''}, scan on push ${create.scanOnPush})`);
        return {
          repository: { name, uri: r?.repositoryUri ?? '', registryId: r?.registryId ?? registryId ?? '', mutability: r ? mutabilityOf(r) : { mode: create.mutability, filters: create.exclusionFilters }, scanOnPush: create.scanOnPush },
          created: true,
        };
      } catch (error) {
        // Another job created it between our describe and create: use what is there.
        if ((error as Error).name === 'RepositoryAlreadyExistsException') {
          const again = await describeRepository(name);
          if (again) return { repository: again, created: false };
        }
        throw error;
      } finally {
        creating = false;
      }
    },
  };
}
