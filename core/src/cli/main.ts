#!/usr/bin/env node
// `trunkline <command>`: the local door into the same stage code the actions run.
import { enableCompileCache } from 'node:module';
import type { CliCommand } from './command.ts';
import { createConsoleLogger } from '../report/logger.ts';
import { InputError } from '../domain/errors.ts';
import { textTable } from '../report/render.ts';
import type { StageResult } from '../report/result.ts';

/** Commands load lazily: `trunkline tags` should not pay for the AWS SDK. */
const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  pipeline: () => import('./commands/pipeline.ts'),
  init: () => import('./commands/init.ts'),
  tags: () => import('./commands/tags.ts'),
  lint: () => import('./commands/lint.ts'),
  build: () => import('./commands/build.ts'),
  scan: () => import('./commands/scan.ts'),
  'verify-metrics': () => import('./commands/verify-metrics.ts'),
  sign: () => import('./commands/sign.ts'),
  verify: () => import('./commands/verify.ts'),
  bump: () => import('./commands/bump.ts'),
};

async function help(): Promise<string> {
  const lines = ['Usage: trunkline <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const summary = await load().then((m) => m.command.summary, () => '(not available)');
    lines.push(`  ${name.padEnd(16)}${summary}`);
  }
  lines.push('', 'Run `trunkline <command> --help` for the options of one command.', 'Every command takes --json: print its outputs (what the action writes to GITHUB_OUTPUT) as JSON on stdout.');
  return lines.join('\n');
}

/** `--json` belongs to every command: removed from argv before the command parses it. */
export function takeJsonFlag(argv: readonly string[]): { args: string[]; json: boolean } {
  const args = argv.filter((a) => a !== '--json');
  return { args, json: args.length !== argv.length };
}

/**
 * A stage's outputs as one JSON object: the record an action writes to `GITHUB_OUTPUT`, with
 * lists as arrays and records as objects instead of their newline/JSON string forms.
 */
export function outputsJson(result: StageResult): string {
  return JSON.stringify(Object.fromEntries(Object.entries(result.outputs).filter(([, v]) => v !== undefined)), null, 2);
}

/** Runs one command; returns the process exit code (0 passed/skipped, 1 failed, 2 bad usage). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  const { args, json } = takeJsonFlag(rest);
  const log = createConsoleLogger({ prefix: name, debug: process.env.TRUNKLINE_DEBUG === '1' });
  try {
    const result = await command.run(args, log);
    if (json) process.stdout.write(`${outputsJson(result)}\n`);
    else if (command.stdoutOutput && result.outputs[command.stdoutOutput] !== undefined) {
      process.stdout.write(`${JSON.stringify(result.outputs[command.stdoutOutput], null, 2)}\n`);
    }
    if (!command.printsOwnReport) {
      console.error(textTable([result]));
      for (const finding of result.findings.slice(0, 20)) console.error(`  ${finding.severity ?? ''} ${finding.id}: ${finding.message}`);
    }
    return result.status === 'failed' ? 1 : 0;
  } catch (error) {
    console.error(`${error instanceof InputError ? 'Bad input' : 'Error'}: ${(error as Error).message}`);
    return error instanceof InputError ? 2 : 1;
  }
}

if (import.meta.main) {
  // Node caches the compiled (type-stripped) modules on disk: halves start-up on the next run.
  enableCompileCache();
  process.exitCode = await main(process.argv.slice(2));
}
