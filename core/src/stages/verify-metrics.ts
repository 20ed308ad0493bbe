import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { external } from '../report/external-time.ts';
import type { Logger } from '../report/logger.ts';
import type { Finding, StageResult } from '../report/result.ts';
import { ExpositionError, decodeExposition, formatValue, parseExposition } from '../domain/exposition.ts';
import type { Exposition, ExpositionFormat } from '../domain/exposition.ts';
import { evaluateAll, matchingSeries, presentSeries } from '../domain/expectations.ts';
import type { Expectation, ExpectationResult } from '../domain/expectations.ts';
import {
  VERIFY_METRICS_LABEL, DockerRunError, containerLogs, containerState, dockerServerVersion, publishedPort, removeContainer,
  startContainer, stopContainer,
} from '../adapters/docker-run.ts';
import type { ContainerState } from '../adapters/docker-run.ts';
import { HttpProbeError, httpGet } from '../adapters/http-probe.ts';
import type { HttpResponse } from '../adapters/http-probe.ts';
import { findPromtool, promtoolCheckMetrics } from '../adapters/promtool.ts';
import { freePort } from '../adapters/free-port.ts';
import { validateVerifyMetricsConfig } from '../domain/verify-metrics-config.ts';
import type { VerifyMetricsConfig } from '../domain/verify-metrics-config.ts';
import { writeFileAtomic } from '../adapters/atomic-file.ts';
import { markdownTable, outputToString, stageMarkdown } from '../report/render.ts';
import type { SummarySection } from '../report/render.ts';
import { runStage } from '../report/result.ts';
import { redactUrl, urlCredentials } from '../domain/url-credentials.ts';
import { describeResponse } from '../domain/response-excerpt.ts';

/** Waiting on the container counts as external time (see report/external-time.ts), not stage overhead. */
const sleep = (ms: number): Promise<void> => external(() => sleepFor(ms));

/**
 * Stage `verify-metrics`: run the image (or use a running service at `baseUrl`), wait for
 * readiness while watching for an early exit, send probe requests, scrape `/metrics` until the
 * expectations hold or time runs out, check cardinality, lint with promtool, check that SIGTERM
 * stops the container cleanly, and always remove the container. Spec: docs/verify-metrics.md
 * (inputs, outputs, expectation language, lifecycle); messages E01–E15: docs/errors.md.
 */

export type { VerifyMetricsConfig } from '../domain/verify-metrics-config.ts';
export { defaultVerifyMetricsConfig } from '../domain/verify-metrics-config.ts';

/** Outputs, named exactly as the action's outputs (docs/verify-metrics.md, "Outputs"). */
export type VerifyMetricsOutputs = {
  'container-id'?: string;
  'host-port'?: number;
  'ready-ms'?: number;
  'series-count'?: number;
  'metrics-file'?: string;
  results?: ExpectationResult[];
  'lint-problems'?: number;
  'shutdown-ms'?: number;
  'shutdown-exit-code'?: number;
};

const STAGE = 'verify-metrics';
const PREFIX = 'verify-metrics:';

