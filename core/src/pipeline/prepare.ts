import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBaseImages } from '../local/base-images.ts';
import { ensureDockerd } from '../local/dockerd.ts';
import { ensureFluxRepo } from '../local/flux-repo.ts';
import type { LocalFluxRepo } from '../local/flux-repo.ts';
import { registryAnswers, startRegistry } from '../local/registry.ts';
import { writeFileAtomic } from '../report/summary-file.ts';
import type { Logger } from '../report/logger.ts';
import type { PipelineConfig } from './config.ts';

/** Everything the local pipeline runs against, made ready by `prepareLocalEnvironment`. */
export interface LocalEnvironment {
  /** `127.0.0.1:<port>`. */
  registryHost: string;
  baseImages: { runtime: string; builder: string };
  flux: LocalFluxRepo;
  /** PEM (PKCS#8) private key kept in the state dir, so the public key is stable across runs. */
  signingKey: string;
  notes: string[];
}

/**
 * Idempotently starts what the local pipeline needs: dockerd (when absent and root), a registry
 * on 127.0.0.1 (reused when one answers; its storage lives in `<stateDir>/registry`), the local
 * Node 24 base images, the bare Flux repository seeded from `<serviceDir>/deploy` plus a fresh
 * clone, and a P-256 signing key (created once, mode 0600).
 */
export async function prepareLocalEnvironment(cfg: PipelineConfig, log: Logger): Promise<LocalEnvironment> {
  const notes: string[] = [];
  const dockerd = await ensureDockerd(log, { logFile: join(cfg.stateDir, 'dockerd.log') });
  notes.push(dockerd === 'started' ? 'started dockerd' : 'reused the running Docker daemon');
  const registryHost = `127.0.0.1:${cfg.registryPort}`;
  const registry = (async () => {
    if (await registryAnswers(registryHost)) return 'reused';
    await startRegistry({ port: cfg.registryPort, dataDir: join(cfg.stateDir, 'registry'), persistent: true });
    return 'started';
  })();
  const [registryState, baseImages, flux] = await Promise.all([
    registry,
    ensureBaseImages(log),
    ensureFluxRepo({ root: cfg.stateDir, seedDir: join(cfg.serviceDir, 'deploy'), appDir: cfg.fluxAppDir }, log),
  ]);
  notes.push(`${registryState} the registry at ${registryHost}`);
  return { registryHost, baseImages, flux, signingKey: await ensureSigningKey(join(cfg.stateDir, 'signing', 'cosign.key')), notes };
}

async function ensureSigningKey(path: string): Promise<string> {
  if (existsSync(path)) return readFileSync(path, 'utf8');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeFileAtomic(path, pem, 0o600);
  return pem;
}
