/**
 * Environment → typed configuration (README.md, "Configuration").
 *
 * Every variable is validated once at startup. A bad value throws `ConfigError` naming the variable;
 * `main.ts` turns that into one JSON log line `{"level":"error","msg":"invalid_config","variable":…}`
 * and exit code 2, so a typo in a Deployment fails the rollout instead of running with a silent default.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type AccessLogMode = 'off' | 'errors' | 'all';
export type FlagsProviderName = 'memory' | 'flagd';

/** One required readiness dependency, checked by a TCP connect to `host:port`. */
export interface TcpCheck {
  name: string;
  host: string;
  port: number;
}

/** The validated service configuration; all durations are milliseconds. */
export interface Config {
  port: number;
  host: string;
  /** Default of the `metrics_enabled` flag (`ENABLE_METRICS`). */
  enableMetrics: boolean;
  /** prom-client's `process_*` / `nodejs_*` collectors (`METRICS_DEFAULT_COLLECTORS`). */
  defaultCollectors: boolean;
  adminFlagsEnabled: boolean;
  /** When set, `/admin/*` requires `Authorization: Bearer <token>`. */
  adminToken: string | undefined;
  flagsProvider: FlagsProviderName;
  flagsInitTimeoutMs: number;
  flagsRefreshMs: number;
  readinessChecks: TcpCheck[];
  readinessCheckTimeoutMs: number;
  readinessCacheMs: number;
  shutdownDrainDelayMs: number;
  shutdownTimeoutMs: number;
  keepAliveTimeoutMs: number;
  logLevel: LogLevel;
  accessLog: AccessLogMode;
  slowRequestMs: number;
  appVersion: string;
  gitSha: string;
}

/** A configuration value that is not of the allowed form; `variable` names the environment variable. */
export class ConfigError extends Error {
  readonly variable: string;
  readonly allowed: string;
  constructor(variable: string, allowed: string, value: string) {
    super(`${variable} must be ${allowed} (got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)})`);
    this.name = 'ConfigError';
    this.variable = variable;
    this.allowed = allowed;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Empty and unset mean "use the default" (Kubernetes renders optional values as ""). */
function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, value);
  }
  return Number(value);
}

/**
 * `true`/`1` and `false`/`0` (any case). Anything else is rejected rather than read as false, so
 * `ENABLE_METRICS=ture` fails fast instead of silently turning metrics off.
 */
function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new ConfigError(name, 'true, false, 1 or 0', value);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(name, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

/** `[::1]` → `::1`: URLs and host:port lists bracket IPv6 addresses; listen() and connect() want them bare. */
function unbracket(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[?[0-9A-Fa-f:.]+\]?)$/;

function hostPort(variable: string, text: string, original: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const host = match?.[1] === undefined ? undefined : unbracket(match[1]);
  const port = Number(match?.[2]);
  if (!host || !HOST_PATTERN.test(host) || !(port >= 1 && port <= 65535)) {
    throw new ConfigError(variable, 'a comma list of name=host:port (port 1-65535)', original);
  }
  return { host, port };
}

/** `READINESS_TCP_CHECKS=db=10.0.0.5:5432,cache=redis:6379` → checks; names are `[a-z0-9_-]`. */
function tcpChecks(env: Env): TcpCheck[] {
  const value = raw(env, 'READINESS_TCP_CHECKS');
  const checks: TcpCheck[] = [];
  if (value !== undefined) {
    for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const eq = item.indexOf('=');
      const name = item.slice(0, eq);
      if (eq < 1 || !/^[a-z0-9_-]{1,32}$/.test(name)) {
        throw new ConfigError('READINESS_TCP_CHECKS', 'a comma list of name=host:port (name: a-z 0-9 _ -)', value);
      }
      if (checks.some((c) => c.name === name)) throw new ConfigError('READINESS_TCP_CHECKS', 'a list of distinct names', value);
      checks.push({ name, ...hostPort('READINESS_TCP_CHECKS', item.slice(eq + 1), value) });
    }
  }
  const databaseUrl = raw(env, 'DATABASE_URL');
  if (databaseUrl !== undefined) checks.push(databaseCheck(databaseUrl));
  return checks;
}

