import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { BUILD_INPUTS, resolveLintCommand } from '../../domain/build-config.ts';
import { InputError } from '../../domain/errors.ts';
import { checkRawSizes, flagsFromTable, rawInputsFromFlags } from '../../domain/raw-inputs.ts';
import { runLint } from '../../stages/lint.ts';

/** Lint's inputs are action-build's `lint-command` and `context`: the same table rows, the same resolver. */
const LINT_INPUTS = BUILD_INPUTS.filter((s) => s.name === 'lint-command' || s.name === 'context');

/**
 * `trunkline lint [--context DIR] (--lint-command CMD | -- PROGRAM [ARGS...])`: the lint stage.
 * Everything after `--` is the argument list, passed as is (no shell) as a JSON array to the same
 * `lint-command` resolver action-build uses.
 */
export const command: CliCommand = {
  name: 'lint',
  summary: 'Run a lint command (argument list, no shell) as the build stage does',
  usage: `Usage: trunkline lint [--context DIR] (--lint-command CMD | -- PROGRAM [ARGS...])

  --context DIR         where the command runs (default .)
  --lint-command CMD    words or a JSON array, never a shell string (as action-build's input)

Example: trunkline lint --context sample-service -- npx eslint .`,
  async run(argv, log) {
    const dash = argv.indexOf('--');
    const { values } = parseFlags(dash >= 0 ? argv.slice(0, dash) : argv, flagsFromTable(LINT_INPUTS));
    const raw = rawInputsFromFlags(LINT_INPUTS, values);
    if (dash >= 0 && argv.length > dash + 1) raw['lint-command'] = JSON.stringify(argv.slice(dash + 1));
    checkRawSizes(raw);
    const lintCommand = resolveLintCommand(raw);
    if (!lintCommand.length) throw new InputError('lint-command', 'is missing: give --lint-command or the command after --, e.g. trunkline lint -- npx eslint .');
    return runLint({ command: lintCommand, cwd: raw.context ?? '.' }, log);
  },
};
