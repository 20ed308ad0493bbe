import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../report/logger.ts';
import { OCI } from '../domain/labels.ts';
import type { BuilderPreference } from '../domain/build-options.ts';
import { docker } from './docker.ts';

/**
 * Image builds through the Docker CLI, with the best builder present:
 * - `buildx`: `docker buildx build` (BuildKit; platforms, cache backends, attestations,
 *   `SOURCE_DATE_EPOCH`-reproducible timestamps with BuildKit >= 0.11). GitHub's runners have it.
 * - `buildkit`: `DOCKER_BUILDKIT=1 docker build` with a client older than 23, whose BuildKit is
 *   built in (Debian's docker.io 20.10 client).
 * - `classic`: `DOCKER_BUILDKIT=0 docker build`, the legacy builder: the only one a 23+ client
 *   without the buildx plugin has (Docker 23 release notes: BuildKit became the default and needs buildx).
 */
export type BuilderKind = 'buildx' | 'buildkit' | 'classic';

export interface BuilderInfo {
  kind: BuilderKind;
  /** buildx version (`v0.12.1`) for buildx, else the Docker client version. */
  version: string;
  clientVersion?: string;
  /** The daemon's `os/arch`, e.g. `linux/amd64`: the one platform a non-buildx builder can build. */
  serverPlatform?: string;
}

/** `v0.12.1` → [0, 12, 1]; anything unparsable → [0, 0, 0]. */
export function parseVersion(text: string): [number, number, number] {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [0, 0, 0];
}

function atLeast(version: string, want: [number, number]): boolean {
  const [a, b] = parseVersion(version);
  return a > want[0] || (a === want[0] && b >= want[1]);
}

/**
 * Finds the builder: buildx when `docker buildx version` answers, otherwise BuildKit built into a
 * pre-23 client, otherwise the classic builder. A `preference` other than `auto` is checked and
 * refused (with the reason) when that builder is not present.
 */
export async function detectBuilder(preference: BuilderPreference = 'auto'): Promise<BuilderInfo> {
  const info = await docker(['version', '--format', '{{.Client.Version}} {{.Server.Os}}/{{.Server.Arch}}'], { allowFailure: true, timeoutMs: 20_000 });
  if (info.code !== 0) throw new Error(`docker does not answer (is the daemon running?): ${info.stderr.trim().split('\n').pop() ?? ''}`);
  const [clientVersion = '', serverPlatform] = info.stdout.trim().split(' ');
  const base = { clientVersion, ...(serverPlatform ? { serverPlatform } : {}) };
  if (preference === 'auto' || preference === 'buildx') {
    const bx = await docker(['buildx', 'version'], { allowFailure: true, timeoutMs: 20_000 });
    if (bx.code === 0) return { kind: 'buildx', version: /v\d+\.\d+\.\d+\S*/.exec(bx.stdout)?.[0] ?? bx.stdout.trim(), ...base };
    if (preference === 'buildx') throw new Error('builder "buildx" was asked for but `docker buildx version` fails: install the buildx plugin (on GitHub, docker/setup-buildx-action)');
  }
  const builtInBuildKit = parseVersion(clientVersion)[0] < 23;
  if (preference === 'buildkit' && !builtInBuildKit) {
    throw new Error(`builder "buildkit" was asked for but Docker client ${clientVersion} runs BuildKit only through buildx, which is missing`);
  }
  if (preference === 'classic' || !builtInBuildKit) return { kind: 'classic', version: clientVersion, ...base };
  return { kind: 'buildkit', version: clientVersion, ...base };
}

export interface BuildRequest {
  context: string;
  dockerfile: string;
  /** Full references `registry/repository:tag`. */
  refs: readonly string[];
  labels: Record<string, string>;
  buildArgs: Record<string, string>;
  target?: string;
  network?: string;
  /** Empty: the daemon's platform. */
  platforms: readonly string[];
  cacheFrom: readonly string[];
  cacheTo: readonly string[];
  /** buildx `--provenance` value (`true`, `false`, `mode=max`); undefined leaves buildx's default. */
  provenance?: string;
  sbom?: boolean;
  /** buildx pushes during the build; other builders push each ref afterwards. */
  push: boolean;
  /** Seconds since the epoch: commit time, for reproducible timestamps. */
  sourceDateEpoch?: number;
  /** Where the builder writes the image ID (`--iidfile`) and, for buildx, its metadata JSON. */
  iidFile: string;
  metadataFile: string;
}

export interface BuildCommand {
  args: string[];
  /** Extra environment for the docker process. */
  env: Record<string, string>;
  /** What was left out and why (unsupported by this builder). */
  notes: string[];
}

/**
 * The exact `docker` argv (and environment) for `request` on `builder`. Pure, so the argv is
 * table-tested like build-push-action's context tests. Flags a builder lacks are left out with a
 * note (caches, attestations), never passed to fail late.
 */
