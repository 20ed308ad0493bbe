import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StageResult } from './result.ts';

/** The `.trunkline/summary.json` document: `{"stages":[{name,status,durationMs,outputs,...}]}`. */
export interface SummaryDocument {
  stages: Array<Pick<StageResult, 'name' | 'status' | 'durationMs' | 'outputs' | 'notes' | 'error'> & { findings: number }>;
  startedAt: string;
  durationMs: number;
  passed: boolean;
}

/** Builds the summary document; `passed` is true when no stage failed. */
export function summaryDocument(results: readonly StageResult[], startedAt: Date, durationMs: number): SummaryDocument {
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
      notes: r.notes,
      ...(r.error ? { error: r.error } : {}),
    })),
  };
}

/** Writes `text` to `path` atomically (temp file + rename), creating the directory: never half a file. */
export async function writeFileAtomic(path: string, text: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
