import { InputError } from './errors.ts';
import { ExpectationSyntaxError, parseExpectations } from './expectations.ts';
import type { Expectation } from './expectations.ts';

/**
 * The typed config of the verify-metrics stage, its defaults (docs/verify-metrics.md,
 * "Inputs and defaults"), its validation (E15 in docs/errors.md) and the conversion from raw input strings that the action's
 * context and the `trunkline verify-metrics` CLI share, so both doors accept exactly the same forms.
 */

export type MetricsNetwork = 'bridge' | 'host';
export type LintMode = 'off' | 'warn' | 'error';

export interface VerifyMetricsConfig {
  /** Image to run (container mode). Exactly one of `image` and `baseUrl`. */
  image?: string;
  /** URL of an already running service (base-url mode: no Docker at all), e.g. `http://127.0.0.1:9090`. */
  baseUrl?: string;
  /**
   * `bridge`: publish `port` as `127.0.0.1::<port>` and read the ephemeral host port back.
   * `host`: `--network host`; a free host port is picked and passed to the app as `PORT`.
   */
  network: MetricsNetwork;
  /** Port the app listens on inside the container (bridge mode). Default 8080. */
  port: number;
  /** Container environment (`--env-file`), e.g. `{ ENABLE_METRICS: 'true' }`. */
  env: Record<string, string>;
  /** Extra `docker run` arguments, already split on whitespace. */
  dockerArgs: string[];
  readinessPath: string;
  readinessTimeoutMs: number;
  /** Path requested `probeCount` times, sequentially, before scraping (traffic to count). */
  probePath: string;
  probeCount: number;
  /** Exact status (`200`) or class (`2xx`) every probe must return. */
  probeExpectStatus: string;
  metricsPath: string;
  /** Expectation lines (docs/verify-metrics.md, "Expectation language"); blank and `#` lines allowed, line numbers count from 1. */
  expectations: string[];
  /** How long to keep re-scraping until every expectation holds. */
  expectTimeoutMs: number;
  /** Fail when the exposition has more samples than this. */
  maxSeries: number;
  lint: LintMode;
  promtoolPath?: string;
  /** Metric names whose promtool problems are tolerated. */
  lintIgnore: string[];
  /** `docker stop -t shutdownTimeoutSeconds` and require exit code 0. */
  checkShutdown: boolean;
  shutdownTimeoutSeconds: number;
  /** `docker logs --tail` lines printed (always, in a collapsed group). */
  logLines: number;
  /** Leave the container in place (debugging). */
  keepContainer: boolean;
  /** Time allowed for `docker run` (includes an image pull). */
  startTimeoutMs: number;
  /** Container name; default `vm-<runId>-<attempt>-<6 hex>`. The action sets it to save it for the post step first. */
  containerName?: string;
  /** Value of the `org.trunkline.verify-metrics` label; default `GITHUB_RUN_ID` or `local`. */
  runId?: string;
  /** Where the final scrape is saved; default `$RUNNER_TEMP`, else the OS temp dir. */
  outputDir?: string;
}

export const DEFAULT_EXPECTATION = 'http_requests_total{handler="/",method="GET",status="200"} >= 1';
export const DEFAULT_DOCKER_ARGS = ['--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges'];
export const DEFAULT_LINT_IGNORE = [
  'nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total',
  'nodejs_eventloop_utilization_histogram', 'nodejs_eventloop_utilization_summary',
];

/** The defaults (docs/verify-metrics.md, "Inputs and defaults"); `image`/`baseUrl` are left for the caller. */
export function defaultVerifyMetricsConfig(overrides: Partial<VerifyMetricsConfig> = {}): VerifyMetricsConfig {
  return {
    network: 'bridge',
    port: 8080,
    env: { ENABLE_METRICS: 'true' },
    dockerArgs: [...DEFAULT_DOCKER_ARGS],
    readinessPath: '/readyz',
    readinessTimeoutMs: 30_000,
    probePath: '/',
    probeCount: 5,
    probeExpectStatus: '2xx',
    metricsPath: '/metrics',
    expectations: [DEFAULT_EXPECTATION],
    expectTimeoutMs: 10_000,
    maxSeries: 2000,
    lint: 'warn',
    lintIgnore: [...DEFAULT_LINT_IGNORE],
    checkShutdown: true,
    shutdownTimeoutSeconds: 15,
    logLines: 200,
    keepContainer: false,
    startTimeoutMs: 300_000,
    ...overrides,
  };
}

const PREFIX = 'verify-metrics:';

/** E15: `verify-metrics: invalid input <name> line <n>: <reason>`, thrown before anything starts. */
export class MetricsInputError extends InputError {
  readonly line: number;
  constructor(input: string, line: number, reason: string) {
    super(input, reason);
    this.message = `${PREFIX} invalid input ${input} line ${line}: ${reason}`;
    this.name = 'MetricsInputError';
    this.line = line;
  }
}

