/**
 * Docker helpers for the container tests: argv arrays only, loopback networking only, and a label
 * on every container so a crashed run can be swept (`docker rm -f $(docker ps -aq --filter label=…)`).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CONTAINER_LABEL = 'org.trunkline.test=sample-service';

export interface DockerResult { code: number; stdout: string; stderr: string }

/** Runs `docker <args>`; rejects on a non-zero exit unless `allowFailure`. The legacy builder is used
 * for `build` because the docker CLI here has no buildx plugin on every machine. */
export function docker(args: readonly string[], options: { allowFailure?: boolean; timeoutMs?: number } = {}): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    execFile('docker', [...args], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 300_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      if (code !== 0 && !options.allowFailure) return reject(new Error(`docker ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-15).join('\n')}`));
      resolve({ code, stdout, stderr });
    });
  });
}

/** True when a Docker daemon answers. */
export async function dockerAvailable(): Promise<boolean> {
  return (await docker(['info', '--format', '{{.ServerVersion}}'], { allowFailure: true, timeoutMs: 15_000 }).catch(() => ({ code: 1 }))).code === 0;
}

/**
 * Base images for `--build-arg`: `SAMPLE_SERVICE_BUILDER_IMAGE` / `SAMPLE_SERVICE_RUNTIME_IMAGE` when
 * set; inside the Trunkline repository, its local Node 24 bases (built offline by
 * `ensureBaseImages`); otherwise the Dockerfile's public defaults.
 */
export async function baseImages(): Promise<{ builder?: string; runtime?: string }> {
  const builder = process.env.SAMPLE_SERVICE_BUILDER_IMAGE;
  const runtime = process.env.SAMPLE_SERVICE_RUNTIME_IMAGE;
  if (builder || runtime) return { builder, runtime };
  const infra = fileURLToPath(new URL('../../../core/test/support/infra.ts', import.meta.url));
  if (existsSync(infra)) {
    const { prepareDocker } = (await import(infra)) as { prepareDocker(): Promise<{ builder: string; runtime: string }> };
    return prepareDocker();
  }
  return {};
}

/** Paths in a container's filesystem (`docker export <id> | tar -t`), streamed: images are ~130 MB. */
export function exportedPaths(containerId: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const exporter = spawn('docker', ['export', containerId], { stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-t'], { stdio: ['pipe', 'pipe', 'inherit'] });
    exporter.stdout.pipe(tar.stdin);
    let out = '';
    tar.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    exporter.on('error', reject);
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve(out.split('\n').filter(Boolean).map((p) => `/${p.replace(/^\.?\//, '')}`)) : reject(new Error(`tar -t exited ${code}`))));
  });
}
