import type { CliCommand } from '../command.ts';
import { resolveBuildConfig } from '../../domain/build-config.ts';
import type { BuildConfig } from '../../stages/build.ts';
import { runBuild } from '../../stages/build.ts';
import { buildRawFromArgv, EVENT_USAGE, POLICY_USAGE } from './tags.ts';

/**
 * The `BuildConfig` for `trunkline build` argv: flags named like action-build's inputs, resolved by
 * the same `resolveBuildConfig` (same defaults, same errors naming the input).
 */
export async function buildConfigFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<BuildConfig> {
  const { raw, extra } = await buildRawFromArgv(argv, env);
  return { ...resolveBuildConfig(raw, extra), cwd };
}

/** `trunkline build`: the build stage from argv; prints the `json` output to stdout. */
export const command: CliCommand = {
  name: 'build',
  stdoutOutput: 'json',
  summary: 'Lint (optional), tag and build an image with the best builder present',
  usage: `Usage: trunkline build --image REPOSITORY [options]

Options (the same names, forms and defaults as action-build's inputs):
  --image REF           repository without tag, e.g. 127.0.0.1:5000/sample-service (required)
  --context DIR         build context (default .)
  --dockerfile FILE     default <context>/Dockerfile
  --build-args K=V      repeatable
  --target STAGE        Dockerfile stage
  --network NET         build network, e.g. host
  --lint-command CMD    run before the build: words or a JSON array, never a shell string
  --platforms P[,P]     os/arch[/variant]; more than one needs buildx and --push true
  --cache-from SPEC     type=registry,ref=... | type=gha | ... (repeatable; buildx)
  --cache-to SPEC       (repeatable; buildx)
  --provenance V        true | false | mode=min | mode=max (buildx)
  --sbom true|false     SBOM attestation (buildx)
  --push true|false     push while building (default false: the sign stage pushes)
  --builder B           auto | buildx | buildkit | classic (default auto)

${EVENT_USAGE}

${POLICY_USAGE}`,
  async run(argv, log) {
    // Bad flags throw InputError before the stage: `main` exits 2 for bad usage.
    return runBuild(await buildConfigFromArgv(argv), log);
  },
};