/** E01–E14 and `container-unhealthy` (docs/errors.md): the stage ran and the service (or the machine) failed a check. */
export class MetricsCheckError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${PREFIX} ${message}`);
    this.name = 'MetricsCheckError';
    this.code = code;
  }
}

/** Does `status` match `pattern` (`200` exactly or a class such as `2xx`)? */
export function statusMatches(status: number, pattern: string): boolean {
  return pattern.endsWith('xx') ? String(status)[0] === pattern[0] && status >= 100 && status < 600 : String(status) === pattern;
}

/**
 * Checks a scrape's Content-Type (E07): `text/plain` (version absent, 0.0.4 or 1.0.0)
 * is the text format; `application/openmetrics-text` is OpenMetrics. Returns the format or undefined.
 */
export function expositionFormatOf(contentType: string | undefined): ExpositionFormat | undefined {
  if (!contentType) return undefined;
  const [media, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  const version = params.find((p) => p.startsWith('version='))?.slice('version='.length).replace(/"/g, '');
  if (media === 'text/plain' && (version === undefined || version === '0.0.4' || version === '1.0.0')) return 'text';
  if (media === 'application/openmetrics-text') return 'openmetrics';
  return undefined;
}

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

interface Target {
  baseUrl: string;
  containerId?: string;
}

/**
 * Runs the stage; never throws. Bad config → a `failed` result with the E15 message before any
 * side effect. Every other failure is a `failed` result whose `error` is the check's message
 * (E01–E14, `container-unhealthy`; docs/errors.md), with the outputs known so far. Credentials in
 * `baseUrl` are registered with `log.secret` and removed from every URL a message shows. A
 * container, once started, is removed in `finally` (unless `keepContainer`).
 */
export async function runVerifyMetrics(cfg: VerifyMetricsConfig, log: Logger): Promise<StageResult<VerifyMetricsOutputs>> {
  const outputs: VerifyMetricsOutputs = {};
  const notes: string[] = [];
  const findings: Finding[] = [];
  let expectations: Expectation[] = [];
  const result = await runStage<VerifyMetricsOutputs>(STAGE, async () => {
    for (const secret of urlCredentials(cfg.baseUrl ?? '')) log.secret(secret);
    expectations = validateVerifyMetricsConfig(cfg);
    const error = await check(cfg, expectations, log, outputs, notes, findings);
    // No log.error here: the door reports `error` once (an ::error:: annotation via setFailed, or the CLI table).
    if (error && !findings.length) findings.push({ id: error.code, message: error.message.split('\n')[0]!, severity: 'error' });
    return { status: error ? 'failed' : 'passed', outputs, findings, notes, ...(error ? { error: error.message } : {}) };
  }, { failedOutputs: () => outputs, onError: (failed) => { failed.notes = notes; failed.findings = findings; } });
  result.summaryMarkdown = verifyMetricsMarkdown(result, expectations.map((e) => e.source));
  return result;
}

/** The checks in order; resolves with the failed check (or undefined). Removes the container it started. */
async function check(
  cfg: VerifyMetricsConfig, expectations: Expectation[], log: Logger, outputs: VerifyMetricsOutputs, notes: string[], findings: Finding[],
): Promise<MetricsCheckError | undefined> {
  let containerId: string | undefined;
  try {
    const target: Target = cfg.baseUrl
      ? { baseUrl: cfg.baseUrl.replace(/\/+$/, '') }
      : await startTarget(cfg, log, outputs, (id) => { containerId = id; });
    const readyMs = await waitForReadiness(cfg, target, log);
    outputs['ready-ms'] = readyMs;
    log.info(`ready after ${readyMs} ms (${redactUrl(`${target.baseUrl}${cfg.readinessPath}`)})`);
    await sendProbes(cfg, target, log);
    const scrape = await scrapeUntil(cfg, target, expectations, log, (r) => { outputs.results = r; });
    outputs['series-count'] = scrape.exposition.samples.length;
    outputs['metrics-file'] = await saveScrape(cfg, scrape.text, containerId);
    let firstFailure: MetricsCheckError | undefined;
    for (const r of scrape.results) {
      if (r.pass) continue;
      const failure = failureMessage(r, expectations, scrape.exposition);
      findings.push({ id: r.expectation, message: failure.message, severity: 'error' });
      firstFailure ??= failure;
    }
    if (firstFailure) throw firstFailure;
    const count = scrape.exposition.samples.length;
    if (count > cfg.maxSeries) throw new MetricsCheckError('E12', `${count} series exceed max-series ${cfg.maxSeries}`);
    // The shutdown check needs nothing from the lint: SIGTERM goes out while promtool reads the scrape.
    const stopping = containerId && cfg.checkShutdown ? stopContainer(containerId, cfg.shutdownTimeoutSeconds) : undefined;
    stopping?.catch(() => { /* awaited below unless the lint fails first; cleanup removes the container either way */ });
    outputs['lint-problems'] = await lint(cfg, scrape, log, notes, findings);
    if (stopping) {
      const stop = await stopping;
      outputs['shutdown-ms'] = stop.durationMs;
      if (stop.exitCode !== undefined) outputs['shutdown-exit-code'] = stop.exitCode;
      log.info(`docker stop took ${stop.durationMs} ms, exit code ${stop.exitCode ?? 'unknown'}`);
      if (stop.exitCode !== 0) {
        throw new MetricsCheckError('E14', `container did not stop cleanly after SIGTERM: exit code ${stop.exitCode ?? 'unknown'} after ${stop.durationMs} ms`);
      }
    } else if (containerId) {
      notes.push('shutdown check skipped (check-shutdown: false)');
    }
    return undefined;
  } catch (caught) {
    if (!(caught instanceof MetricsCheckError)) throw caught;
    return caught;
  } finally {
    if (containerId) await cleanup(cfg, containerId, log, notes);
  }
}

async function startTarget(cfg: VerifyMetricsConfig, log: Logger, outputs: VerifyMetricsOutputs, started: (id: string) => void): Promise<Target> {
  try {
    log.info(`docker ${await dockerServerVersion()}`);
  } catch (e) {
    throw new MetricsCheckError('E01', `docker is not available: ${(e as DockerRunError).firstLine ?? (e as Error).message}`);
  }
  const { runId, containerName: name } = cfg;
  const hostMode = cfg.network === 'host';
  const hostPort = hostMode ? await freePort() : undefined;
  const env = hostPort === undefined ? cfg.env : { ...cfg.env, PORT: String(hostPort) };
  let id: string;
  try {
    id = await startContainer({
      image: cfg.image!, name, labels: { [VERIFY_METRICS_LABEL]: runId }, env, network: cfg.network,
      publishPort: cfg.port, extraArgs: cfg.dockerArgs,
    }, cfg.startTimeoutMs);
  } catch (e) {
    // A failed `docker run` can still leave a created container behind under our name.
    await removeContainer(name);
    throw new MetricsCheckError('E02', `failed to start container from ${cfg.image}: ${(e as DockerRunError).firstLine ?? (e as Error).message}`);
  }
  started(id);
  outputs['container-id'] = id;
  log.info(`started ${name} (${id.slice(0, 12)}) from ${cfg.image}, network ${cfg.network}`);
  let port = hostPort;
  if (port === undefined) {
    try {
      port = await publishedPort(id, cfg.port);
    } catch {
      // No port means the container already died or never exposed it: let readiness say which.
      const state = await containerState(id);
      if (state && !state.running) throw await exitedEarly(cfg, id, state.exitCode, 0);
      throw new MetricsCheckError('E02', `failed to start container from ${cfg.image}: port ${cfg.port}/tcp was not published`);
    }
  }
  outputs['host-port'] = port;
  return { baseUrl: `http://127.0.0.1:${port}`, containerId: id };
}

