import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export interface RunnerResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Parsed from the `GITHUB_OUTPUT` file the action wrote. */
  outputs: Record<string, string>;
  /** Contents of `GITHUB_STEP_SUMMARY`. */
  summary: string;
  /** Parsed from `GITHUB_STATE` (what a post step will receive as `STATE_*`). */
  state: Record<string, string>;
}

/** Parses the runner's `name<<DELIMITER\nvalue\nDELIMITER` file-command format (and `name=value`). */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i]!);
      out[name!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

/** `INPUT_<NAME>` as the runner spells it: uppercase, spaces to `_`, dashes kept. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** The files and variables the runner gives an action, built in a fresh temp dir. */
export interface RunnerEnvironment {
  env: Record<string, string>;
  files: { GITHUB_OUTPUT: string; GITHUB_STEP_SUMMARY: string; GITHUB_STATE: string };
}

/**
 * The environment the runner gives a JavaScript action: `PATH`, `HOME`, `RUNNER_TEMP`,
 * `GITHUB_ACTIONS`, `GITHUB_WORKSPACE`, empty `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` /
 * `GITHUB_STATE` files, `INPUT_*` for `inputs` and `STATE_*` for `state`, then `env` over all.
 */
export function runnerEnvironment(
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; cwd?: string; state?: Record<string, string>; dir?: string } = {},
): RunnerEnvironment {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'trunkline-runner-'));
  const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary'), GITHUB_STATE: join(dir, 'state') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.cwd ?? repoRoot,
    ...files,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputEnvName(k), v])),
    ...Object.fromEntries(Object.entries(options.state ?? {}).map(([k, v]) => [`STATE_${k}`, v])),
    ...options.env,
  };
  return { env, files };
}

/**
 * Runs a bundled action (`<action>/dist/index.js`, or `dist/post/index.js` with `entry: 'post'`)
 * exactly as the runner does: `node` (this Node 24), `INPUT_*` variables, and fresh
 * `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_STATE` files whose contents are returned parsed.
 * `state` becomes `STATE_*` variables (what the runner passes to a post step).
 */
export function runBundledAction(
  action: string,
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; cwd?: string; entry?: 'main' | 'post'; state?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunnerResult> {
  const { env, files } = runnerEnvironment(inputs, options);
  const script = join(repoRoot, action, 'dist', ...(options.entry === 'post' ? ['post'] : []), 'index.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd: options.cwd ?? repoRoot, env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        outputs: parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
        summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
        state: parseFileCommands(readFileSync(files.GITHUB_STATE, 'utf8')),
      });
    });
  });
}
