/**
 * Readiness: startup, shutdown and required dependencies (README.md, "Logs, startup, shutdown").
 *
 * Each dependency is checked by a TCP connect with a timeout. Results are reused for
 * `READINESS_CACHE_MS`, and concurrent probes share one round of checks, so a probe storm never
 * turns into a connection storm against the database. Liveness never looks at any of this.
 */
import { connect } from 'node:net';
import type { TcpCheck } from '../config.ts';

export type ReadinessReason = 'starting' | 'shutting_down' | 'dependency_failed';

/** Body of `/readyz`: `{"status":"ready","checks":{…}}` or `{"status":"not_ready","reason":…,"checks":{…}}`. */
export interface ReadinessReport {
  ready: boolean;
  body: { status: 'ready' | 'not_ready'; reason?: ReadinessReason; checks: Record<string, string> };
}

/** Resolves `"ok"`, or a short failure such as `"ECONNREFUSED"` / `"timeout"`; never rejects. */
export function tcpCheck(check: TcpCheck, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: check.host, port: check.port });
    const done = (result: string): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => done('ok'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
  });
}

export interface ReadinessOptions {
  checks: readonly TcpCheck[];
  checkTimeoutMs: number;
  cacheMs: number;
}

/** Tracks the lifecycle state and the cached dependency results. */
export class Readiness {
  #started = false;
  #shuttingDown = false;
  readonly #options: ReadinessOptions;
  #cached: { at: number; checks: Record<string, string> } | undefined;
  #inFlight: Promise<Record<string, string>> | undefined;

  constructor(options: ReadinessOptions) {
    this.#options = options;
  }

  /** Initialisation (flags provider) has finished. */
  markStarted(): void { this.#started = true; }
  /** SIGTERM received: readiness turns 503 `shutting_down` at once. */
  markShuttingDown(): void { this.#shuttingDown = true; }
  get shuttingDown(): boolean { return this.#shuttingDown; }

  /** Runs (or reuses) one round of dependency checks. */
  async checkDependencies(): Promise<Record<string, string>> {
    const cached = this.#cached;
    if (cached && performance.now() - cached.at < this.#options.cacheMs) return cached.checks;
    this.#inFlight ??= (async () => {
      const results = await Promise.all(this.#options.checks.map((c) => tcpCheck(c, this.#options.checkTimeoutMs)));
      const checks = Object.fromEntries(this.#options.checks.map((c, i) => [c.name, results[i] ?? 'error']));
      this.#cached = { at: performance.now(), checks };
      return checks;
    })().finally(() => { this.#inFlight = undefined; });
    return this.#inFlight;
  }

  /** The current verdict for `/readyz`. */
  async report(): Promise<ReadinessReport> {
    if (this.#shuttingDown) return notReady('shutting_down', this.#cached?.checks ?? {});
    if (!this.#started) return notReady('starting', this.#cached?.checks ?? {});
    const checks = await this.checkDependencies();
    if (this.#shuttingDown) return notReady('shutting_down', checks);
    return Object.values(checks).every((v) => v === 'ok')
      ? { ready: true, body: { status: 'ready', checks } }
      : notReady('dependency_failed', checks);
  }
}

function notReady(reason: ReadinessReason, checks: Record<string, string>): ReadinessReport {
  return { ready: false, body: { status: 'not_ready', reason, checks } };
}
