import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort } from '../adapters/free-port.ts';
import { isAvailable, startBackground } from '../adapters/process.ts';

/** A CNCF distribution registry (Debian `docker-registry`) on loopback, standing in for ECR/GHCR. */
export interface LocalRegistry {
  /** `127.0.0.1:<port>`: the registry part of image references. */
  host: string;
  /** Set when started with `auth: true` (htpasswd basic auth, like ECR's `AWS:<token>` login). */
  username?: string;
  password?: string;
  dataDir: string;
  /** Stops the process and deletes its storage (unless it was started `persistent`). */
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** 0 or absent: an ephemeral free port. */
  port?: number;
  auth?: boolean;
  /** Storage directory kept across runs (the local pipeline's registry); default a temp dir. */
  dataDir?: string;
  /** Leave the process running after this Node process exits (the pipeline's shared registry). */
  persistent?: boolean;
}

/** True when something answers the distribution API at `host` (`GET /v2/` → 200 or 401). */
export async function registryAnswers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2000) });
    return response.status === 200 || response.status === 401;
  } catch {
    return false;
  }
}

/**
 * Starts `docker-registry serve` with filesystem storage and `delete.enabled`, listening only on
 * 127.0.0.1, and waits (up to 15 s) until `/v2/` answers. Config keys follow the distribution
 * 2.8 configuration reference. With `auth`, a random user/password pair is written to an
 * htpasswd file (bcrypt, the only hash the registry accepts).
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<LocalRegistry> {
  if (!(await isAvailable('docker-registry', ['--version']))) {
    throw new Error('docker-registry is not installed: run `apt-get install -y docker-registry`.');
  }
  const port = options.port || (await freePort());
  const host = `127.0.0.1:${port}`;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'trunkline-registry-'));
  mkdirSync(join(dataDir, 'storage'), { recursive: true });
  const username = options.auth ? 'trunkline' : undefined;
  const password = options.auth ? randomBytes(18).toString('base64url') : undefined;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dataDir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
  ];
  if (options.auth && username && password) {
    writeFileSync(join(dataDir, 'htpasswd'), `${username}:${bcrypt.hashSync(password, 10)}\n`, { mode: 0o600 });
    lines.push('auth:', '  htpasswd:', '    realm: trunkline-local', `    path: ${join(dataDir, 'htpasswd')}`);
  }
  writeFileSync(join(dataDir, 'config.yml'), `${lines.join('\n')}\n`);
  const child = await startBackground('docker-registry', ['serve', join(dataDir, 'config.yml')], {
    logFile: join(dataDir, 'registry.log'),
    detached: options.persistent ?? false,
  });
  const deadline = Date.now() + 15_000;
  while (!(await registryAnswers(host))) {
    if (child.exitCode() !== null || Date.now() > deadline) {
      await child.stop(0);
      throw new Error(`docker-registry did not start on ${host}; see ${join(dataDir, 'registry.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    username,
    password,
    dataDir,
    async stop() {
      await child.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
