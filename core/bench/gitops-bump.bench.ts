// GitOps bump time in a Flux repository of 5,000 files against one of 10 files, measured in the
// same run, interleaved round by round. The work should grow with the files touched, not with the
// repository: explicit paths are read straight from the commit, globs list only their static
// prefix, and trees are rewritten only along the changed paths.
// Run: node core/bench/gitops-bump.bench.ts [--runs N] [--files N]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitopsFixtures } from '../test/support/paths.ts';
import { createConsoleLogger } from '../src/report/logger.ts';
import type { BumpConfigInput } from '../src/domain/bump-config.ts';
import { resolveBumpConfig } from '../src/domain/bump-config.ts';
import { runBump } from '../src/stages/bump.ts';

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = flag('--runs', 5);
const LARGE = flag('--files', 5000);
const SMALL = 10;
const scratch = mkdtempSync(join(tmpdir(), 'trunkline-bump-bench-'));
const release = readFileSync(join(gitopsFixtures, 'flux2-kustomize-helm-example_podinfo-release_v2.yaml'), 'utf8');
const values = readFileSync(join(gitopsFixtures, 'podinfo_chart-values.yaml'), 'utf8');
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/**
 * A Flux repository with `total` files: the target HelmRelease and values under
 * clusters/prod/apps/sample/, the rest spread over apps/<team>/<app>/ like a real fleet. Written
 * with one `git fast-import` into the bare remote (seconds, not minutes), then cloned.
 */
function fluxRepo(name: string, total: number): string {
  const root = join(scratch, name);
  mkdirSync(root, { recursive: true });
  const files: Array<[string, string]> = [
    ['clusters/prod/apps/sample/helmrelease.yaml', release],
    ['clusters/prod/apps/sample/values.yaml', values],
  ];
  for (let i = 2; i < total; i++) {
    const team = `team-${String(i % 25).padStart(2, '0')}`;
    const app = `app-${String(i).padStart(4, '0')}`;
    const text = i % 2 ? release.replace(/podinfo/g, app) : values.replace('ghcr.io/stefanprodan/podinfo', `ghcr.io/acme/${app}`);
    files.push([`apps/${team}/${app}/${i % 2 ? 'helmrelease' : 'values'}.yaml`, text]);
  }
  const chunks: Buffer[] = [];
  files.forEach(([, text], i) => {
    const data = Buffer.from(text);
    chunks.push(Buffer.from(`blob\nmark :${i + 1}\ndata ${data.length}\n`), data, Buffer.from('\n'));
  });
  chunks.push(Buffer.from('commit refs/heads/main\ncommitter bench <bench@example.com> 1700000000 +0000\ndata 6\nfleet\n'));
  files.forEach(([path], i) => chunks.push(Buffer.from(`M 100644 :${i + 1} ${path}\n`)));
  git(root, 'init', '--quiet', '--bare', '-b', 'main', 'remote.git');
  execFileSync('git', ['fast-import', '--quiet'], { cwd: join(root, 'remote.git'), input: Buffer.concat(chunks) });
  git(root, 'clone', '--quiet', 'remote.git', 'clone');
  const count = git(join(root, 'clone'), 'ls-files').split('\n').length;
  if (count !== total) throw new Error(`expected ${total} files, the clone has ${count}`);
  return join(root, 'clone');
}

const quiet = createConsoleLogger({ write: () => undefined });
type Scenario = { label: string; rounds?: number; config: (clone: string, round: number) => BumpConfigInput };
const SCENARIOS: Scenario[] = [
  {
    label: 'push, explicit path',
    config: (clone, round) => ({ path: clone, files: ['clusters/prod/apps/sample/helmrelease.yaml'], mode: 'push', branch: 'trunkline/bump/redis', tag: `8.${round + 10}.0` }),
  },
  {
    label: 'push, glob with a static prefix',
    config: (clone, round) => ({ path: clone, files: ['clusters/prod/apps/sample/*.yaml'], mode: 'push', branch: 'trunkline/bump/redis-glob', tag: `8.${round + 10}.1` }),
  },
  {
    label: 'none (in place), explicit path',
    // Milliseconds each: more rounds so that scheduling noise does not decide the median.
    rounds: 25,
    config: (clone, round) => ({ path: clone, files: ['clusters/prod/apps/sample/helmrelease.yaml'], mode: 'none', tag: `8.${round + 10}.2` }),
  },
];

async function timeOne(clone: string, scenario: Scenario, round: number): Promise<number> {
  const cfg = resolveBumpConfig({ image: 'public.ecr.aws/docker/library/redis', tag: '', retryDelayMs: 10, ...scenario.config(clone, round) });
  const start = performance.now();
  const result = await runBump(cfg, quiet);
  const ms = performance.now() - start;
  if (result.status !== 'passed' || !result.outputs.changed) throw new Error(`${scenario.label}: ${result.error ?? 'nothing changed'}`);
  return ms;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

try {
  const t0 = performance.now();
  const large = fluxRepo('large', LARGE);
  const small = fluxRepo('small', SMALL);
  console.log(`repositories ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${LARGE} and ${SMALL} files); ${RUNS} interleaved runs per scenario`);
  // One warm-up round each: module loading and the first yaml parse are not the bump's work.
  for (const s of SCENARIOS) {
    await timeOne(small, s, -1);
    await timeOne(large, s, -1);
  }
  console.log(`${'scenario'.padEnd(34)} ${`${SMALL} files`.padStart(10)} ${`${LARGE} files`.padStart(12)}  ratio`);
  for (const s of SCENARIOS) {
    const times = { small: [] as number[], large: [] as number[] };
    for (let round = 0; round < (s.rounds ?? RUNS); round++) {
      times.small.push(await timeOne(small, s, round));
      times.large.push(await timeOne(large, s, round));
    }
    const a = median(times.small);
    const b = median(times.large);
    console.log(`${s.label.padEnd(34)} ${`${a.toFixed(1)} ms`.padStart(10)} ${`${b.toFixed(1)} ms`.padStart(12)}  ${(b / a).toFixed(2)}x`);
  }
  console.log('ratio = median time in the large repository / median time in the small one (1.00x: independent of repository size)');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
