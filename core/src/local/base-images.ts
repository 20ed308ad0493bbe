import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { docker } from '../adapters/docker.ts';
import { run } from '../adapters/process.ts';
import type { Logger } from '../report/logger.ts';

/**
 * Local stand-ins for the public base images, made from this machine's Node 24 binary because
 * nothing can be pulled here. The runtime image mirrors distroless `nodejs24-debian12:nonroot`:
 * node at `/nodejs/bin/node` (also `/usr/bin/node`), `ENTRYPOINT ["/nodejs/bin/node"]`,
 * `USER 65532`, `WORKDIR /home/nonroot`, CA bundle, world-writable `/tmp`, and no shell.
 * The builder image adds npm, a static busybox for `/bin/sh`, and the global npmrc whose
 * `cafile` `npm ci` needs on a machine behind a TLS-intercepting proxy.
 */
export const LOCAL_RUNTIME_IMAGE = 'trunkline/node-runtime:24-local';
export const LOCAL_BUILDER_IMAGE = 'trunkline/node-builder:24-local';
const INPUTS_LABEL = 'org.trunkline.base-inputs';
const RECIPE_VERSION = '2';

/** Path of the Node 24 binary: the npm `node@24` package's, else this process's when it is 24. */
export function node24Binary(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('node/package.json');
    const bin = join(dirname(pkg), 'bin', 'node');
    if (existsSync(bin)) return bin;
  } catch { /* fall through */ }
  if (process.versions.node.startsWith('24.')) return process.execPath;
  throw new Error('No Node 24 binary found: run `npm ci` (the node@24 dev dependency provides it).');
}

async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  return stdout.split('\n').flatMap((line) => {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    return m?.[1] ? [m[1]] : [];
  });
}

function put(root: string, from: string, to = from): void {
  mkdirSync(dirname(join(root, to)), { recursive: true });
  copyFileSync(from, join(root, to));
  chmodSync(join(root, to), statSync(from).mode & 0o777);
}

function writeRuntimeFiles(root: string): void {
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnonroot:x:65532:\n');
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  mkdirSync(join(root, 'home/nonroot'), { recursive: true });
  chownSync(join(root, 'home/nonroot'), 65532, 65532);
  put(root, '/etc/ssl/certs/ca-certificates.crt');
}

async function importRootfs(root: string, name: string, changes: string[], log: Logger): Promise<void> {
  const tar = await run('tar', ['--numeric-owner', '-C', root, '-c', '.'], { binary: true });
  const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', name];
  await docker(args, { input: tar.stdoutBuffer });
  log.info(`imported ${name} (${Math.round((tar.stdoutBuffer?.length ?? 0) / 1e6)} MB rootfs)`);
}