async function exitedEarly(cfg: VerifyMetricsConfig, id: string, exitCode: number, elapsedMs: number): Promise<MetricsCheckError> {
  const logs = await containerLogs(id, cfg.logLines);
  return new MetricsCheckError('E03', `container exited with code ${exitCode} before becoming ready (after ${elapsedMs} ms)${logs ? `\n${logs}` : ''}`);
}

const errorCode = (e: unknown): string => (e instanceof HttpProbeError ? e.code : (e as Error).message);

/** `container-unhealthy`: docker's HEALTHCHECK verdict with the last check's exit code and output. */
function unhealthy(state: ContainerState, elapsedMs: number): MetricsCheckError {
  const last = state.lastHealthCheck;
  const detail = last ? `last health check exited ${last.exitCode}: ${truncate(last.output.trim(), 2048) || '(no output)'}` : 'no health check output';
  return new MetricsCheckError('container-unhealthy', `container became unhealthy before becoming ready (after ${elapsedMs} ms); ${detail}`);
}

/** Polls readiness (every 25 ms at first, backing off to 250 ms; 1 s per request) and the container state; returns ms until 200. */
async function waitForReadiness(cfg: VerifyMetricsConfig, target: Target, log: Logger): Promise<number> {
  const start = performance.now();
  const deadline = start + cfg.readinessTimeoutMs;
  const url = `${target.baseUrl}${cfg.readinessPath}`;
  let attempt = 0;
  for (;;) {
    let last: string;
    if (target.containerId) {
      const state = await containerState(target.containerId);
      if (!state || !state.running) {
        throw await exitedEarly(cfg, target.containerId, state?.exitCode ?? -1, Math.round(performance.now() - start));
      }
      // Docker's own HEALTHCHECK already gave up: waiting out the readiness timeout cannot help.
      if (state.health === 'unhealthy') throw unhealthy(state, Math.round(performance.now() - start));
    }
    const remaining = deadline - performance.now();
    try {
      const r = await httpGet(url, { timeoutMs: Math.max(50, Math.min(1000, remaining)) });
      if (r.status === 200) return Math.round(performance.now() - start);
      last = String(r.status);
    } catch (e) {
      last = errorCode(e);
    }
    if (performance.now() >= deadline) {
      const logs = target.containerId ? await containerLogs(target.containerId, cfg.logLines) : '';
      throw new MetricsCheckError('E04', `readiness timeout: GET ${cfg.readinessPath} did not return 200 within ${cfg.readinessTimeoutMs / 1000}s (last: ${last})${logs ? `\n${logs}` : ''}`);
    }
    log.debug(`not ready yet: GET ${cfg.readinessPath} → ${last}`);
    // 25 ms, doubling to 250 ms: a Node service is usually ready within a few hundred ms.
    await sleep(Math.max(0, Math.min(Math.min(250, 25 * 2 ** attempt++), deadline - performance.now())));
  }
}

