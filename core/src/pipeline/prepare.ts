import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBaseImages } from '../local/base-images.ts';
import { ensureDockerd } from '../local/dockerd.ts';
import { ensureFluxRepo } from '../local/flux-repo.ts';
import type { LocalFluxRepo } from '../local/flux-repo.ts';
import { registryAnswers, startRegistry } from '../local/registry.ts';
import { writeFileAtomic } from '../adapters/atomic-file.ts';
import type { Logger } from '../report/logger.ts';
import type { PipelineConfig } from './config.ts';

/** What publishing needs: not needed until sign-and-push, so it is made ready beside the build. */
export interface DeliveryEnvironment {
  /** `127.0.0.1:<port>`. */
  registryHost: string;
  flux: LocalFluxRepo;
  /** PEM (PKCS#8) private key kept in the state dir, so the public key is stable across runs. */
  signingKey: string;
  notes: string[];
}

/** Everything the local pipeline runs against, made ready by `prepareLocalEnvironment`. */
export interface LocalEnvironment {
  baseImages: { runtime: string; builder: string };
  /** Settles once the registry, the Flux repository and the signing key are ready (or failed to be). */
  delivery: Promise<DeliveryEnvironment>;
  notes: string[];
}

/**
 * Idempotently starts what the local pipeline needs. Awaited: dockerd (started when absent and
 * root) and the local Node 24 base images, which the build needs. Started in the background and
 * returned as `delivery`: a registry on 127.0.0.1 (reused when one answers; storage in
 * `<stateDir>/registry`), the bare Flux repository seeded from `<serviceDir>/deploy` plus a fresh
 * clone, and a P-256 signing key (created once, mode 0600).
 */
export async function prepareLocalEnvironment(cfg: PipelineConfig, log: Logger): Promise<LocalEnvironment> {
  const dockerd = await ensureDockerd(log, { logFile: join(cfg.stateDir, 'dockerd.log') });
  const delivery = prepareDelivery(cfg, log);
  // Awaited by sign-and-push; a pipeline that fails earlier never reads it, which is not an error.
  delivery.catch(() => {});
  const baseImages = await ensureBaseImages(log);
  return { baseImages, delivery, notes: [dockerd === 'started' ? 'started dockerd' : 'reused the running Docker daemon'] };
}

async function prepareDelivery(cfg: PipelineConfig, log: Logger): Promise<DeliveryEnvironment> {
  const registryHost = `127.0.0.1:${cfg.registryPort}`;
  const registry = (async () => {
    if (await registryAnswers(registryHost)) return 'reused';
    await startRegistry({ port: cfg.registryPort, dataDir: join(cfg.stateDir, 'registry'), persistent: true });
    return 'started';
  })();
  const [registryState, flux, signingKey] = await Promise.all([
    registry,
    ensureFluxRepo({ root: cfg.stateDir, seedDir: join(cfg.serviceDir, 'deploy'), appDir: cfg.fluxAppDir }, log),
    ensureSigningKey(join(cfg.stateDir, 'signing', 'cosign.key')),
  ]);
  return { registryHost, flux, signingKey, notes: [`${registryState} the registry at ${registryHost}`] };
}

async function ensureSigningKey(path: string): Promise<string> {
  if (existsSync(path)) return readFileSync(path, 'utf8');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeFileAtomic(path, pem, 0o600);
  return pem;
}
