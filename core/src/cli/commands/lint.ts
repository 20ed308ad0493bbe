import type { CliCommand } from '../command.ts';
import { InputError } from '../../domain/errors.ts';
import { runLint } from '../../stages/lint.ts';

/**
 * `trunkline lint [--cwd DIR] -- <program> [args...]`: the lint stage. Everything after `--` is
 * the argument list, passed as is (no shell).
 */
export const command: CliCommand = {
  name: 'lint',
  summary: 'Run a lint command (argument list, no shell) as the build stage does',
  usage: `Usage: trunkline lint [--cwd DIR] -- PROGRAM [ARGS...]

Example: trunkline lint --cwd sample-service -- npx eslint .`,
  async run(argv, log) {
    const dash = argv.indexOf('--');
    const before = dash >= 0 ? argv.slice(0, dash) : argv;
    const command = dash >= 0 ? argv.slice(dash + 1) : [];
    let cwd = '.';
    for (let i = 0; i < before.length; i++) {
      if (before[i] === '--cwd' && before[i + 1] !== undefined) cwd = before[++i]!;
      else throw new InputError(before[i]!, 'is not understood: put the lint command after --');
    }
    if (!command.length) throw new InputError('--', 'is missing: give the command after --, e.g. trunkline lint -- npx eslint .');
    return runLint({ command, cwd }, log);
  },
};