async function sendProbes(cfg: VerifyMetricsConfig, target: Target, log: Logger): Promise<void> {
  const url = `${target.baseUrl}${cfg.probePath}`;
  for (let i = 1; i <= cfg.probeCount; i++) {
    let got: string;
    try {
      const r = await httpGet(url, { timeoutMs: 2000 });
      if (statusMatches(r.status, cfg.probeExpectStatus)) continue;
      got = describeResponse(url, r.status, r.body);
    } catch (e) {
      got = `GET ${redactUrl(url)} failed: ${errorCode(e)}`;
    }
    throw new MetricsCheckError('E05', `probe ${i}/${cfg.probeCount} expected ${cfg.probeExpectStatus}: ${got}`);
  }
  if (cfg.probeCount) log.info(`${cfg.probeCount} probe(s) GET ${cfg.probePath} returned ${cfg.probeExpectStatus}`);
}

interface Scrape {
  text: string;
  exposition: Exposition;
  results: ExpectationResult[];
}

/**
 * Scrapes every 500 ms until every expectation holds or `expectTimeoutMs` passes (the server may
 * record a request only after the response finished: docs/verify-metrics.md, "Lifecycle"). A bad status, Content-Type or
 * exposition fails at once: retrying cannot fix it. Returns the last scrape; `onResults` sees
 * every evaluation, so a failure on a later scrape still reports the results of the one before.
 */
