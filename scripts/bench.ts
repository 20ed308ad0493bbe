// `npm run bench`: runs every `*/bench/*.bench.ts` one after another (each prints its own
// ratios against a baseline it measures in the same run). Arguments filter by file name.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const dirs = ['core', 'sample-service', ...readdirSync(root).filter((d) => d.startsWith('action-'))].map((d) => join(root, d, 'bench'));
// The sample service's HTTP benchmark builds images and loads the machine for minutes: it runs
// on its own (below) unless named as a filter.
const ownRun = join(root, 'sample-service', 'bench', 'http.bench.ts');
const files = dirs.filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.bench.ts')).map((f) => join(d, f)))
  .filter((f) => filters.length === 0 ? f !== ownRun : filters.some((x) => f.includes(x)));

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${relative(root, file)}`);
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) { failed++; console.error(`${relative(root, file)} exited with ${r.status}`); }
}
console.log(`\n${files.length - failed} benchmark(s) ran, ${failed} failed. The sample service's HTTP benchmark: cd sample-service && npm run bench; the pipeline against a shell script: npm run bench:pipeline.`);
if (failed) process.exit(1);
