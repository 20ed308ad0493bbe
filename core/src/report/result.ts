/**
 * The one shape every stage returns. Actions and the CLI only render it: outputs become step
 * outputs, `summaryMarkdown` the job summary, and the whole record a row of `.trunkline/summary.json`.
 */
export type StageStatus = 'passed' | 'failed' | 'skipped';

/** One thing a stage wants a reviewer to see (a gate violation, a failed expectation, a lint error). */
export interface Finding {
  /** Stable identifier: a CVE id, an expectation, a rule name. */
  id: string;
  message: string;
  /** CRITICAL | HIGH | MEDIUM | LOW | UNKNOWN for scanners; free text elsewhere. */
  severity?: string;
  /** File, image reference or URL the finding points at. */
  location?: string;
}

/** Output values are strings, numbers, booleans, string lists or JSON-able records. */
export type OutputValue = string | number | boolean | readonly string[] | Record<string, unknown> | unknown[] | undefined;
export type Outputs = Record<string, OutputValue>;

export interface StageResult<O extends Outputs = Outputs> {
  name: string;
  status: StageStatus;
  /** Wall time of the stage in milliseconds. */
  durationMs: number;
  outputs: O;
  findings: Finding[];
  /** Human sentences: why a stage was skipped, which builder ran, what was reused. */
  notes: string[];
  /** Set when status is `failed`: the first line a user should read. */
  error?: string;
  /** Markdown for `$GITHUB_STEP_SUMMARY`; the CLI prints notes and findings instead. */
  summaryMarkdown?: string;
}

/** Everything but the name, status and duration, which `timed` fills in. */
export type StageBody<O extends Outputs> = Omit<StageResult<O>, 'name' | 'durationMs'>;

/**
 * Runs `fn` and stamps its result with the stage name and its wall time (ms, from
 * `performance.now()`). An exception is not caught here: the door decides how to report it.
 * Prefer `runStage`, which also turns a thrown error into a `failed` result.
 */
export async function timed<O extends Outputs>(name: string, fn: () => Promise<StageBody<O>>): Promise<StageResult<O>> {
  const start = performance.now();
  const body = await fn();
  return { name, durationMs: Math.round(performance.now() - start), ...body };
}

/**
 * The one stage contract: runs `fn`, stamps the stage name and wall time (ms, `performance.now()`),
 * and turns anything it throws (an `InputError` for bad input included) into a `failed` result with
 * the message as `error` and `outputs` from `failedOutputs` (default `{}`), so a stage never throws
 * at its door. `onError` may add notes or a job summary to that failed result.
 */
export async function runStage<O extends Outputs>(
  name: string,
  fn: () => Promise<StageBody<O>>,
  options: { failedOutputs?: () => O; onError?: (result: StageResult<O>) => void } = {},
): Promise<StageResult<O>> {
  const start = performance.now();
  try {
    const body = await fn();
    return { name, durationMs: Math.round(performance.now() - start), ...body };
  } catch (error) {
    const result = failedFromError<O>(name, error, Math.round(performance.now() - start), options.failedOutputs?.() ?? ({} as O));
    options.onError?.(result);
    return result;
  }
}

/** A `skipped` result with the reason as its first note (never to be mistaken for `passed`). */
export function skipped<O extends Outputs>(name: string, reason: string, outputs: O = {} as O): StageResult<O> {
  return { name, status: 'skipped', durationMs: 0, outputs, findings: [], notes: [reason] };
}

/** A `failed` result for an error thrown by a stage, keeping the elapsed time. */
export function failedFromError<O extends Outputs>(name: string, error: unknown, durationMs: number, outputs: O = {} as O): StageResult<O> {
  const message = error instanceof Error ? error.message : String(error);
  return { name, status: 'failed', durationMs, outputs, findings: [], notes: [], error: message };
}
