import { join, resolve } from 'node:path';
import { InputError } from '../domain/errors.ts';
import type { RepoConfig, ServiceSettings, StageSection } from '../domain/repo-config.ts';
import { RepoConfigError } from '../domain/repo-config.ts';
import type { RawInputs } from '../domain/raw-inputs.ts';
import type { BumpConfig } from '../domain/bump-config.ts';
import { bumpConfigFromInputs } from '../domain/bump-config.ts';
import type { ScanConfig } from '../domain/scan-config.ts';
import { resolveScanConfig } from '../domain/scan-config.ts';
import type { VerifyMetricsConfig } from '../domain/verify-metrics-config.ts';
import { verifyMetricsConfigFromInputs } from '../domain/verify-metrics-config.ts';

/**
 * trunkline.yaml as the third door: a service's stage sections are raw inputs by action input
 * name, handed to each stage's one resolver (the same the action and the CLI call). A resolver's
 * `InputError` becomes a `RepoConfigError` on the service's line, so a value the schema lets
 * through but a stage refuses (an expectation that does not parse, `scanners: [foo]`) still
 * fails before any build, naming the file, the line, the section and the input.
 */

/** What only the pipeline knows when it resolves a service's stages. */
export interface ServiceStageContext {
  /** The image the probe runs (the build's image id); before the build, any reference. */
  image: string;
  /** The image repository the GitOps files name (what the bump matches). */
  repository: string;
  /** The tag and digest the bump writes; before signing, placeholders. */
  tag: string;
  digest?: string;
  /** The GitOps checkout the bump edits. */
  gitopsPath: string;
  /** Where reports of this service go: `<state>/reports/<service>`. */
  reportsDir: string;
  /** Raw values the local pipeline adds to the probe (host networking, HOST=127.0.0.1). */
  probeOverrides?: RawInputs;
  runId?: string;
}

export interface ServiceStageConfigs {
  scanFs: ScanConfig;
  /** Undefined when the service has `metrics: false` (its probe is readiness only). */
  verifyMetrics?: VerifyMetricsConfig;
  /** Undefined when the service names no GitOps files: it is published, not deployed. */
  bump?: BumpConfig;
}

function onServiceLine<T>(cfg: RepoConfig, service: ServiceSettings, section: StageSection, resolveSection: () => T): T {
  try {
    return resolveSection();
  } catch (error) {
    if (!(error instanceof InputError) || error instanceof RepoConfigError) throw error;
    throw new RepoConfigError(cfg.file, [{ line: service.line, col: 3, at: `services.${service.name}.${section}`, message: `services.${service.name}.${section}: ${error.message}` }]);
  }
}

/**
 * Resolves one service's fs scan, probe and bump through the stages' resolvers. Throws
 * `RepoConfigError` (docs/errors.md, `config-invalid`) on the service's line for any input a
 * resolver refuses; relative paths resolve against the config file's directory.
 */
export function resolveServiceStages(cfg: RepoConfig, service: ServiceSettings, ctx: ServiceStageContext): ServiceStageConfigs {
  const context = resolve(cfg.root, service.context);
  const scanFs = onServiceLine(cfg, service, 'scan', () => resolveScanConfig(
    { ...service.inputs.scan, 'scan-type': 'fs', 'scan-ref': context },
    { cwd: cfg.root, defaultOutputDir: join(ctx.reportsDir, 'fs'), defaultIgnoreFiles: [] },
  ));
  const verifyMetrics = service.metrics
    ? onServiceLine(cfg, service, 'verify-metrics', () => verifyMetricsConfigFromInputs(
      { ...service.inputs['verify-metrics'], ...ctx.probeOverrides, image: ctx.image },
      { runId: ctx.runId ?? 'local', outputDir: join(ctx.reportsDir, 'metrics') },
    ))
    : undefined;
  const bump = service.inputs.bump.files === undefined ? undefined : onServiceLine(cfg, service, 'bump', () => bumpConfigFromInputs({
    ...service.inputs.bump,
    path: ctx.gitopsPath,
    image: service.inputs.bump.image ?? ctx.repository,
    tag: ctx.tag,
    ...(ctx.digest ? { digest: ctx.digest } : {}),
  }));
  return { scanFs, ...(verifyMetrics ? { verifyMetrics } : {}), ...(bump ? { bump } : {}) };
}

/**
 * Resolves every service of `services` with placeholder image, tag and digest, so bad stage
 * inputs fail before anything is built. Throws one `RepoConfigError` listing every service's
 * problem (a service stops at its first).
 */
export function checkServiceInputs(cfg: RepoConfig, services: readonly ServiceSettings[], stateDir: string): void {
  const problems = services.flatMap((service) => {
    try {
      check(cfg, service, stateDir);
      return [];
    } catch (error) {
      if (error instanceof RepoConfigError) return [...error.problems];
      throw error;
    }
  });
  if (problems.length) throw new RepoConfigError(cfg.file, problems);
}

function check(cfg: RepoConfig, service: ServiceSettings, stateDir: string): void {
  resolveServiceStages(cfg, service, {
    image: `${service.image}:pending`,
    repository: service.image,
    tag: 'pending',
    gitopsPath: join(stateDir, 'flux'),
    reportsDir: join(stateDir, 'reports', service.name),
  });
}