async function scrapeUntil(
  cfg: VerifyMetricsConfig, target: Target, expectations: Expectation[], log: Logger, onResults: (r: ExpectationResult[]) => void,
): Promise<Scrape> {
  const deadline = performance.now() + cfg.expectTimeoutMs;
  const url = `${target.baseUrl}${cfg.metricsPath}`;
  let attempt = 0;
  for (;;) {
    attempt++;
    let response: HttpResponse;
    try {
      response = await httpGet(url, { timeoutMs: 5000, headers: { Accept: 'text/plain;version=0.0.4' } });
    } catch (e) {
      if (performance.now() >= deadline) throw new MetricsCheckError('E06', `GET ${redactUrl(url)} failed: ${errorCode(e)}`);
      log.debug(`scrape ${attempt} failed: ${errorCode(e)}`);
      await sleep(500);
      continue;
    }
    if (response.status !== 200) {
      const hint = response.status === 404 ? ' (is ENABLE_METRICS=true set?)' : '';
      throw new MetricsCheckError('E06', describeResponse(url, response.status, response.body, hint));
    }
    const contentType = String(response.headers['content-type'] ?? '');
    const format = expositionFormatOf(contentType);
    if (!format) {
      const got = describeResponse(url, response.status, response.body);
      throw new MetricsCheckError('E07', `unexpected Content-Type "${contentType}" for ${cfg.metricsPath} (expected text/plain; version=0.0.4): ${got}`);
    }
    let text: string;
    let exposition: Exposition;
    try {
      text = decodeExposition(response.body);
      exposition = parseExposition(text, { format: format === 'openmetrics' ? 'openmetrics' : 'auto' });
    } catch (e) {
      if (!(e instanceof ExpositionError)) throw e;
      if (e.kind === 'duplicate') throw new MetricsCheckError('E09', `duplicate series at line ${e.line}: ${e.reason.replace(/^duplicate series /, '')}`);
      throw new MetricsCheckError('E08', `exposition parse error at line ${e.line} of GET ${redactUrl(url)}: ${e.reason}: ${truncate(e.text, 120)}`);
    }
    const results = evaluateAll(expectations, exposition);
    onResults(results);
    const failing = results.filter((r) => !r.pass).length;
    if (failing === 0 || performance.now() >= deadline) {
      log.info(`scrape ${attempt}: ${exposition.samples.length} series, ${results.length - failing}/${results.length} expectation(s) hold`);
      return { text, exposition, results };
    }
    log.debug(`scrape ${attempt}: ${failing} expectation(s) do not hold yet`);
    await sleep(Math.max(0, Math.min(500, deadline - performance.now())));
  }
}

/** E10 (nothing matched) or E11 (matched, but the value or an absence check failed). */
function failureMessage(r: ExpectationResult, expectations: Expectation[], exposition: Exposition): MetricsCheckError {
  const e = expectations.find((x) => x.source === r.expectation)!;
  if (!e.absent && r.matched === 0) {
    const present = presentSeries(e.metric, exposition.samples, 5);
    const detail = present.length ? `present ${e.metric} series: ${present.join('; ')}` : `metric ${e.metric} is absent`;
    return new MetricsCheckError('E10', `expected series not found: ${r.expectation}; ${detail}`);
  }
  if (e.absent) {
    const found = matchingSeries(e, exposition.samples, 5);
    const more = r.matched > found.length ? `; and ${r.matched - found.length} more` : '';
    return new MetricsCheckError('E11', `expectation failed: ${r.expectation}: expected no series, found ${r.matched}: ${found.join('; ')}${more}`);
  }
  const value = r.value === null ? 'nothing' : typeof r.value === 'number' ? formatValue(r.value) : r.value;
  return new MetricsCheckError('E11', `expectation failed: ${r.expectation} (observed ${value} over ${r.matched} series)`);
}

async function saveScrape(cfg: VerifyMetricsConfig, text: string, containerId: string | undefined): Promise<string> {
  const dir = cfg.outputDir ?? tmpdir();
  const file = join(dir, `verify-metrics-${containerId?.slice(0, 12) ?? `${process.pid}-${Date.now()}`}.prom`);
  await writeFileAtomic(file, text);
  return file;
}

