import type { CliCommand } from '../command.ts';
import { resolveSignInputs, SIGN_INPUT_NAMES } from '../../domain/sign-config.ts';
import type { SignConfig } from '../../domain/sign-config.ts';
import { runSignAndPush } from '../../stages/sign.ts';
import { rawSignInputsFromArgv } from './sign-door.ts';

/**
 * The `SignConfig` for `trunkline sign` argv, through action-sign's one resolver. `--event` (the
 * runner's `GITHUB_EVENT_NAME`, default that variable or `local`) feeds the privileged-event guard.
 */
export async function signConfigFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<SignConfig> {
  const { raw, values } = await rawSignInputsFromArgv(argv, SIGN_INPUT_NAMES, { event: { type: 'string' } }, { env, stdin: process.stdin });
  const eventName = (values.event as string | undefined) ?? env.GITHUB_EVENT_NAME ?? 'local';
  const resolved = resolveSignInputs({ ...raw, mode: 'sign' }, { eventName, ...(env.RUNNER_TEMP ? { workDir: env.RUNNER_TEMP } : {}) });
  if (resolved.mode !== 'sign') throw new Error('unreachable: mode is sign');
  return resolved.sign;
}

/** `trunkline sign`: sign the built image's digest, verify, then push it and its tags. */
export const command: CliCommand = {
  name: 'sign',
  summary: 'Sign the image digest (cosign format), verify it, then push image, tags and signature',
  usage: `Usage: trunkline sign --image ID --repository REPO [options]

Options are action-sign's inputs, with the same names, forms and defaults:
  --image ID|REF                the built local image (id or reference) (required)
  --repository REPO             target without tag, e.g. 127.0.0.1:5000/sample-service (required)
  --tags T                      tags to point at the signed digest (repeatable, or comma separated)
  --private-key FILE            PEM private key (P-256); passphrase from TRUNKLINE_KEY_PASSPHRASE.
                                Without it: an ephemeral key pair (warned) and the public key printed
  --public-key FILE             verify with this SPKI PEM before pushing (default: from the private key)
  --registry-type T             auto | ecr | basic (default auto)
  --username U                  registry user (default $TRUNKLINE_REGISTRY_USERNAME); the password
  --password-stdin              on stdin, or from TRUNKLINE_REGISTRY_PASSWORD (never on the command line)
  --aws-region R                ECR region (default: from the host)
  --create-repository true      create a missing ECR repository (default false)
  --tag-mutability MODE         MUTABLE | IMMUTABLE | IMMUTABLE_WITH_EXCLUSION | MUTABLE_WITH_EXCLUSION
  --tag-mutability-exclusions F wildcard tag filter (repeatable, at most 5), e.g. 'sha256-*.sig'
  --signature-file F            where to write the record (default image.signature)
  --annotations K=V             claim in the payload's optional section (repeatable)
  --push false                  sign and verify only (default true)
  --docker-login false          do not docker login after the push (default true; password on stdin)
  --insecure-registry true      plain HTTP (default only for 127.0.0.1/localhost)
  --allow-privileged-event true sign on pull_request_target / workflow_run / issue_comment
  --event NAME                  event name for that guard (default $GITHUB_EVENT_NAME or local)
  --json                        print the outputs (digest, image-ref, ...) as JSON on stdout`,
  async run(argv, log) {
    return runSignAndPush(await signConfigFromArgv(argv), log);
  },
};