/** `docker run` arguments the stage manages itself; passing them in `dockerArgs` would break the lifecycle. */
const RESERVED_DOCKER_ARGS = ['--rm', '-d', '--detach', '--name', '--network', '--net', '-p', '--publish', '-P', '--publish-all', '--env-file', '-e', '--env'];

/**
 * Validates the whole config before any side effect (a syntax error fails before anything starts).
 * Returns the parsed expectations; throws `MetricsInputError` (E15) naming the input.
 */
export function validateVerifyMetricsConfig(cfg: VerifyMetricsConfig): Expectation[] {
  if (!cfg.image === !cfg.baseUrl) throw new MetricsInputError(cfg.image ? 'base-url' : 'image', 1, 'exactly one of image or base-url is required');
  if (cfg.baseUrl) {
    let url: URL | undefined;
    try { url = new URL(cfg.baseUrl); } catch { /* reported below */ }
    if (!url || !/^https?:$/.test(url.protocol)) throw new MetricsInputError('base-url', 1, `must be an http:// or https:// URL (got "${cfg.baseUrl}")`);
  }
  if (cfg.image && /\s/.test(cfg.image)) throw new MetricsInputError('image', 1, `must be an image reference without blanks (got "${cfg.image}")`);
  if (cfg.network !== 'bridge' && cfg.network !== 'host') throw new MetricsInputError('network', 1, `must be bridge or host (got "${String(cfg.network)}")`);
  if (!Number.isInteger(cfg.port) || cfg.port < 1 || cfg.port > 65535) throw new MetricsInputError('container-port', 1, `must be a port from 1 to 65535 (got "${cfg.port}")`);
  Object.entries(cfg.env).forEach(([key, value], index) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new MetricsInputError('env', index + 1, `expected KEY=VALUE with KEY matching [A-Za-z_][A-Za-z0-9_]* (got "${key}")`);
    if (/[\r\n]/.test(value)) throw new MetricsInputError('env', index + 1, `the value of ${key} must be one line`);
  });
  cfg.dockerArgs.forEach((arg) => {
    const flag = arg.split('=')[0]!;
    if (RESERVED_DOCKER_ARGS.includes(flag)) throw new MetricsInputError('docker-args', 1, `${flag} is managed by the action (use the network/env inputs instead)`);
  });
  for (const [name, path] of [['readiness-path', cfg.readinessPath], ['probe-path', cfg.probePath], ['metrics-path', cfg.metricsPath]] as const) {
    if (!path.startsWith('/') || /\s/.test(path)) throw new MetricsInputError(name, 1, `must be a path starting with "/" (got "${path}")`);
  }
  if (!/^[1-5](\d\d|xx)$/.test(cfg.probeExpectStatus)) throw new MetricsInputError('probe-expect-status', 1, `must be a status code such as 200 or a class such as 2xx (got "${cfg.probeExpectStatus}")`);
  const positive: [string, number][] = [
    ['readiness-timeout', cfg.readinessTimeoutMs], ['expect-timeout', cfg.expectTimeoutMs], ['max-series', cfg.maxSeries],
    ['shutdown-timeout', cfg.shutdownTimeoutSeconds], ['log-lines', cfg.logLines + 1], ['probe-count', cfg.probeCount + 1],
  ];
  for (const [name, value] of positive) {
    if (!Number.isFinite(value) || value <= 0) throw new MetricsInputError(name, 1, `must be a positive number (got "${value}")`);
  }
  if (!['off', 'warn', 'error'].includes(cfg.lint)) throw new MetricsInputError('lint', 1, `must be off, warn or error (got "${cfg.lint}")`);
  let expectations: Expectation[];
  try {
    expectations = parseExpectations(cfg.expectations);
  } catch (error) {
    if (error instanceof ExpectationSyntaxError) throw new MetricsInputError('expect', error.line, error.reason);
    throw error;
  }
  if (expectations.length === 0) throw new MetricsInputError('expect', 1, 'at least one expectation is required');
  return expectations;
}

/** The action's input names (docs/verify-metrics.md, "Inputs and defaults", plus `network`); the CLI uses the same names as `--flags`. */
export const VERIFY_METRICS_INPUTS = [
  'image', 'base-url', 'network', 'container-port', 'env', 'docker-args', 'readiness-path', 'readiness-timeout',
  'probe-path', 'probe-count', 'probe-expect-status', 'metrics-path', 'expect', 'expect-timeout', 'max-series', 'lint',
  'promtool-path', 'lint-ignore', 'check-shutdown', 'shutdown-timeout', 'log-lines', 'keep-container',
] as const;
export type VerifyMetricsInputName = (typeof VERIFY_METRICS_INPUTS)[number];

/**
 * Raw input strings by input name. `undefined` = not given (default applies). For the list inputs
 * `env`, `docker-args` and `lint-ignore`, an empty string means "none" (so `lint-ignore: ''`
 * tolerates nothing); for the others an empty string also means the default.
 */
export type VerifyMetricsRawInputs = Partial<Record<VerifyMetricsInputName, string>>;

const blankToUndefined = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

