/**
 * Process entry point (bundled to `dist/server.mjs`).
 *
 * Exit codes: 0 after a graceful shutdown; 1 after a shutdown timeout or a fatal error (uncaught
 * exception, unhandled rejection, cannot listen); 2 for invalid configuration, with one JSON line
 * `{"level":"error","msg":"invalid_config","variable":"<NAME>",…}`.
 */
import { ConfigError, loadConfig } from './config.ts';
import type { Config } from './config.ts';
import { Logger } from './log.ts';
import { startService } from './service.ts';
import type { RunningService } from './service.ts';

function configOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    const log = new Logger({ level: 'info', version: process.env.APP_VERSION || 'unknown' });
    if (error instanceof ConfigError) {
      log.error('invalid_config', { variable: error.variable, allowed: error.allowed, message: error.message });
    } else {
      log.error('invalid_config', { err: error });
    }
    log.flushSync();
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const log = new Logger({ level: config.logLevel, version: config.appVersion });
  process.on('exit', () => log.flushSync());

  let service: RunningService | undefined;
  let fatalSeen = false;
  const fatal = (kind: string) => (error: unknown): void => {
    log.fatal(kind, { err: error });
    fatalSeen = true;
    if (!service) process.exit(1);
    // Drain at once (D = 0); a fatal error during a shutdown already under way still exits 1.
    service.shutdown(kind, { drainMs: 0, exitCode: 1 });
  };
  process.on('uncaughtException', fatal('uncaught_exception'));
  process.on('unhandledRejection', fatal('unhandled_rejection'));

  try {
    service = await startService(config, log);
  } catch (error) {
    log.fatal('listen_failed', { host: config.host, port: config.port, err: error });
    process.exit(1);
  }
  const running = service;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => running.shutdown(signal));
  const code = await running.exited;
  log.flushSync();
  process.exit(fatalSeen ? 1 : code);
}

void main();
