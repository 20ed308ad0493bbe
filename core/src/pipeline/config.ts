import { resolve } from 'node:path';
import { InputError } from '../domain/errors.ts';
import { SEVERITIES } from '../domain/trivy-report.ts';
import type { Severity } from '../domain/trivy-report.ts';
import type { ScanPolicy } from '../domain/scan-config.ts';
import { DEFAULT_EXPECTATION } from '../domain/verify-metrics-config.ts';

/**
 * What `trunkline pipeline` runs. Every field has a local default (the sample service, a
 * registry on 127.0.0.1:5000, a bare Flux repository under `.trunkline/`), so the main job
 * needs no flags at all.
 */
export interface PipelineConfig {
  /** Repository root; relative paths below resolve against it. */
  root: string;
  /** The service to deliver (build context, Dockerfile, deploy/ with the GitOps files). */
  serviceDir: string;
  /** Repository name of the image in the registry, e.g. `sample-service`. */
  imageName: string;
  /** State: registry storage, Flux repository, signing key, reports, `summary.json`. */
  stateDir: string;
  /** Registry port on 127.0.0.1 (started when nothing answers there). */
  registryPort: number;
  /** Lint command (argv, run in `serviceDir`); empty skips the stage. */
  lintCommand: string[];
  /** Gate these Trivy JSON reports instead of running Trivy (fixtures, or reports made elsewhere). */
  fsReport?: string;
  imageReport?: string;
  failOn: Severity;
  /**
   * Without Trivy: `optional` (the local default: an offline machine cannot install it) skips the
   * scans, marks them "not scanned" in the summary and in the signature's claims; `required` fails.
   */
  scanPolicy: ScanPolicy;
  /** Expectations for the metrics probe (one per line of the language in expectations.ts). */
  expectations: string[];
  /** Where the service's deploy files live inside the Flux repository. */
  fluxAppDir: string;
  /** GitOps files to bump, relative to the Flux repository root. */
  bumpFiles: string[];
  /** Branch the bump commits to (created from main when absent). */
  bumpBranch: string;
}

/** The embedded local defaults for the repository at `root`, keeping state in `stateDir`. */
export function localDefaults(root: string, stateDir = resolve(root, process.env.TRUNKLINE_STATE_DIR ?? '.trunkline')): PipelineConfig {
  const fluxAppDir = 'apps/sample-service';
  return {
    root,
    serviceDir: resolve(root, 'sample-service'),
    imageName: 'sample-service',
    stateDir,
    registryPort: Number(process.env.TRUNKLINE_REGISTRY_PORT ?? 5000),
    // ESLint's cache makes a re-run over unchanged sources nearly free (it re-checks what changed).
    lintCommand: [resolve(root, 'node_modules', '.bin', 'eslint'), '--max-warnings=0', '--cache', '--cache-location', resolve(stateDir, 'cache', 'eslint'), 'src'],
    failOn: 'HIGH',
    scanPolicy: 'optional',
    expectations: [
      DEFAULT_EXPECTATION,
      'http_request_duration_seconds_count{handler="/",method="GET"} >= 1',
      'sample_service_build_info == 1',
    ],
    fluxAppDir,
    bumpFiles: [`${fluxAppDir}/flux/helmrelease.yaml`, `${fluxAppDir}/chart/values.yaml`],
    bumpBranch: 'trunkline/bump/sample-service',
  };
}

/** Validates `--fail-on`, throwing an `InputError` listing the allowed severities. */
export function parseFailOn(value: string): Severity {
  const upper = value.toUpperCase();
  if (!(SEVERITIES as readonly string[]).includes(upper)) throw new InputError('--fail-on', `must be one of ${SEVERITIES.join(', ')} (got "${value}")`);
  return upper as Severity;
}
