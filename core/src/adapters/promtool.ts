import { isAvailable, run } from './process.ts';

/**
 * `promtool check metrics` (Prometheus' own linter; Debian package `prometheus`). Exit codes
 * (docs/verify-metrics.md, "promtool"): 0 clean, 3 lint problems (one `<metric> <problem>` per stderr line),
 * 1 parse error (`error while linting: text format parsing error in line N: ...`).
 */

export interface LintProblem {
  metric: string;
  problem: string;
}

export interface PromtoolResult {
  exitCode: number;
  problems: LintProblem[];
  /** Set when promtool could not parse the exposition (exit 1) or failed otherwise: its first stderr line, else the exit code. */
  parseError?: string;
}

/**
 * The promtool binary to use: `explicit` when given (must run), else `promtool` on PATH;
 * `undefined` when none runs (`promtool --version` within 10 s).
 */
export async function findPromtool(explicit?: string): Promise<string | undefined> {
  const candidate = explicit ?? 'promtool';
  return (await isAvailable(candidate, ['--version'])) ? candidate : undefined;
}

/** Parses promtool's stderr for exit code 3 into problems (`metric` = first token). */
export function parseLintOutput(stderr: string): LintProblem[] {
  return stderr.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const space = line.indexOf(' ');
    return space < 0 ? { metric: line, problem: '' } : { metric: line.slice(0, space), problem: line.slice(space + 1) };
  });
}

/** Lints an exposition given as text on stdin. Throws only when promtool cannot run or times out. */
export async function promtoolCheckMetrics(binary: string, exposition: string, timeoutMs = 30_000): Promise<PromtoolResult> {
  const r = await run(binary, ['check', 'metrics'], { input: exposition, timeoutMs, allowFailure: true });
  if (r.code === 0) return { exitCode: 0, problems: [] };
  if (r.code === 3) return { exitCode: 3, problems: parseLintOutput(r.stderr) };
  return { exitCode: r.code, problems: [], parseError: r.stderr.trim().split('\n')[0] || `exit code ${r.code}` };
}
