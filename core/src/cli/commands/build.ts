import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { InputError } from '../../domain/errors.ts';
import { parseBuildArgs, parseCommand } from '../../domain/build-options.ts';
import { BUILDER_PREFERENCES } from '../../adapters/docker-build.ts';
import type { BuildConfig } from '../../stages/build.ts';
import { runBuild } from '../../stages/build.ts';
import { EVENT_USAGE, eventFlags, eventFromFlags, oneOf, POLICY_USAGE, policyFlags, policyFromFlags } from './tags.ts';

const flags = {
  ...eventFlags,
  ...policyFlags,
  image: { type: 'string' },
  context: { type: 'string' },
  dockerfile: { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  target: { type: 'string' },
  network: { type: 'string' },
  'lint-command': { type: 'string' },
  platforms: { type: 'string' },
  'cache-from': { type: 'string', multiple: true },
  'cache-to': { type: 'string', multiple: true },
  provenance: { type: 'string' },
  sbom: { type: 'boolean' },
  push: { type: 'boolean' },
  builder: { type: 'string' },
} as const;

/** The `BuildConfig` for `trunkline build` argv (the same validation as action-build's context). */
export function buildConfigFromArgv(argv: string[]): BuildConfig {
  const { values } = parseFlags(argv, flags);
  if (!values.image) throw new InputError('--image', 'is required: the repository without tag, e.g. 127.0.0.1:5000/sample-service');
  const builder = oneOf(values.builder, BUILDER_PREFERENCES, '--builder') ?? 'auto';
  const event = eventFromFlags(values);
  const lint = values['lint-command'] ? parseCommand(values['lint-command'], '--lint-command') : [];
  const cfg: BuildConfig = {
    context: values.context ?? '.',
    image: values.image,
    tagPolicy: policyFromFlags(values),
    buildArgs: parseBuildArgs(values['build-arg'] ?? [], '--build-arg'),
    platforms: (values.platforms ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    cacheFrom: values['cache-from'] ?? [],
    cacheTo: values['cache-to'] ?? [],
    push: values.push ?? false,
    builder,
  };
  if (event) cfg.event = event;
  if (values.dockerfile) cfg.dockerfile = values.dockerfile;
  if (values.target) cfg.target = values.target;
  if (values.network) cfg.network = values.network;
  if (lint.length) cfg.lintCommand = lint;
  if (values.provenance) cfg.provenance = values.provenance;
  if (values.sbom !== undefined) cfg.sbom = values.sbom;
  return cfg;
}

/** `trunkline build`: the build stage from argv; prints the `json` output to stdout. */
export const command: CliCommand = {
  name: 'build',
  summary: 'Lint (optional), tag and build an image with the best builder present',
  usage: `Usage: trunkline build --image REPOSITORY [options]

  --image REF           repository without tag, e.g. 127.0.0.1:5000/sample-service (required)
  --context DIR         build context (default .)
  --dockerfile FILE     default <context>/Dockerfile
  --build-arg K=V       repeatable
  --target STAGE        Dockerfile stage
  --network NET         build network, e.g. host
  --lint-command CMD    run before the build: words or a JSON array, never a shell string
  --platforms P[,P]     os/arch[/variant]; more than one needs buildx and --push
  --cache-from SPEC     type=registry,ref=... | type=gha | ... (repeatable; buildx)
  --cache-to SPEC       (repeatable; buildx)
  --provenance V        true | false | mode=min | mode=max (buildx)
  --sbom                SBOM attestation (buildx)
  --push                push while building (default: the sign stage pushes)
  --builder B           auto | buildx | buildkit | classic (default auto)

${EVENT_USAGE}

${POLICY_USAGE}`,
  async run(argv, log) {
    const result = await runBuild(buildConfigFromArgv(argv), log);
    process.stdout.write(`${JSON.stringify(result.outputs.json, null, 2)}\n`);
    return result;
  },
};
