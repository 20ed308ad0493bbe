/**
 * Bundles the service into ONE file, `dist/server.mjs`, with esbuild (`node scripts/bundle.ts`).
 *
 * Why esbuild rather than ncc (which bundles the actions): esbuild inlines the lazily imported
 * flagd provider (and gRPC) into the same file without code splitting, so the image holds exactly
 * one file and no `node_modules`; it tree-shakes and minifies (≈ 0.8 MB with gRPC) in well under a
 * second, and it is what was measured (README.md, "Image" and "Performance").
 * The lazy `import()` stays lazy at run time: esbuild wraps the module in an initialiser that runs
 * only when `FLAGS_PROVIDER=flagd`.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Writes `outfile` (default `dist/server.mjs` under the package) and returns its size in bytes. */
export async function bundle(outfile = `${root}dist/server.mjs`): Promise<number> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/main.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    // Readable stack traces in logs: keep function and class names through minification.
    keepNames: true,
    legalComments: 'eof',
    metafile: true,
    // CommonJS dependencies (prom-client, gRPC) call require() for Node built-ins; an ESM bundle has none.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await bundle(process.argv[2]);
  console.log(`dist/server.mjs: ${(bytes / 1024).toFixed(0)} KiB`);
}
