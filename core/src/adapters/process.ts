import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../report/logger.ts';
import { maskSecrets } from '../report/logger.ts';
import { beginExternal } from '../report/external-time.ts';

export interface RunOptions {
  cwd?: string;
  /** Merged over `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, then closed: the only way credentials reach a child. */
  input?: string | Buffer;
  /** Kill the child (SIGTERM, then SIGKILL after 5 s) past this many milliseconds. Default: none. */
  timeoutMs?: number;
  /** Values replaced by `***` in logged command lines and in error messages. */
  secrets?: readonly string[];
  /** Stream each output line to this logger as it arrives (long builds stay visible). */
  logger?: Logger;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** Keep stdout as a Buffer (binary output such as `docker save`). */
  binary?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Raw stdout, present when `binary` was set. */
  stdoutBuffer?: Buffer;
  durationMs: number;
}

/** A child that exited non-zero, was killed, or could not start. */
export class ProcessError extends Error {
  readonly command: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  constructor(command: string, code: number | null, stdout: string, stderr: string, reason: string) {
    const tail = stderr.trim().split('\n').slice(-20).join('\n');
    super(`${command} ${reason}${tail ? `:\n${tail}` : ''}`);
    this.name = 'ProcessError';
    this.command = command;
    this.code = code;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** Children started by `run` that have not closed yet: what a signal handler must stop. */
const liveChildren = new Set<ChildProcess>();

/**
 * Sends `signal` to every child `run` started that is still running (a door's SIGINT/SIGTERM
 * handler calls it so no eslint, docker or trivy outlives the CLI). Returns how many were signalled.
 */
export function signalRunningChildren(signal: NodeJS.Signals): number {
  for (const child of liveChildren) child.kill(signal);
  return liveChildren.size;
}

/** Renders argv for logs: each argument that needs it is single-quoted; secrets are masked. */
export function formatCommand(file: string, args: readonly string[], secrets: readonly string[] = []): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return maskSecrets([file, ...args].map(quote).join(' '), secrets);
}

/**
 * Runs `file` with an argument array (never a shell string: nothing is interpolated by a shell).
 * Resolves with the exit code and captured output; rejects with `ProcessError` on a non-zero exit
 * (unless `allowFailure`), on a timeout, or when the program cannot be started (ENOENT).
 */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const secrets = options.secrets ?? [];
  const display = formatCommand(file, args, secrets);
  options.logger?.debug(`$ ${display}`);
  const start = performance.now();
  const endExternal = beginExternal();
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    liveChildren.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let killedForTimeout = false;
    let timer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        killedForTimeout = true;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
      }, options.timeoutMs);
    }
    const streamLines = (chunk: Buffer): void => {
      if (!options.logger) return;
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.logger.info(maskSecrets(line, secrets));
    };
    child.stdout.on('data', (c: Buffer) => { out.push(c); if (!options.binary) streamLines(c); });
    child.stderr.on('data', (c: Buffer) => { err.push(c); streamLines(c); });
    child.on('error', (e) => {
      liveChildren.delete(child);
      clearTimeout(timer);
      endExternal();
      reject(new ProcessError(display, null, '', '', `could not start (${(e as NodeJS.ErrnoException).code ?? e.message})`));
    });
    child.on('close', (code, signal) => {
      liveChildren.delete(child);
      endExternal();
      clearTimeout(timer);
      clearTimeout(killTimer);
      const stdoutBuffer = Buffer.concat(out);
      const stdout = options.binary ? '' : maskSecrets(stdoutBuffer.toString('utf8'), secrets);
      const stderr = maskSecrets(Buffer.concat(err).toString('utf8'), secrets);
      const result: RunResult = { code: code ?? -1, stdout, stderr, durationMs: Math.round(performance.now() - start) };
      if (options.binary) result.stdoutBuffer = stdoutBuffer;
      if (killedForTimeout) return reject(new ProcessError(display, code, stdout, stderr, `timed out after ${options.timeoutMs} ms`));
      if (code !== 0 && !options.allowFailure) {
        return reject(new ProcessError(display, code, stdout, stderr, signal ? `was killed by ${signal}` : `exited with code ${code}`));
      }
      resolve(result);
    });
    child.stdin.on('error', () => { /* the child may exit before reading stdin; its exit code tells */ });
    child.stdin.end(options.input ?? '');
  });
}

/** True when `file` can be started (`file --version` exits 0 within 10 s). */
export async function isAvailable(file: string, versionArgs: readonly string[] = ['--version']): Promise<boolean> {
  try {
    await run(file, versionArgs, { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** A long-running child started by `startBackground` (a daemon such as dockerd or a registry). */
export interface BackgroundProcess {
  pid: number | undefined;
  /** The exit code once it has exited, else `null` (still running). */
  exitCode(): number | null;
  /** Resolves when the child exits. */
  exited: Promise<void>;
  /** Sends SIGTERM, waits up to `graceMs` (default 5000) for the exit, then sends SIGKILL. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `file` with an argument array in the background, stdout and stderr appended to `logFile`
 * (stdin closed). With `detached`, the child gets its own process group and is unref'd, so it keeps
 * running after this Node process exits (a shared local daemon). Rejects with `ProcessError` when the
 * program cannot be started (ENOENT). Readiness is the caller's to poll, with its own deadline.
 */
export async function startBackground(file: string, args: readonly string[], options: { logFile: string; detached?: boolean }): Promise<BackgroundProcess> {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(file, [...args], { detached: options.detached ?? false, stdio: ['ignore', fd, fd] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) => reject(new ProcessError(formatCommand(file, args), null, '', '', `could not start (${(e as NodeJS.ErrnoException).code ?? e.message})`)));
    });
  } finally {
    closeSync(fd); // the child holds its own copy of the descriptor
  }
  if (options.detached) child.unref();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const exitCode = (): number | null => child.exitCode ?? (child.signalCode ? -1 : null);
  return {
    pid: child.pid,
    exitCode,
    exited,
    async stop(graceMs = 5000) {
      if (exitCode() !== null) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => { timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, graceMs); });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
    },
  };
}