function integer(raw: VerifyMetricsRawInputs, name: VerifyMetricsInputName, fallback: number, min: number, max: number): number {
  const v = blankToUndefined(raw[name]);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new MetricsInputError(name, 1, `must be a whole number from ${min} to ${max} (got "${v}")`);
  return Number(v);
}

/** Seconds as a bare number (`30`, `0.5`) or with a unit (`500ms`, `30s`, `2m`); returns milliseconds. */
function duration(raw: VerifyMetricsRawInputs, name: VerifyMetricsInputName, fallbackMs: number): number {
  const v = blankToUndefined(raw[name]);
  if (v === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m || Number(m[1]) <= 0) throw new MetricsInputError(name, 1, `must be a positive number of seconds, or a duration such as 500ms, 30s or 2m (got "${v}")`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

function boolean(raw: VerifyMetricsRawInputs, name: VerifyMetricsInputName, fallback: boolean): boolean {
  const v = blankToUndefined(raw[name]);
  if (v === undefined) return fallback;
  if (/^(true|True|TRUE)$/.test(v)) return true;
  if (/^(false|False|FALSE)$/.test(v)) return false;
  throw new MetricsInputError(name, 1, `must be true or false (got "${v}")`);
}

function oneOf<T extends string>(raw: VerifyMetricsRawInputs, name: VerifyMetricsInputName, allowed: readonly T[], fallback: T): T {
  const v = blankToUndefined(raw[name]);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new MetricsInputError(name, 1, `must be one of ${allowed.join(', ')} (got "${v}")`);
  return v as T;
}

/** `KEY=VALUE` lines (blank and `#` lines skipped); E15 names the line of a malformed entry. */
export function parseEnvLines(text: string, input = 'env'): Record<string, string> {
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new MetricsInputError(input, index + 1, `expected KEY=VALUE (got "${trimmed}")`);
    const key = trimmed.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new MetricsInputError(input, index + 1, `expected KEY=VALUE with KEY matching [A-Za-z_][A-Za-z0-9_]* (got "${key}")`);
    env[key] = trimmed.slice(eq + 1).trim();
  });
  return env;
}

/**
 * Builds and validates the config from raw input strings (action inputs or CLI flags).
 * `extra` supplies what only a door knows (container name for the post step, run id, output dir).
 * Throws `MetricsInputError` (E15) naming the input and line.
 */
export function verifyMetricsConfigFromInputs(raw: VerifyMetricsRawInputs, extra: Partial<VerifyMetricsConfig> = {}): VerifyMetricsConfig {
  const d = defaultVerifyMetricsConfig();
  const list = (v: string | undefined, fallback: string[], split: RegExp): string[] =>
    v === undefined ? fallback : v.split(split).map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
  const image = blankToUndefined(raw.image);
  const baseUrl = blankToUndefined(raw['base-url']);
  const expect = blankToUndefined(raw.expect) === undefined ? d.expectations : raw.expect!.split(/\r?\n/);
  const cfg: VerifyMetricsConfig = {
    ...d,
    network: oneOf(raw, 'network', ['bridge', 'host'] as const, d.network),
    port: integer(raw, 'container-port', d.port, 1, 65535),
    env: raw.env === undefined ? d.env : parseEnvLines(raw.env),
    dockerArgs: list(raw['docker-args'], d.dockerArgs, /\s+/),
    readinessPath: blankToUndefined(raw['readiness-path']) ?? d.readinessPath,
    readinessTimeoutMs: duration(raw, 'readiness-timeout', d.readinessTimeoutMs),
    probePath: blankToUndefined(raw['probe-path']) ?? d.probePath,
    probeCount: integer(raw, 'probe-count', d.probeCount, 0, 1000),
    probeExpectStatus: blankToUndefined(raw['probe-expect-status']) ?? d.probeExpectStatus,
    metricsPath: blankToUndefined(raw['metrics-path']) ?? d.metricsPath,
    expectations: expect,
    expectTimeoutMs: duration(raw, 'expect-timeout', d.expectTimeoutMs),
    maxSeries: integer(raw, 'max-series', d.maxSeries, 1, 10_000_000),
    lint: oneOf(raw, 'lint', ['off', 'warn', 'error'] as const, d.lint),
    lintIgnore: list(raw['lint-ignore'], d.lintIgnore, /[\s,]+/),
    checkShutdown: boolean(raw, 'check-shutdown', d.checkShutdown),
    shutdownTimeoutSeconds: Math.max(1, Math.round(duration(raw, 'shutdown-timeout', d.shutdownTimeoutSeconds * 1000) / 1000)),
    logLines: integer(raw, 'log-lines', d.logLines, 0, 100_000),
    keepContainer: boolean(raw, 'keep-container', d.keepContainer),
    ...extra,
  };
  const promtoolPath = blankToUndefined(raw['promtool-path']);
  if (promtoolPath) cfg.promtoolPath = promtoolPath;
  if (image) cfg.image = image;
  if (baseUrl) cfg.baseUrl = baseUrl;
  validateVerifyMetricsConfig(cfg);
  return cfg;
}
