import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readGitInfo } from '../adapters/git-info.ts';
import type { Logger } from '../report/logger.ts';
import { createConsoleLogger } from '../report/logger.ts';
import { measureExternal } from '../report/external-time.ts';
import type { Outputs, StageResult } from '../report/result.ts';
import { failedFromError, skipped } from '../report/result.ts';
import { summaryDocument } from '../report/summary-file.ts';
import { writeFileAtomic } from '../adapters/atomic-file.ts';
import type { SummaryDocument } from '../report/summary-file.ts';
import { runLint } from '../stages/lint.ts';
import { runBuild } from '../stages/build.ts';
import type { BuildOutputs } from '../stages/build.ts';
import { runScan } from '../stages/scan.ts';
import { defaultVerifyMetricsConfig, runVerifyMetrics } from '../stages/verify-metrics.ts';
import { runSignAndPush } from '../stages/sign.ts';
import type { SignOutputs } from '../stages/sign.ts';
import { resolveBumpConfig, runBump } from '../stages/bump.ts';
import type { PipelineConfig } from './config.ts';
import type { LocalEnvironment } from './prepare.ts';

import { PipelineProgress } from './progress.ts';
import type { PipelineStageResult } from './progress.ts';

export type { PipelineStageResult } from './progress.ts';

/** Every stage of the main job in report order. */
export const PIPELINE_STAGES = ['lint', 'scan-fs', 'build', 'scan-image', 'verify-metrics', 'sign-and-push', 'gitops-bump'] as const;

export interface PipelineRun {
  results: PipelineStageResult[];
  summary: SummaryDocument;
  summaryPath: string;
}

/**
 * Runs one stage with its own prefixed logger, converting a throw into a `failed` result and
 * measuring how much of its wall time was spent waiting on child processes and HTTP.
 */
async function stage<O extends Outputs>(
  name: string, parent: Logger, progress: PipelineProgress, body: (log: Logger) => Promise<StageResult<O>>,
): Promise<PipelineStageResult> {
  const log = createConsoleLogger({ prefix: name, debug: process.env.TRUNKLINE_DEBUG === '1' });
  parent.info(`▶ ${name}`);
  progress.began(name);
  const start = performance.now();
  const { value, externalMs } = await measureExternal(async (): Promise<StageResult> => {
    try {
      return (await body(log)) as StageResult;
    } catch (error) {
      return failedFromError(name, error, Math.round(performance.now() - start));
    }
  });
  const result = { ...value, name, overheadMs: Math.max(0, value.durationMs - externalMs) };
  progress.ended(result);
  parent.info(`${result.status === 'failed' ? '✗' : result.status === 'skipped' ? '–' : '✓'} ${name} ${result.status} in ${(result.durationMs / 1000).toFixed(1)} s${result.error ? `: ${result.error.split('\n')[0]}` : ''}`);
  return result;
}

function notRun(name: string, reason: string): PipelineStageResult {
  return { ...skipped(name, reason), overheadMs: 0 };
}

/** The repository the GitOps files name for the service (`image.repository` of deploy/chart/values.yaml). */
function deployedRepository(serviceDir: string): string {
  const values = parseYaml(readFileSync(join(serviceDir, 'deploy', 'chart', 'values.yaml'), 'utf8')) as { image?: { repository?: unknown } } | null;
  const repository = values?.image?.repository;
  if (typeof repository !== 'string' || !repository) throw new Error(`${join(serviceDir, 'deploy', 'chart', 'values.yaml')} has no image.repository`);
  return repository;
}

/**
 * The main job: lint, filesystem scan and build run side by side (none of them publishes
 * anything); then the image scan and the metrics probe of the built image; then — only when no
 * stage failed — sign and push, and the GitOps bump. Writes `<stateDir>/summary.json` and
 * returns every stage's result; a failed gate leaves the registry and the Flux repo untouched.
 * `progress` records which stages began and ended (a signal handler reads it, see interrupt.ts);
 * its run id labels the metrics probe's container.
 */
