/**
 * Runs the service for tests: in this process (a real HTTP server on an ephemeral loopback port),
 * or as a child process (real signals, real stdout, real exit codes).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { Logger } from '../../src/log.ts';
import { startService } from '../../src/service.ts';
import type { RunningService } from '../../src/service.ts';

export const packageDir = fileURLToPath(new URL('../..', import.meta.url));
export const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface InProcessService {
  port: number;
  service: RunningService;
  /** Every log line written so far, parsed (flushes the logger's buffer first). */
  readonly logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts the service in-process on 127.0.0.1:<free port> with `env` over the defaults; waits until initialised. */
export async function startInProcess(env: Record<string, string> = {}): Promise<InProcessService> {
  // PORT must be 1-65535 in the environment; tests ask the kernel for a free port (0) afterwards.
  const config = { ...loadConfig({ HOST: '127.0.0.1', SHUTDOWN_DRAIN_DELAY_MS: '0', ...env }), port: 0 };
  const lines: Array<Record<string, unknown>> = [];
  const log = new Logger({
    level: config.logLevel,
    version: config.appVersion,
    sink: (chunk) => { for (const line of chunk.split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>); },
  });
  // The flagd provider reads its FLAGD_* variables from process.env itself, when it is constructed.
  const flagdKeys = Object.keys(env).filter((k) => k.startsWith('FLAGD_'));
  const saved = flagdKeys.map((k) => [k, process.env[k]] as const);
  for (const k of flagdKeys) process.env[k] = env[k];
  let service: RunningService;
  try {
    service = await startService(config, log);
    await service.initialised;
  } finally {
    for (const [k, v] of saved) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
  return {
    port: service.port,
    service,
    get logs() {
      log.flushSync();
      return lines;
    },
    async stop() {
      service.shutdown('test', { drainMs: 0 });
      await service.exited;
      log.flushSync();
    },
  };
}

export interface ChildService {
  child: ChildProcessWithoutNullStreams;
  /** Raw stdout lines so far. */
  lines: string[];
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal) and the time of exit. */
  exit: Promise<{ code: number | null; at: number }>;
  /** Waits for a JSON log line with this `msg`; resolves with it. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The port from the `listening` line. */
  port(): Promise<number>;
  kill(): void;
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the kernel picked it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Spawns `node src/main.ts` (or `script`) with `env` over a minimal environment; pass `PORT`
 * (e.g. from `freePort()`) unless the test expects the process to exit before listening.
 */
export function spawnService(env: Record<string, string>, script = mainScript, nodeArgs: readonly string[] = []): ChildService {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const exit = new Promise<{ code: number | null; at: number }>((resolve) => {
    child.on('exit', (code) => {
      const at = performance.now();
      for (const w of waiters.splice(0)) w();
      resolve({ code, at });
    });
  });
  let exited = false;
  void exit.then(() => { exited = true; });

  async function waitForLog(msg: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (const line of lines) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg === msg) return parsed;
      }
      if (exited) throw new Error(`service exited before logging ${msg}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`);
      if (performance.now() > deadline) throw new Error(`no ${msg} log line within ${timeoutMs} ms; stdout:\n${lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  return {
    child, lines, exit, waitForLog,
    stderr: () => stderr,
    port: async () => Number((await waitForLog('listening')).port),
    kill: () => { if (!exited) child.kill('SIGKILL'); },
  };
}