const DEFAULT_DB_PORTS: Readonly<Record<string, number>> = {
  postgres: 5432, postgresql: 5432, mysql: 3306, mariadb: 3306, redis: 6379, rediss: 6379, mongodb: 27017, amqp: 5672,
};

/** `DATABASE_URL` adds the check `database=<host>:<port>`; the port defaults by scheme. */
function databaseCheck(url: string): TcpCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('DATABASE_URL', 'a URL such as postgres://user@host:5432/db', '<redacted>');
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const port = parsed.port ? Number(parsed.port) : DEFAULT_DB_PORTS[scheme];
  const host = unbracket(parsed.hostname);
  // The URL usually carries a password: never echo it back in the error.
  if (!host || port === undefined) throw new ConfigError('DATABASE_URL', 'a URL with a host and a port (or a known scheme)', '<redacted>');
  return { name: 'database', host, port };
}

/**
 * Reads and validates the configuration from `env` (normally `process.env`).
 * @throws ConfigError naming the first invalid variable and its allowed form.
 */
export function loadConfig(env: Env): Config {
  const shutdownDrainDelayMs = integer(env, 'SHUTDOWN_DRAIN_DELAY_MS', 5000, 0, 600_000);
  const shutdownTimeoutMs = integer(env, 'SHUTDOWN_TIMEOUT_MS', 20_000, 1000, 3_600_000);
  if (shutdownTimeoutMs < shutdownDrainDelayMs + 1000) {
    throw new ConfigError('SHUTDOWN_TIMEOUT_MS', `at least SHUTDOWN_DRAIN_DELAY_MS + 1000 (${shutdownDrainDelayMs + 1000})`, String(shutdownTimeoutMs));
  }
  const hostText = raw(env, 'HOST') ?? '0.0.0.0';
  if (!HOST_PATTERN.test(hostText)) throw new ConfigError('HOST', 'an IP address or host name', hostText);
  const host = unbracket(hostText);
  const adminToken = env.ADMIN_TOKEN === undefined || env.ADMIN_TOKEN === '' ? undefined : env.ADMIN_TOKEN;
  if (adminToken !== undefined && !/^[\x21-\x7e]{16,512}$/.test(adminToken)) {
    throw new ConfigError('ADMIN_TOKEN', 'unset, or 16-512 printable ASCII characters without spaces', '<redacted>');
  }
  const version = (name: string): string => {
    const value = raw(env, name) ?? 'unknown';
    if (!/^[\w.+:@/-]{1,128}$/.test(value)) throw new ConfigError(name, 'up to 128 characters of A-Z a-z 0-9 . _ + : @ / -', value);
    return value;
  };
  return {
    port: integer(env, 'PORT', 8080, 1, 65535),
    host,
    enableMetrics: boolean(env, 'ENABLE_METRICS', false),
    defaultCollectors: boolean(env, 'METRICS_DEFAULT_COLLECTORS', true),
    adminFlagsEnabled: boolean(env, 'ADMIN_FLAGS_ENABLED', false),
    adminToken,
    flagsProvider: oneOf(env, 'FLAGS_PROVIDER', ['memory', 'flagd'] as const, 'memory'),
    flagsInitTimeoutMs: integer(env, 'FLAGS_INIT_TIMEOUT_MS', 3000, 0, 600_000),
    flagsRefreshMs: integer(env, 'FLAGS_REFRESH_MS', 5000, 100, 3_600_000),
    readinessChecks: tcpChecks(env),
    readinessCheckTimeoutMs: integer(env, 'READINESS_CHECK_TIMEOUT_MS', 500, 1, 60_000),
    readinessCacheMs: integer(env, 'READINESS_CACHE_MS', 1000, 0, 600_000),
    shutdownDrainDelayMs,
    shutdownTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 65_000, 1000, 3_600_000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    accessLog: oneOf(env, 'ACCESS_LOG', ['off', 'errors', 'all'] as const, 'errors'),
    slowRequestMs: integer(env, 'SLOW_REQUEST_MS', 500, 0, 3_600_000),
    appVersion: version('APP_VERSION'),
    gitSha: version('GIT_SHA'),
  };
}
