/**
 * Service lifecycle: listen, initialise, serve, drain, exit (README.md, "Logs, startup, shutdown").
 *
 * Start: listen first (so `/livez` answers within 1 s), then initialise the flags provider; `/readyz`
 * says `starting` until that is done (or timed out).
 * Shutdown on the first SIGTERM/SIGINT, with D = `SHUTDOWN_DRAIN_DELAY_MS`, T = `SHUTDOWN_TIMEOUT_MS`:
 * readiness 503 at once and every response gets `Connection: close`; at D `server.close()` then
 * `closeIdleConnections()`; exit 0 when the last connection closes; at T `closeAllConnections()`,
 * `error shutdown_timeout`, exit 1. Further signals are logged and ignored.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { FlagService } from './flags/flag-service.ts';
import { createApp } from './http/app.ts';
import { Readiness } from './http/readiness.ts';
import type { Logger } from './log.ts';
import { createHttpMetrics } from './metrics/http-metrics.ts';
import type { HttpMetrics } from './metrics/http-metrics.ts';

/** A running service. `exited` resolves with the process exit code once shutdown has finished. */
export interface RunningService {
  readonly server: Server;
  readonly port: number;
  readonly metrics: HttpMetrics;
  readonly flags: FlagService;
  readonly readiness: Readiness;
  /** Resolves when initialisation finished (the service turned ready, barring dependencies). */
  readonly initialised: Promise<void>;
  readonly exited: Promise<number>;
  /**
   * Begins the shutdown sequence. `reason` is logged (the signal name); `drainMs` overrides D
   * (0 after a fatal error); `exitCode` is the code on a clean drain. A second call is logged and ignored.
   */
  shutdown(reason: string, options?: { drainMs?: number; exitCode?: number }): void;
}

/** Starts the service on `config.host:config.port` (port 0 picks a free port). */
export async function startService(config: Config, log: Logger): Promise<RunningService> {
  const startedAt = performance.now();
  const metrics = createHttpMetrics({
    defaultCollectors: config.defaultCollectors, appVersion: config.appVersion, gitSha: config.gitSha, adminEnabled: config.adminFlagsEnabled,
  });
  const flags = new FlagService(config, log);
  const readiness = new Readiness({ checks: config.readinessChecks, checkTimeoutMs: config.readinessCheckTimeoutMs, cacheMs: config.readinessCacheMs });
  const server = createServer({ keepAliveTimeout: config.keepAliveTimeoutMs, headersTimeout: config.keepAliveTimeoutMs + 1000 }, createApp({ config, log, metrics, flags, readiness }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  log.info('listening', { host: config.host, port, pid: process.pid, uid: process.getuid?.() });

  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => { resolveExit = resolve; });

  function shutdown(reason: string, options: { drainMs?: number; exitCode?: number } = {}): void {
    if (readiness.shuttingDown) {
      log.warn('shutdown_signal_ignored', { signal: reason });
      return;
    }
    const began = performance.now();
    const drainMs = options.drainMs ?? config.shutdownDrainDelayMs;
    const exitCode = options.exitCode ?? 0;
    readiness.markShuttingDown();
    log.info('shutdown_begin', { signal: reason, drain_ms: drainMs, timeout_ms: config.shutdownTimeoutMs });
    let finished = false;
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      clearTimeout(hardDeadline);
      void flags.close().catch(() => undefined);
      resolveExit(code);
    };
    const hardDeadline = setTimeout(() => {
      server.closeAllConnections();
      log.error('shutdown_timeout', { elapsed_ms: Math.round(performance.now() - began) });
      finish(1);
    }, config.shutdownTimeoutMs);
    setTimeout(() => {
      server.close(() => {
        log.info('shutdown_complete', { elapsed_ms: Math.round(performance.now() - began) });
        finish(exitCode);
      });
      // After close(), per the Node docs: idle keep-alive sockets would otherwise hold the server open.
      server.closeIdleConnections();
    }, drainMs);
  }

  const initialised = flags.init().then(() => {
    readiness.markStarted();
    if (!readiness.shuttingDown) log.info('ready', { startup_ms: Math.round(performance.now() - startedAt), uptime_ms: Math.round(process.uptime() * 1000), flags_provider: flags.providerName });
  });

  return { server, port, metrics, flags, readiness, initialised, exited, shutdown };
}
