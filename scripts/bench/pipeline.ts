// `npm run bench:pipeline`: the local Trunkline pipeline (A) against a plain shell script doing
// the same work (B, scripts/bench/baseline-pipeline.sh), each cold (no build cache, fresh
// registry and Flux repository) and warm (immediately again, nothing changed), on this machine
// in one run. Prints wall time per stage, A/B cold and warm, A warm / A cold, and each stage's
// own overhead (time not spent in docker, git, HTTP, waiting on the container, or compressing
// layers for the registry — the work docker push does in B). Results go to
// .trunkline/bench/pipeline.json (latest) and pipeline-history.jsonl (one line per run).
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from '../../core/src/adapters/docker.ts';
import { run } from '../../core/src/adapters/process.ts';
import { ensureBaseImages } from '../../core/src/local/base-images.ts';
import { ensureDockerd } from '../../core/src/local/dockerd.ts';
import { ensureFluxRepo } from '../../core/src/local/flux-repo.ts';
import { startRegistry } from '../../core/src/local/registry.ts';
import type { LocalRegistry } from '../../core/src/local/registry.ts';
import { createConsoleLogger } from '../../core/src/report/logger.ts';
import type { SummaryDocument } from '../../core/src/report/summary-file.ts';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const log = createConsoleLogger({ prefix: 'bench' });
const OVERHEAD_BUDGET_MS = 100;

/** B's stage that does the work of each A stage (push and sign together are A's sign-and-push). */
const COUNTERPART: Record<string, string[]> = {
  lint: ['lint'], build: ['build'], 'verify-metrics': ['probe'], 'sign-and-push': ['push', 'sign'], 'gitops-bump': ['bump'],
};

interface Measured { totalMs: number; stages: Record<string, number>; overheadMs: Record<string, number> }

function timeProcess(file: string, args: string[], env: Record<string, string> = {}): Promise<{ ms: number; stdout: string; stderr: string; code: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Math.round(performance.now() - start), stdout, stderr, code: code ?? -1 }));
  });
}

/** Removes every image of the benchmark's repositories and the build cache: the next build is cold. */
async function dropBuildCache(registries: LocalRegistry[]): Promise<void> {
  const { stdout } = await docker(['images', '--format', '{{.Repository}} {{.ID}}']);
  const ids = new Set(stdout.split('\n').filter((l) => registries.some((r) => l.startsWith(`${r.host}/`))).map((l) => l.split(' ')[1]!));
  if (ids.size) await docker(['rmi', '-f', ...ids], { allowFailure: true });
  await docker(['image', 'prune', '-f'], { allowFailure: true });
  await docker(['builder', 'prune', '-af'], { allowFailure: true });
}