/** promtool lint of the final scrape (docs/verify-metrics.md, "Lifecycle", step 6); returns the number of problems outside `lintIgnore`. */
async function lint(cfg: VerifyMetricsConfig, scrape: Scrape, log: Logger, notes: string[], findings: Finding[]): Promise<number | undefined> {
  if (cfg.lint === 'off') return undefined;
  if (scrape.exposition.format === 'openmetrics') {
    notes.push('lint skipped: promtool check metrics reads only the text format 0.0.4 and the scrape is OpenMetrics');
    return undefined;
  }
  const binary = await findPromtool(cfg.promtoolPath);
  if (!binary) {
    if (cfg.lint === 'error') throw new MetricsCheckError('E13', 'promtool lint: promtool not found');
    const note = `lint skipped: promtool not found${cfg.promtoolPath ? ` at ${cfg.promtoolPath}` : ' on PATH'} (Debian/Ubuntu package "prometheus")`;
    notes.push(note);
    log.info(note);
    return undefined;
  }
  const result = await promtoolCheckMetrics(binary, scrape.text);
  if (result.parseError) {
    // Our parser accepted what promtool rejects: only possible for inputs it cannot judge.
    notes.push(`promtool could not parse the scrape: ${result.parseError}`);
    log.warning(`promtool could not parse the scrape: ${result.parseError}`);
    return undefined;
  }
  const ignore = new Set(cfg.lintIgnore);
  const outside = result.problems.filter((p) => !ignore.has(p.metric));
  const ignored = result.problems.length - outside.length;
  if (ignored) notes.push(`${ignored} promtool problem(s) tolerated by lint-ignore`);
  if (outside.length === 0) {
    log.info(`promtool check metrics: ${ignored ? `${ignored} ignored problem(s)` : 'clean'}`);
    return 0;
  }
  const list = outside.map((p) => `${p.metric} ${p.problem}`);
  if (cfg.lint === 'error') {
    throw new MetricsCheckError('E13', `promtool lint: ${outside.length} problem(s) outside lint-ignore: ${list.join('; ')}`);
  }
  for (const line of list) {
    log.warning(`promtool: ${line}`);
    findings.push({ id: 'promtool', message: line, severity: 'warning' });
  }
  return outside.length;
}

/** Prints the container's logs in a collapsed group, then removes it (unless `keepContainer`). */
async function cleanup(cfg: VerifyMetricsConfig, id: string, log: Logger, notes: string[]): Promise<void> {
  try {
    const logs = await containerLogs(id, cfg.logLines);
    await log.group(`container logs (last ${cfg.logLines} lines)`, async () => { log.info(logs || '(no output)'); });
  } catch (e) {
    log.warning(`could not read container logs: ${(e as Error).message}`);
  }
  if (cfg.keepContainer) {
    notes.push(`container ${id.slice(0, 12)} kept (keep-container: true); remove it with docker rm -f ${id.slice(0, 12)}`);
    return;
  }
  if (!(await removeContainer(id))) log.warning(`could not remove container ${id.slice(0, 12)}; the post step will retry`);
}

/**
 * Job summary through the one renderer: the common header with the error's first line, then a row
 * per expectation with its observed value (or "not evaluated" when the run failed before a scrape
 * could be read), the full error (logs, body excerpt) collapsed, and the outputs.
 */
function verifyMetricsMarkdown(result: StageResult<VerifyMetricsOutputs>, expectations: readonly string[]): string {
  const results = result.outputs.results ?? [];
  const rows = results.length
    ? results.map((r) => [`\`${r.expectation}\``, String(r.matched), r.value === null ? '—' : String(r.value), r.pass ? '✅ pass' : '❌ fail'])
    : expectations.map((e) => [`\`${e}\``, '—', '—', 'not evaluated']);
  const shown = Object.entries(result.outputs).filter(([k, v]) => v !== undefined && k !== 'results');
  const [headline, ...detail] = (result.error ?? '').split('\n');
  // A fence longer than any backtick run in the text, so a quoted body cannot close it.
  const fence = '`'.repeat(Math.max(3, ...[...(result.error ?? '').matchAll(/`+/g)].map((m) => m[0].length + 1)));
  const sections: SummarySection[] = [
    { body: rows.length ? markdownTable([['Expectation', 'Matched series', 'Observed value', 'Result'], ...rows]) : '' },
    { heading: 'Error details', collapsed: true, body: detail.length ? `${fence}text\n${result.error}\n${fence}` : '' },
    { body: shown.length ? markdownTable([['Output', 'Value'], ...shown.map(([k, v]) => [k, `\`${outputToString(v)}\``])]) : '' },
  ];
  return stageMarkdown({ ...result, ...(result.error ? { error: headline! } : {}) }, sections);
}
