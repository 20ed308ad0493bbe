import * as core from '@actions/core';
import type { Logger } from '../report/logger.ts';
import type { Outputs, StageResult } from '../report/result.ts';
import { failedFromError } from '../report/result.ts';
import { defaultStageMarkdown, outputToString } from '../report/render.ts';

/** A Logger over `@actions/core`: groups, annotations and `::add-mask::` for secrets. */
export function createActionsLogger(): Logger {
  return {
    info: (m) => core.info(m),
    debug: (m) => core.debug(m),
    warning: (m, p) => core.warning(m, p),
    error: (m, p) => core.error(m, p),
    group: (title, fn) => core.group(title, fn),
    secret: (v) => { if (v) core.setSecret(v); },
  };
}

/**
 * The whole life of an action's `main.ts`: run `body` (context → stage) with an Actions logger,
 * publish every output (lists newline-joined, records as JSON), append the job summary, and
 * fail the step (`core.setFailed`) when the stage failed or threw. Bad input (`InputError`) fails
 * the same way, with its message naming the input. Returns the result for tests.
 */
export async function runAction<O extends Outputs>(name: string, body: (log: Logger) => Promise<StageResult<O>>): Promise<StageResult<O> | undefined> {
  const log = createActionsLogger();
  const start = performance.now();
  let result: StageResult<O>;
  try {
    result = await body(log);
  } catch (error) {
    result = failedFromError<O>(name, error, Math.round(performance.now() - start));
  }
  for (const [key, value] of Object.entries(result.outputs)) {
    if (value !== undefined) core.setOutput(key, outputToString(value));
  }
  try {
    await core.summary.addRaw(result.summaryMarkdown ?? defaultStageMarkdown(result), true).write();
  } catch (error) {
    // Outside a runner there is no GITHUB_STEP_SUMMARY: the summary is a courtesy, not the verdict.
    core.debug(`job summary not written: ${(error as Error).message}`);
  }
  if (result.status === 'failed') core.setFailed(result.error ?? `${name} failed`);
  else if (result.status === 'skipped') core.notice(`${name} skipped: ${result.notes[0] ?? 'no reason given'}`);
  return result;
}