export async function runPipeline(
  cfg: PipelineConfig, env: LocalEnvironment, log: Logger, progress = new PipelineProgress(PIPELINE_STAGES),
): Promise<PipelineRun> {
  const { startedAt, start } = progress;
  const imageRepository = `127.0.0.1:${cfg.registryPort}/${cfg.imageName}`;
  const git = await readGitInfo(cfg.root);
  const reports = join(cfg.stateDir, 'reports');

  // Lint and the filesystem scan run beside the build chain (build, then the image scan and the
  // metrics probe of the built image); none of them publishes anything.
  const buildChain = async (): Promise<PipelineStageResult[]> => {
    const build = await stage('build', log, progress, (l) => runBuild({
      context: cfg.serviceDir,
      image: imageRepository,
      buildArgs: {
        BUILDER_IMAGE: env.baseImages.builder,
        RUNTIME_IMAGE: env.baseImages.runtime,
        ...(git ? { GIT_SHA: git.sha } : {}),
      },
      network: 'host',
      cwd: cfg.root,
      jobSummary: false,
    }, l));
    const built = build.status === 'passed' ? (build.outputs as BuildOutputs) : undefined;
    if (!built?.['image-id']) return [build, notRun('scan-image', 'the build did not produce an image'), notRun('verify-metrics', 'the build did not produce an image')];
    const imageId = built['image-id'];
    return [build, ...await Promise.all([
      stage('scan-image', log, progress, (l) => runScan({
        // A given report must be about the image just built (name or ImageID): one about another
        // image never passes this gate.
        mode: 'image', ...(cfg.imageReport ? { report: cfg.imageReport } : {}), target: built['image-ref'], imageId, failOn: cfg.failOn, ignoreUnfixed: false,
        ignoreFiles: [], scanners: ['vuln', 'secret'], skipDirs: [], outputDir: join(reports, 'image'), cwd: cfg.root, policy: cfg.scanPolicy,
      }, l)),
      stage('verify-metrics', log, progress, (l) => runVerifyMetrics(defaultVerifyMetricsConfig({
        image: imageId, network: 'host', expectations: cfg.expectations, runId: progress.runId, outputDir: join(reports, 'metrics'),
        // The drain delay lets Kubernetes endpoints catch up before the listener closes; a probe
        // has no load balancer in front, so the shutdown check need not wait for it. With host
        // networking the service listens on the host: loopback only.
        env: { ENABLE_METRICS: 'true', SHUTDOWN_DRAIN_DELAY_MS: '0', HOST: '127.0.0.1' },
      }), l)),
    ])];
  };
  const [lint, scanFs, [build, scanImage, verifyMetrics]] = await Promise.all([
    cfg.lintCommand.length
      ? stage('lint', log, progress, (l) => runLint({ command: cfg.lintCommand, cwd: cfg.serviceDir }, l))
      : Promise.resolve(notRun('lint', 'no lint command configured')),
    stage('scan-fs', log, progress, (l) => runScan({
      // A report handed to the pipeline stands for this scan, so its artifact name is not compared.
      mode: 'fs', ...(cfg.fsReport ? { report: cfg.fsReport } : { target: cfg.serviceDir }), failOn: cfg.failOn, ignoreUnfixed: false,
      ignoreFiles: [], scanners: ['vuln', 'secret'], skipDirs: ['node_modules'], outputDir: join(reports, 'fs'), cwd: cfg.root, policy: cfg.scanPolicy,
    }, l)),
    buildChain(),
  ]);
  const results: PipelineStageResult[] = [lint, scanFs, build!, scanImage!, verifyMetrics!];
  const built = build!.status === 'passed' ? (build!.outputs as BuildOutputs) : undefined;

  const failed = results.filter((r) => r.status === 'failed').map((r) => r.name);
  const notScanned = [scanFs, scanImage!].filter((r) => r.status === 'skipped').map((r) => r.name);
  if (failed.length || !built?.['image-id']) {
    const reason = `not run: ${failed.join(', ') || 'build'} failed, so nothing is published`;
    results.push(notRun('sign-and-push', reason), notRun('gitops-bump', reason));
  } else {
    const sign = await stage('sign-and-push', log, progress, async (l) => runSignAndPush({
      image: built['image-id']!,
      repository: imageRepository,
      tags: built.tags,
      privateKey: (await env.delivery).signingKey,
      signatureFile: join(cfg.stateDir, 'image.signature'),
      // An unscanned image (scan-policy optional, no Trivy) says so in its signed claims.
      annotations: { ...(git ? { 'git-sha': git.sha } : {}), ...(notScanned.length ? { scan: `not scanned: ${notScanned.join(', ')}` } : {}) },
      eventName: 'local',
      workDir: join(cfg.stateDir, 'tmp'),
      exportCacheDir: join(cfg.stateDir, 'cache', 'export'),
    }, l));
    results.push(sign);
    if (sign.status !== 'passed') {
      results.push(notRun('gitops-bump', 'not run: sign-and-push did not pass'));
    } else {
      const signed = sign.outputs as SignOutputs;
      const delivery = await env.delivery;
      const tag = built.tags.find((t) => t.startsWith('sha-')) ?? built.tag;
      results.push(await stage('gitops-bump', log, progress, (l) => runBump(resolveBumpConfig({
        path: delivery.flux.checkout,
        files: cfg.bumpFiles,
        image: deployedRepository(cfg.serviceDir),
        tag,
        digest: signed.digest,
        mode: 'push',
        branch: cfg.bumpBranch,
        author: { name: 'Trunkline local', email: 'trunkline@localhost' },
      }), l)));
    }
  }

  const summary = summaryDocument(results, startedAt, Math.round(performance.now() - start));
  const summaryPath = join(cfg.stateDir, 'summary.json');
  await writeFileAtomic(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  return { results, summary, summaryPath };
}
