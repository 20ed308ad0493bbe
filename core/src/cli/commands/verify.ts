import type { CliCommand } from '../command.ts';
import { resolveSignInputs, VERIFY_INPUT_NAMES } from '../../domain/sign-config.ts';
import type { VerifyConfig } from '../../domain/sign-config.ts';
import { runVerify } from '../../stages/verify.ts';
import { rawSignInputsFromArgv } from './sign-door.ts';

/** The `VerifyConfig` for `trunkline verify` argv, through action-sign's one resolver (`mode: verify`). */
export async function verifyConfigFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<VerifyConfig> {
  const { raw } = await rawSignInputsFromArgv(argv, VERIFY_INPUT_NAMES, {}, { env, stdin: process.stdin });
  const resolved = resolveSignInputs({ ...raw, mode: 'verify' });
  if (resolved.mode !== 'verify') throw new Error('unreachable: mode is verify');
  return resolved.verify;
}

/** `trunkline verify`: check a signature file and/or the registry's `.sig` against a public key and digest. */
export const command: CliCommand = {
  name: 'verify',
  summary: 'Verify an image signature (file or registry) against a public key and a digest',
  usage: `Usage: trunkline verify --public-key FILE (--signature-file F --digest D | --image-ref REF) [options]

Options are action-sign's inputs in mode verify, with the same names and forms:
  --public-key FILE         trusted SPKI PEM (required; the key inside a signature file is never trusted)
  --signature-file F        an image.signature record to check offline
  --digest D                sha256:<hex> the signature must be for
  --image-ref REF           repo@sha256:… or repo:tag: check the registry's sha256-<hex>.sig
  --annotations K=V         claim the payload must carry (repeatable)
  --registry-type T         auto | ecr | basic (default auto)
  --username U              registry user (default $TRUNKLINE_REGISTRY_USERNAME); the password on
  --password-stdin          stdin, or from TRUNKLINE_REGISTRY_PASSWORD
  --aws-region R            ECR region (default: from the host)
  --insecure-registry true  plain HTTP (default only for 127.0.0.1/localhost)
  --json                    print the outputs as JSON on stdout`,
  async run(argv, log) {
    return runVerify(await verifyConfigFromArgv(argv), log);
  },
};
