import { ECR_PUSH_ACTIONS, isEcrPublicHost, parseEcrHost } from '../domain/ecr-host.ts';
import { InputError } from '../domain/errors.ts';
import type { ImageRef } from '../domain/image-ref.ts';
import type { TagMutability } from '../domain/push-plan.ts';
import type { RegistryAccess } from '../domain/sign-config.ts';
import { createRegistryClient, RegistryError } from '../adapters/registry.ts';
import type { CredentialSource, RegistryClient, RegistryCredentials } from '../adapters/registry.ts';
import type { Logger } from '../report/logger.ts';

/**
 * The registry connection the sign and verify stages share: picks ECR (token from the default AWS
 * credential chain) or username/password auth, reads an ECR repository's tag mutability, and
 * builds the OCI registry client.
 */

export interface Connection {
  client: RegistryClient;
  mutability: TagMutability;
  /** True when the credentials come from ECR (a 403 then names IAM actions). */
  ecr: boolean;
  /** The credentials the registry last accepted (after a re-login, the fresh ones). */
  current(): RegistryCredentials | undefined;
}

/** Loopback registries speak plain HTTP by default (docker's insecure-registry default). */
export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(host);
}

/** ECR Public needs the ecr-public API (auth only in us-east-1): refused up front, naming the input. */
export function refuseEcrPublic(ref: ImageRef, input: string): void {
  if (ref.registry && isEcrPublicHost(ref.registry)) {
    throw new InputError(input, 'is on ECR Public (public.ecr.aws), which needs the ecr-public API in us-east-1; push to a private ECR registry, or give username and password');
  }
}

/** ECR auth: asked for (`ecr` settings), or implied by an ECR host when no username/password is given. */
export function usesEcr(host: string, cfg: Pick<RegistryAccess, 'registryAuth' | 'ecr'>): boolean {
  return cfg.ecr !== undefined || (parseEcrHost(host) !== undefined && !cfg.registryAuth);
}

/**
 * Connects to `ref`'s registry. With `forPush`, an ECR repository is described (and created when
 * asked) so its tag mutability is known; `notes` receives what a reviewer should read. Throws
 * `InputError` when ECR is used without a region, `EcrAccessError`/`Error` from the ECR API.
 */
export async function connectRegistry(ref: ImageRef, cfg: RegistryAccess & { tagMutability?: TagMutability }, log: Logger, forPush: boolean, notes: string[]): Promise<Connection> {
  const host = ref.registry!;
  const ecrHost = parseEcrHost(host);
  const insecure = cfg.insecure ?? isLoopbackHost(host);
  const ecrUsed = !cfg.registryAuth && usesEcr(host, cfg);
  let credentials: CredentialSource | undefined;
  let current: RegistryCredentials | undefined;
  let mutability: TagMutability = cfg.tagMutability ?? { mode: 'MUTABLE', filters: [] };

  if (cfg.registryAuth) {
    const auth = cfg.registryAuth;
    log.secret(auth.password);
    current = auth;
    credentials = async () => auth;
  } else if (ecrUsed) {
    const region = cfg.ecr?.region ?? ecrHost?.region;
    if (!region) throw new InputError('aws-region', `is required: ${host} is not an ECR host, so the region cannot be read from it`);
    const { createEcrApi, DEFAULT_CREATE_SETTINGS } = await import('../adapters/ecr.ts');
    const ecr = await createEcrApi({
      region, endpoint: cfg.ecr?.endpoint, registryId: ecrHost?.accountId, retry: cfg.retry, log,
      connectTimeoutMs: cfg.ecr?.connectTimeoutMs, requestTimeoutMs: cfg.ecr?.requestTimeoutMs,
    });
    const first = await ecr.login();
    current = first;
    log.info(`ECR token for ${first.proxyEndpoint} (region ${region}) obtained${first.expiresAt ? `, valid until ${first.expiresAt.toISOString()}` : ''}`);
    credentials = async (refresh) => {
      if (refresh) {
        current = await ecr.login();
        notes.push('The registry rejected the ECR token once; logged in again with a fresh token.');
      }
      return current;
    };
    if (forPush) {
      const create = cfg.ecr?.createRepository ? { ...DEFAULT_CREATE_SETTINGS, ...cfg.ecr.create } : undefined;
      const { repository, created } = await ecr.ensureRepository(ref.repository, create);
      mutability = repository.mutability;
      notes.push(`${created ? 'Created' : 'Using'} ECR repository ${repository.uri || ref.repository} (tags ${mutability.mode}${mutability.filters.length ? ` except ${mutability.filters.join(', ')}` : ''}).`);
    }
  }
  const client = createRegistryClient({ host, repository: ref.repository, insecure, credentials, log, retry: cfg.retry });
  return { client, mutability, ecr: ecrUsed, current: () => current };
}

/** The registry-side push actions: what a 403 from the ECR registry (not its API) points at. */
const ECR_REGISTRY_ACTIONS = ECR_PUSH_ACTIONS.filter((a) => a !== 'ecr:GetAuthorizationToken' && a !== 'ecr:DescribeRepositories');

/** Explains a registry error: a 403 on ECR lists the IAM actions the role needs. Returns the error to throw. */
export function explainRegistryError(error: unknown, ecr: boolean): Error {
  if (error instanceof RegistryError && error.status === 403 && ecr) {
    return new Error(`${error.message}. The role needs ${ECR_REGISTRY_ACTIONS.slice(0, -1).join(', ')} and ${ECR_REGISTRY_ACTIONS.at(-1)} on the repository (a missing InitiateLayerUpload often shows up as a bare EOF).`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
