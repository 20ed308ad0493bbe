import type { StageResult } from './result.ts';

/** The `.trunkline/summary.json` document: `{"stages":[{name,status,durationMs,outputs,...}]}`. */
export interface SummaryDocument {
  stages: Array<Pick<StageResult, 'name' | 'status' | 'durationMs' | 'outputs' | 'notes' | 'error'> & { findings: number; overheadMs?: number }>;
  startedAt: string;
  durationMs: number;
  passed: boolean;
}

/** Builds the summary document; `passed` is true when no stage failed. */
export function summaryDocument(results: readonly (StageResult & { overheadMs?: number })[], startedAt: Date, durationMs: number): SummaryDocument {
  return {
    startedAt: startedAt.toISOString(),
    durationMs,
    passed: results.every((r) => r.status !== 'failed'),
    stages: results.map((r) => ({
      name: r.name,
      status: r.status,
      durationMs: r.durationMs,
      outputs: r.outputs,
      findings: r.findings.length,
      ...(r.overheadMs !== undefined ? { overheadMs: r.overheadMs } : {}),
      notes: r.notes,
      ...(r.error ? { error: r.error } : {}),
    })),
  };
}
