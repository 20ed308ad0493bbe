import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../report/logger.ts';
import { ProcessError, run } from './process.ts';

/**
 * The Trivy CLI: installing a pinned, checksum-verified release into the runner's tool cache, and
 * running one scan that writes JSON. Nothing here decides a verdict (that is domain/gate.ts).
 *
 * Why one run with `--format json --exit-code 0` (docs/trivy.md, "One run, the verdict decided here"): Trivy's
 * exit code cannot tell findings from tool failures, and `--severity` changes the report itself.
 */

export { TRIVY_DEFAULT_VERSION } from '../domain/scan-config.ts';

/**
 * sha256 of release archives, by version and asset suffix. The 0.74.0 Linux-64bit value is the one
 * two unrelated public repositories pin for `trivy_0.74.0_Linux-64bit.tar.gz`; it could not be
 * checked against the release's own `trivy_0.74.0_checksums.txt` from this machine (no internet):
 * verify it there before relying on it. Other platforms must pass `sha256` explicitly.
 * Never add v0.69.4: that release was malicious (CVE-2026-33634 / GHSA-69fq-xp46-6x23).
 */
const PINNED_TRIVY_SHA256: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '0.74.0': { 'Linux-64bit': '2ae6fe3ee734b7fdf11335663e18c75ea12dccc76062f09f164a3b0f8be4371a' },
};

/** Where GitHub serves Trivy releases: `<base>/v<version>/trivy_<version>_<suffix>.tar.gz`. */
const TRIVY_RELEASES_URL = 'https://github.com/aquasecurity/trivy/releases/download';

/**
 * Vulnerability DB repositories in fallback order, mirrors first: Trivy (≥ 0.54) tries the next one
 * on 429/5xx. ghcr.io last because its rate limits were the top complaint of trivy-action users
 * (#389, #430, trivy-db #442); mirror.gcr.io has been Trivy's own default first choice since 0.58.
 */
export const DEFAULT_DB_REPOSITORIES: readonly string[] = ['mirror.gcr.io/aquasec/trivy-db:2', 'public.ecr.aws/aquasecurity/trivy-db:2', 'ghcr.io/aquasecurity/trivy-db:2'];
export const DEFAULT_JAVA_DB_REPOSITORIES: readonly string[] = ['mirror.gcr.io/aquasec/trivy-java-db:1', 'public.ecr.aws/aquasecurity/trivy-java-db:1', 'ghcr.io/aquasecurity/trivy-java-db:1'];

/** What a user without Trivy reads. */
export const TRIVY_INSTALL_HINT = 'install Trivy (https://trivy.dev/latest/getting-started/installation/) and put it on PATH or set TRUNKLINE_TRIVY to its path, '
  + 'or gate an existing Trivy JSON report with --report <file> (action input `report`)';

/** The Trivy binary to run: `TRUNKLINE_TRIVY`, else `trivy` on PATH. */
export function trivyBinary(): string {
  return process.env.TRUNKLINE_TRIVY || 'trivy';
}