export function buildCommand(builder: BuilderInfo, request: BuildRequest): BuildCommand {
  const notes: string[] = [];
  const env: Record<string, string> = {};
  const args: string[] = builder.kind === 'buildx' ? ['buildx', 'build', '--progress', 'plain'] : ['build'];
  if (builder.kind === 'buildkit') args.push('--progress', 'plain');
  args.push('--file', request.dockerfile, '--iidfile', request.iidFile);
  if (request.network) args.push('--network', request.network);
  if (request.target) args.push('--target', request.target);
  for (const ref of request.refs) args.push('--tag', ref);
  for (const [k, v] of Object.entries(request.labels)) args.push('--label', `${k}=${v}`);
  // Only buildx uses SOURCE_DATE_EPOCH (it hands it to BuildKit >= 0.11, which clamps timestamps);
  // given to the other builders it is an unused build argument they warn about. A Dockerfile that
  // declares the ARG gets it through the stage's derived build arguments instead.
  if (request.sourceDateEpoch !== undefined && builder.kind === 'buildx') env.SOURCE_DATE_EPOCH = String(request.sourceDateEpoch);
  for (const [k, v] of Object.entries(request.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  if (builder.kind === 'buildx') {
    args.push('--metadata-file', request.metadataFile);
    if (request.platforms.length) args.push('--platform', request.platforms.join(','));
    for (const c of request.cacheFrom) args.push('--cache-from', c);
    for (const c of request.cacheTo) args.push('--cache-to', c);
    const attestations = atLeast(builder.version, [0, 10]);
    if (request.provenance !== undefined) {
      if (attestations) args.push(`--provenance=${request.provenance}`);
      else notes.push(`provenance left out: buildx ${builder.version} is older than 0.10`);
    }
    if (request.sbom !== undefined) {
      if (attestations) args.push(`--sbom=${request.sbom}`);
      else notes.push(`sbom left out: buildx ${builder.version} is older than 0.10`);
    }
    if (request.push && atLeast(builder.version, [0, 12])) {
      for (const [k, v] of Object.entries(request.labels)) if (k.startsWith(`${OCI}.`)) args.push('--annotation', `${k}=${v}`);
    }
    args.push(request.push ? '--push' : '--load');
  } else {
    env.DOCKER_BUILDKIT = builder.kind === 'buildkit' ? '1' : '0';
    for (const c of request.cacheFrom) {
      const ref = /^type=registry,/.test(c) ? c.split(',').find((p) => p.startsWith('ref='))?.slice(4) : undefined;
      if (ref) args.push('--cache-from', ref);
      else notes.push(`cache-from ${c} left out: the ${builder.kind} builder reads only registry images`);
    }
    if (request.cacheTo.length) notes.push(`cache-to left out: the ${builder.kind} builder cannot export a cache (needs buildx)`);
    if (request.provenance !== undefined && request.provenance !== 'false') notes.push(`provenance left out: the ${builder.kind} builder makes no attestations (needs buildx)`);
    if (request.sbom) notes.push(`sbom left out: the ${builder.kind} builder makes no attestations (needs buildx)`);
  }
  args.push(request.context);
  return { args, env, notes };
}

export interface BuildOutcome {
  /** Image ID (config digest, `sha256:…`). */
  imageId: string;
  /** Manifest digest, when pushed. */
  digest?: string;
  notes: string[];
}

/**
 * Runs the build of `request` (minus the temp-file fields, which this fills) on `builder`,
 * streaming output to `log`. Returns the image ID from `--iidfile` (buildx: the metadata file's
 * `containerimage.config.digest`) and, when pushing, the manifest digest. Rejects with the
 * builder's last output lines on failure.
 */
export async function runDockerBuild(builder: BuilderInfo, request: Omit<BuildRequest, 'iidFile' | 'metadataFile'>, log: Logger, timeoutMs = 30 * 60_000): Promise<BuildOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'trunkline-build-'));
  try {
    const full: BuildRequest = { ...request, iidFile: join(dir, 'iid'), metadataFile: join(dir, 'metadata.json') };
    const command = buildCommand(builder, full);
    await docker(command.args, { env: command.env, logger: log, timeoutMs });
    const notes = [...command.notes];
    let imageId = (await readFile(full.iidFile, 'utf8').catch(() => '')).trim();
    let digest: string | undefined;
    if (builder.kind === 'buildx') {
      const meta = JSON.parse(await readFile(full.metadataFile, 'utf8').catch(() => '{}')) as Record<string, unknown>;
      const config = meta['containerimage.config.digest'];
      const manifest = meta['containerimage.digest'];
      if (typeof config === 'string') imageId = config;
      if (request.push && typeof manifest === 'string') digest = manifest;
    }
    if (!/^sha256:[a-f0-9]{64}$/.test(imageId)) throw new Error(`the ${builder.kind} builder reported no image ID (got ${JSON.stringify(imageId)})`);
    if (request.push && builder.kind !== 'buildx') {
      for (const ref of request.refs) digest = await pushRef(ref, log);
    }
    return { imageId, ...(digest ? { digest } : {}), notes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `docker push ref`; returns the manifest digest the registry acknowledged (`digest: sha256:…`). */
export async function pushRef(ref: string, log: Logger): Promise<string> {
  const r = await docker(['push', ref], { logger: log, timeoutMs: 15 * 60_000 });
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(r.stdout)?.[1];
  if (!digest) throw new Error(`docker push ${ref} printed no digest`);
  return digest;
}

/** The image ID (`sha256:…`) of a local image or reference; undefined when absent. */
export async function imageId(ref: string): Promise<string | undefined> {
  const r = await docker(['image', 'inspect', '--format', '{{.Id}}', ref], { allowFailure: true, timeoutMs: 20_000 });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** The labels of a local image (`docker image inspect`); `{}` when it has none. */
export async function imageLabels(ref: string): Promise<Record<string, string>> {
  const r = await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref], { timeoutMs: 20_000 });
  return (JSON.parse(r.stdout.trim() || 'null') as Record<string, string> | null) ?? {};
}
