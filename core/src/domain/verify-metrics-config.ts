import { randomBytes } from 'node:crypto';
import { InputError } from './errors.ts';
import { RawReader, checkRawSizes } from './raw-inputs.ts';
import type { InputTable, RawInputs } from './raw-inputs.ts';
import { ExpectationSyntaxError, parseExpectations } from './expectations.ts';
import type { Expectation } from './expectations.ts';

/**
 * The typed config of the verify-metrics stage, its input table and defaults, its validation
 * (E15, docs/errors.md) and its one resolver from raw input strings that the action's context, the
 * `trunkline verify-metrics` CLI and the pipeline share, so every door accepts exactly the same forms.
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
  /** Container name, built once by `verifyMetricsContainerName` (the action saves it for its post step first). */
  containerName: string;
  /** Value of the `org.trunkline.verify-metrics` label: the door's run id (`GITHUB_RUN_ID`, `local`, `local-<pid>`). */
  runId: string;
  /** Where the final scrape is saved (the action passes `RUNNER_TEMP`); default the OS temp dir. */
  outputDir?: string;
}

export const DEFAULT_EXPECTATION = 'http_requests_total{handler="/",method="GET",status="200"} >= 1';
export const DEFAULT_DOCKER_ARGS = ['--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges'];
export const DEFAULT_LINT_IGNORE = [
  'nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total',
  'nodejs_eventloop_utilization_histogram', 'nodejs_eventloop_utilization_summary',
];

/**
 * The inputs of action-verify-metrics (its action.yml) with action.yml's defaults; the CLI takes
 * the same names as `--flags` (lists repeat). The one place these names and defaults exist.
 */
export const VERIFY_METRICS_INPUTS: InputTable = [
  { name: 'image' },
  { name: 'base-url' },
  { name: 'network', default: 'bridge' },
  { name: 'container-port', default: '8080' },
  { name: 'env', default: 'ENABLE_METRICS=true', list: 'lines' },
  { name: 'docker-args', default: DEFAULT_DOCKER_ARGS.join(' ') },
  { name: 'readiness-path', default: '/readyz' },
  { name: 'readiness-timeout', default: '30' },
  { name: 'probe-path', default: '/' },
  { name: 'probe-count', default: '5' },
  { name: 'probe-expect-status', default: '2xx' },
  { name: 'metrics-path', default: '/metrics' },
  { name: 'expect', default: DEFAULT_EXPECTATION, list: 'lines' },
  { name: 'expect-timeout', default: '10' },
  { name: 'max-series', default: '2000' },
  { name: 'lint', default: 'warn' },
  { name: 'promtool-path' },
  { name: 'lint-ignore', default: DEFAULT_LINT_IGNORE.join(','), list: 'items' },
  { name: 'check-shutdown', default: 'true' },
  { name: 'shutdown-timeout', default: '15' },
  { name: 'log-lines', default: '200' },
  { name: 'keep-container', default: 'false' },
  { name: 'output-dir', cliOnly: true },
];

/** Inputs whose empty value means "none" rather than "the default" (`lint-ignore: ''` tolerates nothing). */
const EMPTY_MEANS_NONE = new Set(['env', 'docker-args', 'lint-ignore']);

/**
 * What only a door knows: the run id and attempt (the action: `GITHUB_RUN_ID`/`GITHUB_RUN_ATTEMPT`;
 * the CLI and pipeline: `local` and a per-process value) and where the scrape is saved
 * (the action: `RUNNER_TEMP`). Stages read no environment variables.
 */
export interface VerifyMetricsDoorContext {
  runId?: string | undefined;
  runAttempt?: string | undefined;
  outputDir?: string | undefined;
}

/**
 * The container name, unique per job and call: `vm-<runId>-<attempt>-<6 hex>`, reduced to the
 * characters Docker allows (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`). Parallel matrix jobs share run id and
 * attempt, so the random part keeps them apart. Named before anything starts so the action can
 * hand the name to its post step and the CLI to its signal handler.
 */
export function verifyMetricsContainerName(runId: string, attempt: string): string {
  const clean = (s: string): string => s.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return `vm-${clean(runId)}-${clean(attempt)}-${randomBytes(3).toString('hex')}`;
}

/**
 * The typed defaults (the table's, parsed), with `overrides` applied; `image`/`baseUrl` are left
 * for the caller. Every config gets its run id (default `local`) and its container name here,
 * the only place the name is built.
 */