async function runA(stateDir: string, registry: LocalRegistry): Promise<Measured> {
  const r = await timeProcess(process.execPath, [join(root, 'core/src/cli/main.ts'), 'pipeline', '--state-dir', stateDir, '--registry-port', registry.host.split(':')[1]!]);
  if (r.code !== 0) throw new Error(`trunkline pipeline failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  const summary = JSON.parse(readFileSync(join(stateDir, 'summary.json'), 'utf8')) as SummaryDocument;
  const stages: Record<string, number> = { prepare: r.ms - summary.durationMs };
  const overheadMs: Record<string, number> = {};
  for (const s of summary.stages) {
    stages[s.name] = s.durationMs;
    overheadMs[s.name] = s.overheadMs ?? 0;
  }
  return { totalMs: r.ms, stages, overheadMs };
}

async function runB(work: string, registry: LocalRegistry, fluxRemote: string, bases: { runtime: string; builder: string }): Promise<Measured> {
  const r = await timeProcess('bash', [join(root, 'scripts/bench/baseline-pipeline.sh')], {
    REGISTRY: registry.host, FLUX_REMOTE: fluxRemote, WORK: work, SERVICE_DIR: join(root, 'sample-service'),
    BUILDER_IMAGE: bases.builder, RUNTIME_IMAGE: bases.runtime, ESLINT: join(root, 'node_modules/.bin/eslint'),
  });
  if (r.code !== 0) throw new Error(`baseline script failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  const stages = Object.fromEntries(r.stdout.split('\n').filter((l) => l.startsWith('stage ')).map((l) => {
    const [, name, ms] = l.split(' ');
    return [name!, Number(ms)];
  }));
  return { totalMs: r.ms, stages, overheadMs: {} };
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)}s`.padStart(7);
const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');

function stageTable(a: Measured, b: Measured, label: string): string[] {
  const lines = [`${label}: stage            A       B     A-B   overhead(A)`];
  for (const [stage, counterparts] of Object.entries(COUNTERPART)) {
    const am = a.stages[stage] ?? 0;
    const bm = counterparts.reduce((sum, c) => sum + (b.stages[c] ?? 0), 0);
    const over = a.overheadMs[stage] ?? 0;
    lines.push(`  ${stage.padEnd(22)}${s(am)} ${s(bm)} ${s(am - bm)}   ${String(over).padStart(5)} ms${over > OVERHEAD_BUDGET_MS ? '  (over the 100 ms budget)' : ''}`);
  }
  for (const extra of ['prepare', 'scan-fs', 'scan-image']) if (a.stages[extra] !== undefined) lines.push(`  ${extra.padEnd(22)}${s(a.stages[extra]!)}       -  (A only)   ${a.overheadMs[extra] ?? 0} ms`);
  lines.push(`  ${'total (wall)'.padEnd(22)}${s(a.totalMs)} ${s(b.totalMs)} ${s(a.totalMs - b.totalMs)}`);
  return lines;
}

/** The stage whose A-B difference is the largest: where a missed target's time goes. */
function costliest(a: Measured, b: Measured): string {
  const diffs = Object.entries(COUNTERPART).map(([stage, cps]) => [stage, (a.stages[stage] ?? 0) - cps.reduce((x, c) => x + (b.stages[c] ?? 0), 0)] as const);
  diffs.push(['prepare', a.stages.prepare ?? 0]);
  const [stage, ms] = diffs.sort((x, y) => y[1] - x[1])[0]!;
  return `${stage} (+${(ms / 1000).toFixed(1)} s against the script)`;
}

async function main(): Promise<void> {
  await ensureDockerd(log);
  const bases = await ensureBaseImages(log);
  const work = mkdtempSync(join(tmpdir(), 'trunkline-bench-pipeline-'));
  const regA = await startRegistry();
  const regB = await startRegistry();
  try {
    const stateA = join(work, 'a');
    const fluxB = await ensureFluxRepo({ root: join(work, 'b'), seedDir: join(root, 'sample-service/deploy'), appDir: 'apps/sample-service' }, log);
    mkdirSync(join(work, 'b-work'), { recursive: true });

    log.info('A cold: trunkline pipeline, no build cache, fresh registry and Flux repository');
    await dropBuildCache([regA, regB]);
    const aCold = await runA(stateA, regA);
    log.info('A warm: the same again, nothing changed');
    const aWarm = await runA(stateA, regA);
    log.info(`A cold ${s(aCold.totalMs)}, warm ${s(aWarm.totalMs)}`);
    log.info('B cold: the plain shell script, no build cache, fresh registry and Flux repository');
    await dropBuildCache([regA, regB]);
    const bCold = await runB(join(work, 'b-work'), regB, fluxB.bare, bases);
    log.info('B warm');
    const bWarm = await runB(join(work, 'b-work'), regB, fluxB.bare, bases);

    const coldRatio = aCold.totalMs / bCold.totalMs;
    const warmRatio = aWarm.totalMs / bWarm.totalMs;
    const warmOverCold = aWarm.totalMs / aCold.totalMs;
    const lines = [
      '', ...stageTable(aCold, bCold, 'cold'), '', ...stageTable(aWarm, bWarm, 'warm'), '',
      `A/B cold        ${coldRatio.toFixed(2)}  (target <= 1.15)${coldRatio > 1.15 ? `  MISSED: most of the difference is ${costliest(aCold, bCold)}` : ''}`,
      `A/B warm        ${warmRatio.toFixed(2)}  (target <= 1.15)${warmRatio > 1.15 ? `  MISSED: most of the difference is ${costliest(aWarm, bWarm)}` : ''}`,
      `A warm / A cold ${warmOverCold.toFixed(2)}  (target <= 0.30)${warmOverCold > 0.3 ? `  MISSED: the slowest warm stage is ${Object.entries(aWarm.stages).sort((x, y) => y[1] - x[1])[0]?.[0]}` : ''}`,
    ];
    const over = Object.entries(aCold.overheadMs).concat(Object.entries(aWarm.overheadMs)).filter(([, ms]) => ms > OVERHEAD_BUDGET_MS);
    lines.push(over.length ? `stage overhead over ${OVERHEAD_BUDGET_MS} ms: ${over.map(([n, ms]) => `${n} ${ms} ms`).join(', ')}` : `every stage's own overhead is under ${OVERHEAD_BUDGET_MS} ms`);
    console.log(lines.join('\n'));

    const sha = (await run('git', ['-C', root, 'rev-parse', 'HEAD'], { allowFailure: true })).stdout.trim();
    const record = {
      date: new Date().toISOString(), commit: sha,
      ratios: { abCold: +ratio(aCold.totalMs, bCold.totalMs), abWarm: +ratio(aWarm.totalMs, bWarm.totalMs), aWarmOverCold: +ratio(aWarm.totalMs, aCold.totalMs) },
      a: { cold: aCold, warm: aWarm }, b: { cold: bCold, warm: bWarm },
    };
    const out = join(root, '.trunkline', 'bench');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'pipeline.json'), `${JSON.stringify(record, null, 2)}\n`);
    appendFileSync(join(out, 'pipeline-history.jsonl'), `${JSON.stringify(record)}\n`);
    console.log(`\nresults: ${join(out, 'pipeline.json')} (history: pipeline-history.jsonl)`);
  } finally {
    await dropBuildCache([regA, regB]);
    await regA.stop();
    await regB.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
