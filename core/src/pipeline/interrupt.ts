import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../adapters/atomic-file.ts';
import { VERIFY_METRICS_LABEL, listLabelledContainers, removeContainer } from '../adapters/docker-run.ts';
import { signalRunningChildren } from '../adapters/process.ts';
import type { Logger } from '../report/logger.ts';
import { summaryDocument } from '../report/summary-file.ts';
import type { PipelineProgress } from './progress.ts';

/** Shell convention for a process ended by a signal: 128 + the signal number (SIGINT 2, SIGTERM 15). */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/** Removes every container labelled with this run's id; returns how many were removed. */
async function removeRunContainers(runId: string): Promise<number> {
  let removed = 0;
  for (const id of await listLabelledContainers(VERIFY_METRICS_LABEL, runId).catch(() => [])) if (await removeContainer(id)) removed++;
  return removed;
}

/**
 * Stops an interrupted pipeline run: SIGTERM to every running child process (docker, eslint,
 * trivy), removal of every container labelled with the run id (twice: a `docker run` killed
 * mid-flight may still create its container), then `<stateDir>/summary.json` naming the
 * interrupted stage(s) and the signal. Resolves with the summary path and the exit code
 * (130 for SIGINT, 143 for SIGTERM). Never throws: a failing step is logged and the rest still runs.
 */
export async function stopInterruptedPipeline(
  progress: PipelineProgress, signal: StopSignal, stateDir: string, log: Logger,
): Promise<{ summaryPath: string; exitCode: number }> {
  log.warning(`${signal} received: stopping every child process and container of run ${progress.runId}`);
  const results = progress.interruptedResults(signal);
  const children = signalRunningChildren('SIGTERM');
  let removed = await removeRunContainers(progress.runId);
  await sleep(500);
  removed += await removeRunContainers(progress.runId);
  log.info(`stopped ${children} child process(es), removed ${removed} container(s)`);
  const summary = { ...summaryDocument(results, progress.startedAt, Math.round(performance.now() - progress.start)), interrupted: signal };
  const summaryPath = join(stateDir, 'summary.json');
  try {
    await writeFileAtomic(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  } catch (error) {
    log.error(`could not write ${summaryPath}: ${(error as Error).message}`);
  }
  return { summaryPath, exitCode: SIGNAL_EXIT_CODES[signal] };
}
