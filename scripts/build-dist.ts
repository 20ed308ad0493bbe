// Bundles each action's entry points (src/main.ts, and src/post.ts when present) into a committed
// ESM dist/ with @vercel/ncc. `--check` rebuilds into a temp dir and fails when dist/ differs,
// so a stale bundle can never be released. Optional arguments restrict the run to named actions.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const check = args.includes('--check');
const only = args.filter((a) => !a.startsWith('--'));
const actions = readdirSync(root).filter((d) => d.startsWith('action-') && existsSync(join(root, d, 'src', 'main.ts')))
  .filter((d) => only.length === 0 || only.includes(d));

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)]);
}

function bundle(action: string, outDir: string): void {
  for (const entry of ['main', 'post']) {
    const src = join(root, action, 'src', `${entry}.ts`);
    if (!existsSync(src)) continue;
    const out = entry === 'main' ? outDir : join(outDir, entry);
    const r = spawnSync(join(root, 'node_modules', '.bin', 'ncc'), ['build', src, '-o', out, '--quiet', '--license', 'licenses.txt'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`ncc failed for ${action}/src/${entry}.ts`);
  }
}

let stale = 0;
for (const action of actions) {
  const dist = join(root, action, 'dist');
  if (!check) {
    const tmp = mkdtempSync(join(tmpdir(), `${action}-`));
    bundle(action, tmp);
    rmSync(dist, { recursive: true, force: true });
    cpSync(tmp, dist, { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    console.log(`${action}/dist: ${listFiles(dist).join(', ')}`);
    continue;
  }
  const tmp = mkdtempSync(join(tmpdir(), `${action}-check-`));
  bundle(action, tmp);
  const want = listFiles(tmp).sort();
  const have = listFiles(dist).sort();
  const differs = want.join() !== have.join() || want.some((f) => !readFileSync(join(tmp, f)).equals(readFileSync(join(dist, f))));
  rmSync(tmp, { recursive: true, force: true });
  if (differs) {
    stale++;
    console.error(`${action}/dist is stale: run \`npm run build\` and commit ${action}/dist`);
  } else {
    console.log(`${action}/dist is up to date`);
  }
}
if (stale) process.exit(1);
