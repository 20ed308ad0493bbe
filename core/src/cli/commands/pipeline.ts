import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { InputError } from '../../domain/errors.ts';
import { RawReader } from '../../domain/raw-inputs.ts';
import { SCAN_POLICIES } from '../../domain/scan-config.ts';
import { textTable } from '../../report/render.ts';
import type { StageResult } from '../../report/result.ts';
import { localDefaults, parseFailOn } from '../../pipeline/config.ts';
import type { PipelineConfig } from '../../pipeline/config.ts';
import { prepareLocalEnvironment } from '../../pipeline/prepare.ts';
import { PIPELINE_STAGES, runPipeline } from '../../pipeline/run.ts';
import { PipelineProgress } from '../../pipeline/progress.ts';
import { SIGNAL_EXIT_CODES, stopInterruptedPipeline } from '../../pipeline/interrupt.ts';
import type { StopSignal } from '../../pipeline/interrupt.ts';
import type { Logger } from '../../report/logger.ts';

const flags = {
  'fs-report': { type: 'string' },
  'image-report': { type: 'string' },
  'fail-on': { type: 'string' },
  'scan-policy': { type: 'string' },
  'state-dir': { type: 'string' },
  'registry-port': { type: 'string' },
  'no-lint': { type: 'boolean' },
  expect: { type: 'string', multiple: true },
} as const;

const repoRoot = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

/** The pipeline config for argv: the local defaults with each flag applied and validated. */
export function pipelineConfigFromArgv(argv: string[], root = repoRoot): PipelineConfig {
  const { values } = parseFlags(argv, flags);
  const cfg = localDefaults(root, values['state-dir'] ? resolve(values['state-dir']) : undefined);
  if (values['fs-report']) cfg.fsReport = resolve(values['fs-report']);
  if (values['image-report']) cfg.imageReport = resolve(values['image-report']);
  if (values['fail-on']) cfg.failOn = parseFailOn(values['fail-on']);
  if (values['scan-policy']) cfg.scanPolicy = new RawReader({ 'scan-policy': values['scan-policy'] }).oneOf('scan-policy', SCAN_POLICIES, 'optional');
  if (values['registry-port']) {
    const port = Number(values['registry-port']);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InputError('--registry-port', `must be a port from 1 to 65535 (got "${values['registry-port']}")`);
    cfg.registryPort = port;
  }
  if (values['no-lint']) cfg.lintCommand = [];
  if (values.expect?.length) cfg.expectations = values.expect;
  return cfg;
}

/**
 * Installs SIGINT/SIGTERM handlers for the run: the first signal stops children and containers,
 * writes the interrupted summary and exits 130/143; a second signal exits at once. Returns the
 * uninstaller (called when the run ends on its own).
 */
function exitOnSignal(progress: PipelineProgress, stateDir: string, log: Logger): () => void {
  let stopping = false;
  const handler = (signal: StopSignal): void => {
    if (stopping) process.exit(SIGNAL_EXIT_CODES[signal]);
    stopping = true;
    void stopInterruptedPipeline(progress, signal, stateDir, log).then(({ summaryPath, exitCode }) => {
      console.log(`summary: ${summaryPath}`);
      process.exit(exitCode);
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export const command: CliCommand = {
  name: 'pipeline',
  printsOwnReport: true,
  summary: 'Run every stage on sample-service with local defaults (the main job)',
  usage: `Usage: trunkline pipeline [options]

Runs lint, filesystem scan and build side by side, then the image scan and the metrics probe,
then — only when nothing failed — signs and pushes the image to the local registry and bumps
the local Flux repository. Starts dockerd, a registry on 127.0.0.1 and the local base images
when they are missing. Writes .trunkline/summary.json; exits 1 when a stage failed.

Options:
  --fs-report FILE      gate this Trivy JSON report as the filesystem scan (no Trivy run)
  --image-report FILE   gate this Trivy JSON report as the image scan (no Trivy run)
  --fail-on SEVERITY    gate threshold: CRITICAL, HIGH (default), MEDIUM, LOW, UNKNOWN
  --scan-policy P       without Trivy: optional (default here: scans skipped, image marked "not scanned") or required (fail)
  --state-dir DIR       where registry storage, the Flux repo, keys and reports live (.trunkline)
  --registry-port N     port of the local registry on 127.0.0.1 (5000)
  --no-lint             skip the lint stage
  --expect EXPR         a metrics expectation instead of the defaults (repeatable)

On SIGINT or SIGTERM it stops every child process and probe container, writes summary.json
naming the interrupted stage, and exits 130 (SIGINT) or 143 (SIGTERM).`,
  async run(argv, log) {
    const cfg = pipelineConfigFromArgv(argv);
    const start = performance.now();
    const progress = new PipelineProgress(PIPELINE_STAGES);
    const uninstall = exitOnSignal(progress, cfg.stateDir, log);
    const { env, results, summaryPath, summary } = await (async () => {
      const env = await log.group('prepare the local environment', () => prepareLocalEnvironment(cfg, log));
      return { env, ...await runPipeline(cfg, env, log, progress) };
    })().finally(uninstall);
    const delivery = await env.delivery.catch(() => undefined);
    const notes = [...env.notes, ...(delivery?.notes ?? [])];
    console.log(`\n${textTable(results)}\n`);
    const sign = results.find((r) => r.name === 'sign-and-push');
    const bump = results.find((r) => r.name === 'gitops-bump');
    console.log(`summary: ${summaryPath}`);
    if (sign?.status === 'passed') {
      console.log(`registry: curl -s http://${delivery?.registryHost}/v2/${cfg.imageName}/tags/list`);
      console.log(`signature: ${String(sign.outputs['signature-ref'])} (record: ${cfg.stateDir}/image.signature)`);
    }
    if (bump?.status === 'passed' && delivery) console.log(`flux repo: git --git-dir ${delivery.flux.bare} log -p -1 ${cfg.bumpBranch}`);
    const overall: StageResult = {
      name: 'pipeline',
      status: summary.passed ? 'passed' : 'failed',
      durationMs: Math.round(performance.now() - start),
      outputs: { summary: summaryPath },
      findings: results.flatMap((r) => r.findings),
      notes,
      ...(summary.passed ? {} : { error: `failed stages: ${results.filter((r) => r.status === 'failed').map((r) => r.name).join(', ')}` }),
    };
    return overall;
  },
};
