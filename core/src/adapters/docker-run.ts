import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from './docker.ts';
import type { RunResult } from './process.ts';

/**
 * Running a container under test: start it labelled and uniquely named, watch its state, read
 * its logs, stop it with SIGTERM and remove it. Every call has a timeout, so nothing here can hang
 * a job. See docs/verify-metrics.md ("Lifecycle", "Failure modes this order avoids").
 */

/** The label every container started by verify-metrics carries; its value is the run id. */
export const VERIFY_METRICS_LABEL = 'org.trunkline.verify-metrics';

export interface ContainerSpec {
  image: string;
  /** Unique container name (see `verifyMetricsContainerName` in domain/verify-metrics-config.ts). */
  name: string;
  labels: Record<string, string>;
  /** Passed through a temporary `--env-file` (mode 0600), so values never appear in argv or logs. */
  env: Record<string, string>;
  /** `host`: share the host's network (the app listens on the port given in env). `bridge`: publish `publishPort`. */
  network: 'bridge' | 'host';
  /** Container port to publish as `127.0.0.1::<port>` (ephemeral host port) in bridge mode. */
  publishPort?: number;
  /** Extra `docker run` arguments, already split (no shell evaluation). */
  extraArgs: readonly string[];
}

export interface ContainerState {
  status: string;
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** The image's HEALTHCHECK verdict (`starting`, `healthy`, `unhealthy`); absent without a HEALTHCHECK. */
  health?: string;
  /** Output and exit code of the last health check run, when there was one. */
  lastHealthCheck?: { exitCode: number; output: string };
}

/** `docker` failed; `firstLine` is the first non-empty stderr line (what E01/E02 report). */
export class DockerRunError extends Error {
  readonly firstLine: string;
  constructor(message: string, firstLine: string) {
    super(message);
    this.name = 'DockerRunError';
    this.firstLine = firstLine;
  }
}

const firstLine = (text: string): string => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

/**
 * `docker <args>`, resolving with its trimmed stdout. Every failure (non-zero exit, timeout, no
 * CLI) rejects as `DockerRunError`, whose `firstLine` is the first stderr line, else
 * `fallback(stdout)`, else the exit code. (No stdout fallback by default: `docker run -d` prints
 * the container id there even when the start fails.)
 */
async function dockerStdout(args: readonly string[], timeoutMs: number, fallback: (stdout: string) => string = () => ''): Promise<string> {
  let r: RunResult;
  try {
    r = await docker(args, { timeoutMs, allowFailure: true });
  } catch (error) {
    throw new DockerRunError((error as Error).message, firstLine((error as Error).message));
  }
  if (r.code !== 0) throw new DockerRunError(`docker ${args[0]} exited ${r.code}`, firstLine(r.stderr) || fallback(r.stdout) || `exit code ${r.code}`);
  return r.stdout.trim();
}

/** The daemon's version, or `DockerRunError` with the client's first stderr line (no daemon, no CLI). */
export function dockerServerVersion(timeoutMs = 15_000): Promise<string> {
  return dockerStdout(['version', '--format', '{{.Server.Version}}'], timeoutMs, firstLine);
}

/** The `docker run -d` argv for a spec (exported for tests; the env file path is passed in). */
export function runArgs(spec: ContainerSpec, envFile: string): string[] {
  const args = ['run', '-d', '--name', spec.name];
  for (const [k, v] of Object.entries(spec.labels)) args.push('--label', `${k}=${v}`);
  args.push('--env-file', envFile);
  if (spec.network === 'host') args.push('--network', 'host');
  else if (spec.publishPort !== undefined) args.push('--publish', `127.0.0.1::${spec.publishPort}`);
  args.push(...spec.extraArgs, spec.image);
  return args;
}

/**
 * `docker run -d` the spec; resolves with the container id. Rejects with `DockerRunError` carrying
 * the first stderr line (bad image, name clash, invalid argument). `timeoutMs` covers a pull.
 */
export async function startContainer(spec: ContainerSpec, timeoutMs = 300_000): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-env-'));
  const envFile = join(dir, 'env');
  try {
    writeFileSync(envFile, Object.entries(spec.env).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
    return await dockerStdout(runArgs(spec, envFile), timeoutMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The container's state from `docker inspect` (`.State`, with `.State.Health` when the image has a
 * HEALTHCHECK: docker's verdict and the last check's output), or `undefined` when it no longer exists.
 */
export async function containerState(id: string): Promise<ContainerState | undefined> {
  const r = await docker(['inspect', '--format', '{{json .State}}', id], { timeoutMs: 15_000, allowFailure: true });
  if (r.code !== 0) return undefined;
  const s = JSON.parse(r.stdout) as {
    Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean;
    Health?: { Status?: string; Log?: Array<{ ExitCode: number; Output: string }> | null };
  };
  const state: ContainerState = { status: s.Status, running: s.Running, exitCode: s.ExitCode, oomKilled: s.OOMKilled };
  if (s.Health?.Status) state.health = s.Health.Status;
  const last = s.Health?.Log?.at(-1);
  if (last) state.lastHealthCheck = { exitCode: last.ExitCode, output: last.Output };
  return state;
}

/** Parses `docker port` output (`127.0.0.1:49153`, possibly several lines) into the IPv4 loopback port. */
export function parsePortOutput(stdout: string): number | undefined {
  for (const line of stdout.split('\n')) {
    const m = /^(?:127\.0\.0\.1|0\.0\.0\.0):(\d+)$/.exec(line.trim());
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** The host port Docker published for `containerPort/tcp` (bridge mode). */
export async function publishedPort(id: string, containerPort: number): Promise<number> {
  const r = await docker(['port', id, `${containerPort}/tcp`], { timeoutMs: 15_000, allowFailure: true });
  const port = parsePortOutput(r.stdout);
  if (port === undefined) throw new DockerRunError(`no published port for ${containerPort}/tcp`, firstLine(r.stderr) || r.stdout.trim());
  return port;
}

/** The last `tail` lines of the container's stdout and stderr (empty when it is gone). */
export async function containerLogs(id: string, tail: number): Promise<string> {
  const r = await docker(['logs', '--tail', String(tail), id], { timeoutMs: 30_000, allowFailure: true });
  if (r.code !== 0) return '';
  return [r.stdout.trimEnd(), r.stderr.trimEnd()].filter(Boolean).join('\n');
}

/**
 * `docker stop -t <seconds>`: SIGTERM, then SIGKILL at the deadline. Resolves with the wall time
 * in milliseconds and the exit code afterwards (137 = killed at the deadline).
 */
export async function stopContainer(id: string, timeoutSeconds: number): Promise<{ durationMs: number; exitCode: number | undefined }> {
  const start = performance.now();
  await docker(['stop', '-t', String(timeoutSeconds), id], { timeoutMs: timeoutSeconds * 1000 + 30_000, allowFailure: true });
  const durationMs = Math.round(performance.now() - start);
  return { durationMs, exitCode: (await containerState(id))?.exitCode };
}

/** `docker rm -f`; true when the container is gone afterwards (also when it never existed). */
export async function removeContainer(idOrName: string): Promise<boolean> {
  const r = await docker(['rm', '-f', idOrName], { timeoutMs: 60_000, allowFailure: true });
  return r.code === 0 || /No such container/i.test(r.stderr);
}

/** Ids of all containers (running or not) carrying `label` (with `value` when given). */
export async function listLabelledContainers(label: string, value?: string): Promise<string[]> {
  const filter = value === undefined ? label : `${label}=${value}`;
  const r = await docker(['ps', '-aq', '--filter', `label=${filter}`], { timeoutMs: 15_000 });
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}
