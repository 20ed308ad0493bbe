import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { InputError } from '../../domain/errors.ts';
import { parseAnnotations } from '../../domain/signature.ts';
import type { VerifyConfig } from '../../stages/sign.ts';
import { runVerify } from '../../stages/sign.ts';
import { credentialsFromCli, ecrFromFlags, readPemFile } from './sign.ts';

const flags = {
  'public-key': { type: 'string' },
  'signature-file': { type: 'string' },
  'image-ref': { type: 'string' },
  digest: { type: 'string' },
  annotation: { type: 'string', multiple: true },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  ecr: { type: 'boolean' },
  'aws-region': { type: 'string' },
  insecure: { type: 'boolean' },
} as const;

/** The `VerifyConfig` for `trunkline verify` argv. */
export async function verifyConfigFromArgv(argv: string[]): Promise<VerifyConfig> {
  const { values } = parseFlags(argv, flags);
  if (!values['public-key']) throw new InputError('--public-key', 'is required: the trusted SPKI PEM file (cosign.pub)');
  const cfg: VerifyConfig = { publicKey: readPemFile(values['public-key'], '--public-key') };
  if (values['signature-file']) cfg.signatureFile = values['signature-file'];
  if (values['image-ref']) cfg.imageRef = values['image-ref'];
  if (values.digest) cfg.digest = values.digest;
  if (values.annotation?.length) cfg.annotations = parseAnnotations(values.annotation, '--annotation');
  const auth = await credentialsFromCli(values.username, values['password-stdin']);
  if (auth) cfg.registryAuth = auth;
  const ecr = ecrFromFlags(values);
  if (ecr) cfg.ecr = ecr;
  if (values.insecure !== undefined) cfg.insecure = values.insecure;
  return cfg;
}

/** `trunkline verify`: check a signature file and/or the registry's `.sig` against a public key and digest. */
export const command: CliCommand = {
  name: 'verify',
  summary: 'Verify an image signature (file or registry) against a public key and a digest',
  usage: `Usage: trunkline verify --public-key FILE (--signature-file F --digest D | --image-ref REF) [options]

  --public-key FILE     trusted SPKI PEM (required; the key inside a signature file is never trusted)
  --signature-file F    an image.signature record to check offline
  --digest D            sha256:<hex> the signature must be for
  --image-ref REF       repo@sha256:… or repo:tag: check the registry's sha256-<hex>.sig
  --annotation K=V      claim the payload must carry (repeatable)
  --username U          registry user; password via --password-stdin or TRUNKLINE_REGISTRY_PASSWORD
  --password-stdin
  --ecr / --aws-region  ECR auth (implied for ECR hosts)
  --insecure            plain HTTP (default only for 127.0.0.1/localhost)`,
  async run(argv, log) {
    return runVerify(await verifyConfigFromArgv(argv), log);
  },
};