async function imageLabel(name: string): Promise<string | undefined> {
  const r = await docker(['image', 'inspect', '--format', `{{index .Config.Labels "${INPUTS_LABEL}"}}`, name], { allowFailure: true });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * Builds both local base images unless images with the same inputs (Node binary, npm, busybox,
 * recipe) already exist. Takes a few seconds; returns their names for `--build-arg`.
 */
export async function ensureBaseImages(log: Logger): Promise<{ runtime: string; builder: string }> {
  const node = node24Binary();
  const npmDir = '/usr/lib/node_modules/npm';
  const busybox = '/bin/busybox';
  const nodeStat = statSync(node);
  const fingerprint = createHash('sha256')
    .update([RECIPE_VERSION, node, nodeStat.size, nodeStat.mtimeMs, existsSync(npmDir) ? readFileSync(join(npmDir, 'package.json'), 'utf8') : '', existsSync(busybox) ? statSync(busybox).size : 0].join('\n'))
    .digest('hex').slice(0, 16);
  if ((await imageLabel(LOCAL_RUNTIME_IMAGE)) === fingerprint && (await imageLabel(LOCAL_BUILDER_IMAGE)) === fingerprint) {
    return { runtime: LOCAL_RUNTIME_IMAGE, builder: LOCAL_BUILDER_IMAGE };
  }
  if (!existsSync(busybox)) throw new Error('busybox is missing: run `apt-get install -y busybox-static` (the builder image needs /bin/sh).');
  if (!existsSync(npmDir)) throw new Error(`npm is missing at ${npmDir}: the builder image copies the machine's npm.`);
  const libs = await sharedLibraries(node);
  const work = mkdtempSync(join(tmpdir(), 'trunkline-base-'));
  try {
    const runtime = join(work, 'runtime');
    writeRuntimeFiles(runtime);
    put(runtime, node, '/nodejs/bin/node');
    for (const lib of libs) put(runtime, lib);
    mkdirSync(join(runtime, 'usr/bin'), { recursive: true });
    symlinkSync('/nodejs/bin/node', join(runtime, 'usr/bin/node'));
    const common = [`LABEL ${INPUTS_LABEL}=${fingerprint}`, 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/nodejs/bin', 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'];
    await importRootfs(runtime, LOCAL_RUNTIME_IMAGE, [...common, 'USER 65532', 'WORKDIR /home/nonroot', 'ENTRYPOINT ["/nodejs/bin/node"]'], log);

    const builder = join(work, 'builder');
    await run('cp', ['-a', `${runtime}/.`, builder]);
    put(builder, busybox, '/bin/busybox');
    const applets = (await run(busybox, ['--list'])).stdout.split('\n').filter(Boolean);
    for (const applet of applets) {
      for (const dir of ['bin', 'usr/bin']) {
        const target = join(builder, dir, applet);
        if (!existsSync(target)) symlinkSync('/bin/busybox', target);
      }
    }
    mkdirSync(join(builder, 'usr/lib/node_modules'), { recursive: true });
    await run('cp', ['-a', npmDir, join(builder, 'usr/lib/node_modules/')]);
    mkdirSync(join(builder, 'usr/local/bin'), { recursive: true });
    for (const [tool, cli] of [['npm', 'npm-cli.js'], ['npx', 'npx-cli.js']] as const) {
      writeFileSync(join(builder, 'usr/local/bin', tool), `#!/bin/sh\nexec /nodejs/bin/node /usr/lib/node_modules/npm/bin/${cli} "$@"\n`, { mode: 0o755 });
    }
    if (existsSync('/usr/etc/npmrc')) {
      put(builder, '/usr/etc/npmrc');
      // npm reads its global config from <prefix>/etc/npmrc, and the prefix follows node's path: /nodejs here.
      put(builder, '/usr/etc/npmrc', '/nodejs/etc/npmrc');
    }
    await importRootfs(builder, LOCAL_BUILDER_IMAGE, [...common, 'USER root', 'WORKDIR /build'], log);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { runtime: LOCAL_RUNTIME_IMAGE, builder: LOCAL_BUILDER_IMAGE };
}

/** A stand-in for `busybox` images: the static busybox of Debian's busybox-static, its applets on /bin. */
export const LOCAL_BUSYBOX_IMAGE = 'trunkline/busybox:local';

/**
 * Builds `LOCAL_BUSYBOX_IMAGE` unless one from the same busybox binary exists: `/bin/busybox`
 * (static: no libraries to copy) with every applet linked in /bin, the same passwd, group, /tmp
 * and CA bundle as the runtime image, `USER 65532`. Returns its name for `--build-arg`.
 */
export async function ensureBusyboxImage(log: Logger): Promise<string> {
  const busybox = '/bin/busybox';
  if (!existsSync(busybox)) throw new Error('busybox is missing: run `apt-get install -y busybox-static` (the local busybox image copies it).');
  const stat = statSync(busybox);
  const fingerprint = createHash('sha256').update([RECIPE_VERSION, 'busybox', stat.size, stat.mtimeMs].join('\n')).digest('hex').slice(0, 16);
  if ((await imageLabel(LOCAL_BUSYBOX_IMAGE)) === fingerprint) return LOCAL_BUSYBOX_IMAGE;
  const work = mkdtempSync(join(tmpdir(), 'trunkline-busybox-'));
  try {
    writeRuntimeFiles(work);
    put(work, busybox, '/bin/busybox');
    for (const applet of (await run(busybox, ['--list'])).stdout.split('\n').filter(Boolean)) {
      if (!existsSync(join(work, 'bin', applet))) symlinkSync('/bin/busybox', join(work, 'bin', applet));
    }
    await importRootfs(work, LOCAL_BUSYBOX_IMAGE, [`LABEL ${INPUTS_LABEL}=${fingerprint}`, 'ENV PATH=/bin', 'USER 65532', 'WORKDIR /home/nonroot'], log);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return LOCAL_BUSYBOX_IMAGE;
}
