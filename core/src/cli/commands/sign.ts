import { readFileSync } from 'node:fs';
import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { InputError } from '../../domain/errors.ts';
import { parseAnnotations } from '../../domain/signature.ts';
import { parseTagMutability } from '../../domain/push-plan.ts';
import { validateTag } from '../../domain/image-ref.ts';
import type { RegistryCredentials } from '../../adapters/registry.ts';
import type { EcrConfig, SignConfig } from '../../stages/sign.ts';
import { runSignAndPush } from '../../stages/sign.ts';

/**
 * `trunkline sign`: the same SignConfig action-sign's context builds, from argv. Secrets never come
 * from argv (they would show in `ps`): the registry password from `--password-stdin` or
 * `TRUNKLINE_REGISTRY_PASSWORD`, the key passphrase from `TRUNKLINE_KEY_PASSPHRASE`, keys from files.
 */
const flags = {
  image: { type: 'string' },
  repository: { type: 'string' },
  tag: { type: 'string', multiple: true },
  tags: { type: 'string' },
  key: { type: 'string' },
  'public-key': { type: 'string' },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'signature-file': { type: 'string' },
  annotation: { type: 'string', multiple: true },
  'aws-region': { type: 'string' },
  ecr: { type: 'boolean' },
  'create-repository': { type: 'boolean' },
  'tag-mutability': { type: 'string' },
  'mutability-exclusion': { type: 'string', multiple: true },
  insecure: { type: 'boolean' },
  'no-push': { type: 'boolean' },
  'docker-login': { type: 'boolean' },
  event: { type: 'string' },
  'allow-privileged-event': { type: 'boolean' },
} as const;

export const DEFAULT_SIGNATURE_FILE = '.trunkline/image.signature';

/** Reads a PEM file named by a flag; `InputError` naming the flag when unreadable. */
export function readPemFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(flag, `names a file that cannot be read: ${(error as Error).message}`);
  }
}

/** Registry credentials from `--username` + (`--password-stdin` | TRUNKLINE_REGISTRY_PASSWORD), or the env pair. */
export async function credentialsFromCli(username: string | undefined, passwordStdin: boolean | undefined): Promise<RegistryCredentials | undefined> {
  const user = username ?? process.env.TRUNKLINE_REGISTRY_USERNAME;
  let password = process.env.TRUNKLINE_REGISTRY_PASSWORD;
  if (passwordStdin) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  if (!user && !password) return undefined;
  if (!user) throw new InputError('--username', 'is required with a password (or set TRUNKLINE_REGISTRY_USERNAME)');
  if (!password) throw new InputError('--password-stdin', 'or TRUNKLINE_REGISTRY_PASSWORD is required with --username');
  return { username: user, password };
}

/** ECR settings from flags; `undefined` when none were given (an ECR host still selects ECR). */
export function ecrFromFlags(values: { ecr?: boolean; 'aws-region'?: string; 'create-repository'?: boolean }, mutability?: SignConfig['tagMutability']): EcrConfig | undefined {
  if (!values.ecr && !values['aws-region'] && !values['create-repository']) return undefined;
  const ecr: EcrConfig = {};
  if (values['aws-region']) ecr.region = values['aws-region'];
  if (values['create-repository']) ecr.createRepository = true;
  if (mutability && mutability.mode !== 'MUTABLE') ecr.create = { mutability: mutability.mode, exclusionFilters: mutability.filters };
  return ecr;
}

/** The `SignConfig` for `trunkline sign` argv. */
export async function signConfigFromArgv(argv: string[]): Promise<SignConfig> {
  const { values } = parseFlags(argv, flags);
  if (!values.image) throw new InputError('--image', 'is required: the built image id or a reference the local daemon knows');
  if (!values.repository) throw new InputError('--repository', 'is required, e.g. 127.0.0.1:5000/sample-service');
  const tags = [...(values.tag ?? []), ...(values.tags ?? '').split(',')].map((t) => t.trim()).filter(Boolean).map((t) => validateTag(t, '--tag'));
  const mutability = values['tag-mutability'] || values['mutability-exclusion']
    ? parseTagMutability(values['tag-mutability'], values['mutability-exclusion'] ?? [], '--tag-mutability', '--mutability-exclusion')
    : undefined;
  const cfg: SignConfig = {
    image: values.image,
    repository: values.repository,
    tags,
    signatureFile: values['signature-file'] ?? DEFAULT_SIGNATURE_FILE,
    annotations: parseAnnotations(values.annotation ?? [], '--annotation'),
    push: !values['no-push'],
    dockerLogin: values['docker-login'] ?? false,
    eventName: values.event ?? process.env.GITHUB_EVENT_NAME ?? 'local',
    allowUntrustedEvent: values['allow-privileged-event'] ?? false,
  };
  if (values.key) cfg.privateKey = readPemFile(values.key, '--key');
  if (process.env.TRUNKLINE_KEY_PASSPHRASE) cfg.passphrase = process.env.TRUNKLINE_KEY_PASSPHRASE;
  if (values['public-key']) cfg.publicKey = readPemFile(values['public-key'], '--public-key');
  const auth = await credentialsFromCli(values.username, values['password-stdin']);
  if (auth) cfg.registryAuth = auth;
  const ecr = ecrFromFlags(values, mutability);
  if (ecr) cfg.ecr = ecr;
  if (mutability) cfg.tagMutability = mutability;
  if (values.insecure !== undefined) cfg.insecure = values.insecure;
  return cfg;
}

/** `trunkline sign`: sign the built image's digest, verify, then push it and its tags. */
export const command: CliCommand = {
  name: 'sign',
  summary: 'Sign the image digest (cosign format), verify it, then push image, tags and signature',
  usage: `Usage: trunkline sign --image ID --repository REPO [options]

  --image ID|REF            the built local image (id or reference) (required)
  --repository REPO         target without tag, e.g. 127.0.0.1:5000/sample-service (required)
  --tag T / --tags a,b      tags to point at the signed digest (repeatable)
  --key FILE                PEM private key (P-256); passphrase from TRUNKLINE_KEY_PASSPHRASE.
                            Without it: an ephemeral key pair (warned) and the public key printed
  --public-key FILE         verify with this SPKI PEM before pushing (default: from --key)
  --username U              registry user; password via --password-stdin or
  --password-stdin          TRUNKLINE_REGISTRY_PASSWORD (never on the command line)
  --signature-file F        where to write the record (default ${DEFAULT_SIGNATURE_FILE})
  --annotation K=V          claim in the payload's optional section (repeatable)
  --ecr                     use ECR auth (implied for ECR hosts without --username)
  --aws-region R            ECR region (default: from the host)
  --create-repository       create a missing ECR repository
  --tag-mutability MODE     MUTABLE | IMMUTABLE | IMMUTABLE_WITH_EXCLUSION | MUTABLE_WITH_EXCLUSION
  --mutability-exclusion F  wildcard tag filter (repeatable, at most 5), e.g. 'sha256-*.sig'
  --insecure                plain HTTP (default only for 127.0.0.1/localhost)
  --no-push                 sign and verify only
  --docker-login            also docker login (password on stdin) for later commands
  --event NAME              event name for the trust guard (default $GITHUB_EVENT_NAME or local)
  --allow-privileged-event  sign on pull_request_target / workflow_run / issue_comment`,
  async run(argv, log) {
    return runSignAndPush(await signConfigFromArgv(argv), log);
  },
};
