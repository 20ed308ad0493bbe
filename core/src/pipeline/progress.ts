import type { StageResult } from '../report/result.ts';
import { skipped } from '../report/result.ts';

/** A stage result as the pipeline records it: plus the stage's own time (ms) besides docker, git and HTTP. */
export type PipelineStageResult = StageResult & { overheadMs: number };

/**
 * What a pipeline run has done so far, so a signal handler can say which stage it interrupted:
 * stages finished (with their results), stages running (with their start, `performance.now()` ms),
 * and the run id every container the run starts is labelled with.
 */
export class PipelineProgress {
  readonly runId: string;
  readonly startedAt = new Date();
  readonly start = performance.now();
  private readonly running = new Map<string, number>();
  private readonly finished = new Map<string, PipelineStageResult>();
  private readonly planned: readonly string[];
  private interruptedBy: NodeJS.Signals | undefined;

  /** `planned`: every stage name in report order; `runId`: the container label value (`local-<pid>` by default). */
  constructor(planned: readonly string[], runId = `local-${process.pid}`) {
    this.planned = planned;
    this.runId = runId;
  }

  began(name: string): void {
    this.running.set(name, performance.now());
  }

  /** Records a stage's result, unless the run was interrupted: a stage failing because cleanup removed its container is still "interrupted". */
  ended(result: PipelineStageResult): void {
    if (this.interruptedBy) return;
    this.running.delete(result.name);
    this.finished.set(result.name, result);
  }

  /**
   * Freezes the record and returns the results as of an interruption by `signal` (call it before
   * stopping anything): finished stages as they ended, running stages
   * `failed` with "interrupted by <signal>", stages not yet begun `skipped` with the same reason.
   */
  interruptedResults(signal: NodeJS.Signals): PipelineStageResult[] {
    this.interruptedBy ??= signal;
    const reason = `interrupted by ${signal}`;
    const names = [...this.planned, ...[...this.finished.keys(), ...this.running.keys()].filter((n) => !this.planned.includes(n))];
    return names.map((name): PipelineStageResult => {
      const done = this.finished.get(name);
      if (done) return done;
      const began = this.running.get(name);
      if (began === undefined) return { ...skipped(name, `not run: the pipeline was ${reason}`), overheadMs: 0 };
      return {
        name, status: 'failed', durationMs: Math.round(performance.now() - began), outputs: {}, findings: [], notes: [], error: `${name} was ${reason}`, overheadMs: 0,
      };
    });
  }
}
