import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { Logger } from '../report/logger.ts';
import type { StageResult } from '../report/result.ts';
import { InputError } from '../domain/errors.ts';

/**
 * One `trunkline <name>` subcommand. It turns argv into the same typed config the action's
 * context module builds, runs the same stage, and returns its result; `main.ts` renders it.
 */
export interface CliCommand {
  name: string;
  /** One line for `trunkline --help`. */
  summary: string;
  /** Full usage text for `trunkline <name> --help`. */
  usage: string;
  /** The command prints its own report (a table, JSON on stdout): `main` adds no stage table. */
  printsOwnReport?: boolean;
  /**
   * The output printed as JSON on stdout without `--json` (action-build's `json` record for
   * `build` and `tags`). With `--json` the whole outputs record is printed instead, once.
   */
  stdoutOutput?: string;
  run(argv: string[], log: Logger): Promise<StageResult>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `--flag value` options with `node:util.parseArgs` (strict: an unknown flag throws an
 * `InputError` naming it). Returns the parsed values and positionals.
 */
export function parseFlags<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const m = /'(--?[\w-]+)'/.exec((error as Error).message);
    throw new InputError(m?.[1] ?? 'argv', `is not understood: ${(error as Error).message}`);
  }
}