export function defaultVerifyMetricsConfig(overrides: Partial<VerifyMetricsConfig> & { runAttempt?: string } = {}): VerifyMetricsConfig {
  const { runAttempt, ...rest } = overrides;
  const runId = rest.runId ?? 'local';
  return {
    ...typedFields(new RawReader({}, VERIFY_METRICS_INPUTS)),
    startTimeoutMs: 300_000,
    ...rest,
    runId,
    containerName: rest.containerName ?? verifyMetricsContainerName(runId, runAttempt ?? '1'),
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

/** Seconds as a bare number (`30`, `0.5`) or with a unit (`500ms`, `30s`, `2m`); returns milliseconds. */
function duration(read: RawReader, name: string): number {
  const v = read.string(name)!;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m || Number(m[1]) <= 0) throw new InputError(name, `must be a positive number of seconds, or a duration such as 500ms, 30s or 2m (got "${v}")`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

/** Every typed field read from `read` (table defaults for absent inputs), not yet validated as a whole. */
function typedFields(read: RawReader): Omit<VerifyMetricsConfig, 'startTimeoutMs' | 'runId' | 'containerName'> {
  const fields: Omit<VerifyMetricsConfig, 'startTimeoutMs' | 'runId' | 'containerName'> = {
    network: read.oneOf('network', ['bridge', 'host'] as const, 'bridge'),
    port: read.integer('container-port', 8080, { min: 1, max: 65535 }),
    env: parseEnvLines(read.value('env') ?? ''),
    dockerArgs: (read.value('docker-args') ?? '').split(/\s+/).filter(Boolean),
    readinessPath: read.string('readiness-path')!,
    readinessTimeoutMs: duration(read, 'readiness-timeout'),
    probePath: read.string('probe-path')!,
    probeCount: read.integer('probe-count', 5, { min: 0, max: 1000 }),
    probeExpectStatus: read.string('probe-expect-status')!,
    metricsPath: read.string('metrics-path')!,
    // Untrimmed lines: E15 errors count lines as the user wrote them.
    expectations: (read.value('expect') ?? '').split(/\r?\n/),
    expectTimeoutMs: duration(read, 'expect-timeout'),
    maxSeries: read.integer('max-series', 2000, { min: 1, max: 10_000_000 }),
    lint: read.oneOf('lint', ['off', 'warn', 'error'] as const, 'warn'),
    lintIgnore: read.list('lint-ignore').flatMap((item) => item.split(/\s+/)).filter(Boolean),
    checkShutdown: read.boolean('check-shutdown', true),
    shutdownTimeoutSeconds: Math.max(1, Math.round(duration(read, 'shutdown-timeout') / 1000)),
    logLines: read.integer('log-lines', 200, { min: 0, max: 100_000 }),
    keepContainer: read.boolean('keep-container', false),
  };
  const optional = { image: read.string('image'), baseUrl: read.string('base-url'), promtoolPath: read.string('promtool-path'), outputDir: read.string('output-dir') };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (fields as Record<string, unknown>)[key] = value;
  return fields;
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
 * The one resolver: raw values by input name (action inputs, CLI flags) → validated config.
 * Absent inputs take the table's default; an empty value does too, except for `env`,
 * `docker-args` and `lint-ignore`, where empty means "none". `door` supplies the run id, attempt
 * and output dir. Throws `MetricsInputError` (E15: `verify-metrics: invalid input <name> line <n>:
 * <reason>`) naming the input and line, before anything starts.
 */
export function verifyMetricsConfigFromInputs(raw: RawInputs, door: VerifyMetricsDoorContext = {}): VerifyMetricsConfig {
  const given: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined && (value.trim() !== '' || EMPTY_MEANS_NONE.has(name))) given[name] = value;
  }
  let cfg: VerifyMetricsConfig;
  try {
    checkRawSizes(given);
    const fields = typedFields(new RawReader(given, VERIFY_METRICS_INPUTS));
    cfg = defaultVerifyMetricsConfig({
      ...fields,
      ...(door.runId ? { runId: door.runId } : {}),
      ...(door.runAttempt ? { runAttempt: door.runAttempt } : {}),
      ...(door.outputDir && !fields.outputDir ? { outputDir: door.outputDir } : {}),
    });
  } catch (error) {
    // The shared readers throw InputError; E15 adds the stage prefix and the line.
    if (error instanceof InputError && !(error instanceof MetricsInputError)) {
      throw new MetricsInputError(error.input, 1, error.message.replace(`Input "${error.input}" `, ''));
    }
    throw error;
  }
  validateVerifyMetricsConfig(cfg);
  return cfg;
}
