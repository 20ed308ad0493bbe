import { isAbsolute, resolve } from 'node:path';
import { InputError } from '../domain/errors.ts';
import { ProcessError, run } from '../adapters/process.ts';
import type { Logger } from '../report/logger.ts';
import type { StageResult } from '../report/result.ts';
import { runStage } from '../report/result.ts';
import { stageMarkdown } from '../report/render.ts';

export interface LintConfig {
  /** Program and arguments, e.g. `['npx', 'eslint', '.']`: run without a shell. */
  command: string[];
  /** Working directory (the service's directory). */
  cwd: string;
  /** Kill the command past this many milliseconds (default 10 minutes). */
  timeoutMs?: number;
}

export type LintOutputs = { command: string; 'exit-code': number };

/**
 * tsc prints `path(line,col): error TSnnnn: ...` with `path` relative to its working directory;
 * the runner resolves annotation paths against the workspace, so relative paths become absolute
 * (ESLint's stylish output is already absolute). Other lines are returned unchanged.
 */
export function absoluteTscPath(line: string, cwd: string): string {
  const m = /^(\S[^(]*)(\(\d+,\d+\): (?:error|warning) TS\d+: .*)$/.exec(line);
  return m && !isAbsolute(m[1]!) ? `${resolve(cwd, m[1]!)}${m[2]}` : line;
}

/**
 * Runs the lint command as an argument array (`process.run`, never a shell string). Its output is
 * printed line by line after it exits — whole lines, so the ESLint and tsc problem matchers the
 * action registers (action-build/matchers) turn them into file/line annotations; tsc's relative
 * paths are made absolute (`absoluteTscPath`). Passed when the
 * command exits 0; failed with the exit code otherwise; an empty command or one that cannot start
 * fails naming the input `lint-command` (never throws: `runStage`). The job summary is `stageMarkdown`'s.
 */
export async function runLint(cfg: LintConfig, log: Logger): Promise<StageResult<LintOutputs>> {
  const stage = await runStage<LintOutputs>('lint', async () => {
    const [file, ...args] = cfg.command;
    if (!file) throw new InputError('lint-command', 'is empty; give a program and its arguments, e.g. npx eslint .');
    let result;
    try {
      result = await run(file, args, { cwd: cfg.cwd, allowFailure: true, timeoutMs: cfg.timeoutMs ?? 10 * 60_000 });
    } catch (error) {
      if (error instanceof ProcessError && error.code === null && /could not start/.test(error.message)) {
        throw new InputError('lint-command', `names a program that cannot be started: ${error.message}`);
      }
      throw error;
    }
    const printed = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => l.trim()).map((l) => absoluteTscPath(l, cfg.cwd));
    const shown = cfg.command.join(' ');
    await log.group(`lint: ${shown}`, async () => {
      for (const line of printed) log.info(line);
    });
    const outputs: LintOutputs = { command: shown, 'exit-code': result.code };
    if (result.code === 0) {
      return { status: 'passed', outputs, findings: [], notes: [`lint passed: ${shown}`] };
    }
    return {
      status: 'failed',
      outputs,
      findings: [],
      notes: [`${printed.length} output lines; see the annotations`],
      error: `lint command \`${shown}\` exited with code ${result.code}`,
    };
  });
  return { ...stage, summaryMarkdown: stageMarkdown(stage) };
}