/** Runs `<binary> --version` and returns the version it prints (`Version: 0.74.0`), or undefined if it cannot start. */
export async function trivyVersion(binary: string): Promise<string | undefined> {
  try {
    const r = await run(binary, ['--version'], { timeoutMs: 20_000 });
    return /Version:\s*v?(\S+)/.exec(r.stdout)?.[1] ?? r.stdout.trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

/** The release asset suffix for a platform (Trivy's goreleaser names), or undefined when Trivy ships none. */
function trivyAssetSuffix(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string | undefined {
  const os = platform === 'linux' ? 'Linux' : platform === 'darwin' ? 'macOS' : undefined;
  const cpu = arch === 'x64' ? '64bit' : arch === 'arm64' ? 'ARM64' : undefined;
  return os && cpu ? `${os}-${cpu}` : undefined;
}

export interface TrivyInstallOptions {
  /** A release version without `v`, e.g. `0.74.0`. */
  version: string;
  /** Expected sha256 (hex) of the archive; default: `PINNED_TRIVY_SHA256`. Required when none is pinned. */
  sha256?: string;
  /**
   * Release download base laid out like GitHub's (a mirror, GHES, or a test server); default
   * `TRUNKLINE_TRIVY_RELEASES_URL`, else `TRIVY_RELEASES_URL`. The checksum check is the same.
   */
  baseUrl?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  log: Logger;
}

export interface TrivyInstallation {
  /** Absolute path of the `trivy` executable. */
  binary: string;
  version: string;
  /** True when the tool cache already held this version (nothing was downloaded). */
  cached: boolean;
}

/** The checksum of a downloaded archive did not match: nothing was installed. */
export class ChecksumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksumError';
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `@actions/tool-cache` reads these two variables; outside a runner, give it a home. */
function ensureToolCacheEnv(): void {
  process.env.RUNNER_TOOL_CACHE ||= join(homedir(), '.cache', 'trunkline', 'tool-cache');
  process.env.RUNNER_TEMP ||= join(tmpdir(), 'trunkline-runner-temp');
}

/**
 * Installs Trivy `version` into the tool cache (`RUNNER_TOOL_CACHE`, `@actions/tool-cache`) and
 * returns its path. A version already in the cache is reused without any download. Otherwise the
 * release archive is downloaded, its sha256 compared with `sha256` (or the pinned value), and only
 * on a match extracted and cached. Throws `ChecksumError` on a mismatch (the download is deleted),
 * and `Error` when no checksum is known, the platform has no release, the download fails, or the
 * archive has no `trivy` inside. Source of the asset naming: Trivy's GitHub releases.
 */
export async function installTrivy(options: TrivyInstallOptions): Promise<TrivyInstallation> {
  // Loaded on demand: a scan that gates a report, or finds trivy on PATH, never needs it.
  const tc = await import('@actions/tool-cache');
  ensureToolCacheEnv();
  const { version, log } = options;
  const arch = options.arch ?? process.arch;
  const cachedDir = tc.find('trivy', version, arch);
  if (cachedDir && existsSync(join(cachedDir, 'trivy'))) {
    log.info(`Trivy ${version}: reusing the tool cache (${cachedDir})`);
    return { binary: join(cachedDir, 'trivy'), version, cached: true };
  }
  const suffix = trivyAssetSuffix(options.platform, arch);
  if (!suffix) throw new Error(`Trivy publishes no release archive for ${options.platform ?? process.platform}/${arch}; install it yourself and set TRUNKLINE_TRIVY`);
  const expected = (options.sha256 ?? PINNED_TRIVY_SHA256[version]?.[suffix])?.toLowerCase();
  if (!expected) {
    throw new Error(`no sha256 is pinned for Trivy ${version} (${suffix}); pass the value from trivy_${version}_checksums.txt of that release (input trivy-sha256), Trunkline never installs an unverified binary`);
  }
  if (!/^[0-9a-f]{64}$/.test(expected)) throw new Error(`the expected sha256 "${expected}" is not 64 hex digits`);
  const asset = `trivy_${version}_${suffix}.tar.gz`;
  const base = options.baseUrl ?? (process.env.TRUNKLINE_TRIVY_RELEASES_URL || TRIVY_RELEASES_URL);
  const url = `${base.replace(/\/+$/, '')}/v${version}/${asset}`;
  log.info(`Trivy ${version}: downloading ${url}`);
  const archive = await tc.downloadTool(url);
  try {
    const actual = await sha256File(archive);
    if (actual !== expected) {
      throw new ChecksumError(`checksum mismatch for ${asset}: expected sha256 ${expected}, got ${actual}; refusing to install it`);
    }
    const dir = await tc.extractTar(archive);
    let installed: string;
    try {
      if (!existsSync(join(dir, 'trivy'))) throw new Error(`${asset} has no trivy executable at its root`);
      installed = await tc.cacheDir(dir, 'trivy', version, arch);
    } finally {
      await rm(dir, { recursive: true, force: true }); // cacheDir copied it
    }
    log.info(`Trivy ${version}: sha256 ${actual} verified, installed in ${installed}`);
    return { binary: join(installed, 'trivy'), version, cached: false };
  } finally {
    await rm(archive, { force: true });
  }
}

/** One Trivy scan. */
export interface TrivyScanRequest {
  binary: string;
  mode: 'fs' | 'image';
  /** fs: directory; image: image reference. Ignored when `input` is set. */
  target?: string;
  /** image: a `docker save` tarball or OCI layout (`--input`). */
  input?: string;
  /** Where Trivy writes its JSON report. */
  outputFile: string;
  /** vuln, secret, misconfig (Trivy's `--scanners`). */
  scanners: readonly string[];
  skipDirs: readonly string[];
  /** Trivy cache (DB and scan cache); default Trivy's own (~/.cache/trivy). */
  cacheDir?: string;
  dbRepositories: readonly string[];
  javaDbRepositories: readonly string[];
  /** Use the cached DB as is (a day-keyed cache was restored). */
  skipDbUpdate?: boolean;
  /** Trivy's own `--timeout` (Go duration). Default 10m. */
  timeout?: string;
  /**
   * A path that does not exist, passed as `--ignorefile` so that Trivy does not apply a
   * `.trivyignore` from its working directory: the report must be complete and the gate applies
   * the ignore files itself (and reports what they suppressed).
   */
  noIgnoreFile: string;
}

/** The argv of `trivy <mode> ...` for a request (pure). */
function trivyScanArgs(req: TrivyScanRequest): string[] {
  const args = [req.mode, '--format', 'json', '--output', req.outputFile, '--exit-code', '0',
    '--scanners', req.scanners.join(','), '--timeout', req.timeout ?? '10m', '--ignorefile', req.noIgnoreFile,
    // Packages[] is the full inventory; the gate never reads it and it can be most of the file.
    '--list-all-pkgs=false'];
  if (req.cacheDir) args.push('--cache-dir', req.cacheDir);
  if (req.skipDbUpdate) args.push('--skip-db-update', '--skip-java-db-update');
  else args.push('--db-repository', req.dbRepositories.join(','), '--java-db-repository', req.javaDbRepositories.join(','));
  for (const dir of req.skipDirs) args.push('--skip-dirs', dir);
  if (req.mode === 'image' && req.input) args.push('--input', req.input);
  else args.push('--', req.target ?? '.');
  return args;
}

/**
 * The child's environment: every inherited `TRIVY_*` variable is removed (a job-level
 * TRIVY_SEVERITY must not change the report: trivy-action #422), except registry credentials,
 * and the runner's tokens are withheld (Trivy does not need them: trivy-action #541).
 */
function trivyEnv(parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const keep = new Set(['TRIVY_USERNAME', 'TRIVY_PASSWORD', 'TRIVY_REGISTRY_TOKEN', 'TRIVY_INSECURE', 'TRIVY_NON_SSL']);
  const env: NodeJS.ProcessEnv = {};
  for (const key of Object.keys(parent)) {
    if ((key.startsWith('TRIVY_') && !keep.has(key)) || key.startsWith('INPUT_') || key.startsWith('ACTIONS_') || key === 'GITHUB_TOKEN') {
      env[key] = undefined; // undefined removes the variable from the child's environment
    }
  }
  env.TRIVY_DISABLE_TELEMETRY = 'true';
  env.TRIVY_SKIP_VERSION_CHECK = 'true';
  return env;
}

/** Trivy could not get its vulnerability DB (rate limit that outlasted the retries, or a registry error). */
export class TrivyDbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrivyDbError';
  }
}

const RATE_LIMITED = /TOOMANYREQUESTS|429 Too Many Requests|toomanyrequests/i;

/** The registry's own words from Trivy's stderr: the lines that name the error. */
function registryErrorLines(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const telling = lines.filter((l) => /TOOMANYREQUESTS|too many requests|unexpected status|DENIED|UNAUTHORIZED|MANIFEST_UNKNOWN|db download|failed to download/i.test(l));
  return (telling.length ? telling : lines.slice(-3)).slice(-5).join('\n');
}

export interface TrivyRunOptions {
  log: Logger;
  /** Retries after a rate-limited attempt (default 3). */
  retries?: number;
  /** Wait before retry n (ms); the last value repeats. Default 15 s, 45 s, 120 s. */
  backoffMs?: readonly number[];
  /** Kill Trivy after this long (default 20 minutes). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs the scan once (retrying only when a registry answered TOOMANYREQUESTS, with backoff) and
 * resolves when Trivy exited 0 with its report written. Rejects with `TrivyDbError` quoting the
 * registry's error when the DB could not be had after the retries (fail closed), and with
 * `ProcessError` for any other Trivy failure.
 */
export async function runTrivyScan(req: TrivyScanRequest, options: TrivyRunOptions): Promise<{ attempts: number }> {
  const retries = options.retries ?? 3;
  const backoff = options.backoffMs ?? [15_000, 45_000, 120_000];
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const args = trivyScanArgs(req);
  for (let attempt = 1; ; attempt++) {
    try {
      await run(req.binary, args, { env: trivyEnv(), timeoutMs: options.timeoutMs ?? 20 * 60_000, logger: options.log });
      return { attempts: attempt };
    } catch (error) {
      if (!(error instanceof ProcessError)) throw error;
      const rateLimited = RATE_LIMITED.test(error.stderr) || RATE_LIMITED.test(error.stdout);
      if (!rateLimited) throw error;
      if (attempt > retries) {
        throw new TrivyDbError(`Trivy could not download its vulnerability database: the registries kept answering TOOMANYREQUESTS after ${attempt} attempts `
          + `(repositories tried: ${req.dbRepositories.join(', ')}). Registry error:\n${registryErrorLines(error.stderr)}`);
      }
      const wait = backoff[Math.min(attempt - 1, backoff.length - 1)] ?? 0;
      options.log.warning(`Trivy was rate limited by the DB registry (attempt ${attempt} of ${retries + 1}); retrying in ${Math.round(wait / 1000)} s`);
      await sleep(wait);
    }
  }
}
