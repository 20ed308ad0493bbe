// Cold start of each bundled action: from process start to its first step output (the first
// write to GITHUB_OUTPUT), with valid inputs and no Docker work, against `node -e 0` (process
// start to exit) measured in the same run, interleaved round by round so drift hits both alike.
// Run: node core/bench/action-cold-start.bench.ts [--runs N] [--dist-root DIR]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, trivyFixtures } from '../test/support/paths.ts';
import { runnerEnvironment } from '../test/support/runner.ts';
import { example } from '../test/build/webhook-examples.ts';
import { buildPayload, generateKeyPair, signatureRecord, signPayload } from '../src/domain/signature.ts';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 15;
// --dist-root DIR: look for <DIR>/<action>/dist/index.js (to try bundles not committed yet).
const distRootFlag = process.argv.indexOf('--dist-root');
const distRoot = distRootFlag > 0 ? process.argv[distRootFlag + 1]! : repoRoot;
const scratch = mkdtempSync(join(tmpdir(), 'trunkline-bench-'));

interface Invocation {
  /** Why this invocation does no Docker work. */
  why: string;
  inputs: Record<string, string>;
  env?: Record<string, string>;
  cwd?: string;
}

type Spec = () => Invocation | string;

/** A real push payload (the first push to the default branch in @octokit/webhooks-examples). */
function pushPayloadPath(): string {
  const path = join(scratch, 'push.json');
  writeFileSync(path, JSON.stringify(example('push', (p) => p.ref === 'refs/heads/master')));
  return path;
}

const SPECS: Record<string, Spec> = {
  'action-build': () => {
    const dir = join(scratch, 'build');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    return {
      why: 'full input validation and tag computation; the tag outputs are published before builder detection, and docker points at a missing binary so nothing reaches Docker',
      inputs: { image: '127.0.0.1:5000/sample-service', context: dir, 'build-args': 'RUNTIME_IMAGE=trunkline/node-runtime:24-local', network: 'host' },
      env: { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: pushPayloadPath(), GITHUB_REF: 'refs/heads/master', GITHUB_SHA: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', TRUNKLINE_DOCKER: '/nonexistent/docker' },
      cwd: dir,
    };
  },
  'action-scan': () => {
    const report = join(trivyFixtures, 'alpine-310.json.golden');
    if (!existsSync(report)) return `fixture ${report} missing`;
    return { why: 'gates a recorded Trivy report (input report)', inputs: { report, 'fail-on': 'CRITICAL', 'install-trivy': 'false', cache: 'false' } };
  },
  'action-gitops-bump': () => {
    const dir = join(scratch, 'gitops');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'values.yaml'), 'image:\n  repository: ghcr.io/acme/app\n  tag: "1.0.0"\n');
    return { why: 'mode none: edits a values.yaml in place, no git, no Docker', inputs: { path: dir, files: 'values.yaml', image: 'ghcr.io/acme/app', tag: '1.0.1', mode: 'none' }, cwd: dir };
  },
  'action-verify-metrics': () => ({
    why: 'probes base-url (a loopback server in this process) instead of running a container',
    inputs: { 'base-url': `http://127.0.0.1:${metricsPort}`, lint: 'off', 'readiness-timeout': '5', 'expect-timeout': '5' },
  }),
  'action-sign': () => {
    // A real signature record made with the signing domain, checked offline in verify mode.
    const digest = `sha256:${'ab'.repeat(32)}`;
    const keys = generateKeyPair();
    const payload = buildPayload('127.0.0.1:5000/sample-service', digest);
    const file = join(scratch, 'image.signature');
    writeFileSync(file, JSON.stringify(signatureRecord(payload, signPayload(payload, keys.privateKey), createPublicKey(keys.publicKeyPem))));
    return { why: 'verify mode: checks an image.signature record against public-key and digest, offline', inputs: { mode: 'verify', 'public-key': keys.publicKeyPem, 'signature-file': file, digest } };
  },
};

// A tiny service for verify-metrics: ready, answers /, and exposes one counter.
let hits = 0;
const server = createServer((req, res) => {
  if (req.url === '/metrics') {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(`# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total{handler="/",method="GET",status="200"} ${hits}\n`);
    return;
  }
  if (req.url === '/') hits++;
  res.end('ok');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const metricsPort = (server.address() as AddressInfo).port;

/** Spawns `args`; resolves with ms from spawn to the first GITHUB_OUTPUT write (or to exit for the baseline). */
function measure(args: string[], invocation: Invocation | undefined): Promise<{ ms: number; ok: boolean; detail: string }> {
  const { env, files } = runnerEnvironment(invocation?.inputs ?? {}, {
    dir: mkdtempSync(join(scratch, 'run-')),
    ...(invocation?.cwd ? { cwd: invocation.cwd } : {}),
    ...(invocation?.env ? { env: invocation.env } : {}),
  });
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd: invocation?.cwd ?? repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    let done = false;
    const finish = (ok: boolean, detail: string): void => {
      if (done) return;
      done = true;
      const ms = performance.now() - start;
      clearInterval(poll);
      child.kill('SIGKILL');
      resolve({ ms, ok, detail });
    };
    // Polling stat every millisecond: the detection delay is below the run-to-run spread.
    const poll = invocation ? setInterval(() => { if (statSync(files.GITHUB_OUTPUT).size > 0) finish(true, readFileSync(files.GITHUB_OUTPUT, 'utf8').split('\n')[0] ?? ''); }, 1) : undefined;
    child.on('close', (code) => {
      if (done) return;
      if (!invocation) return finish(code === 0, '');
      const written = statSync(files.GITHUB_OUTPUT).size > 0;
      finish(written, written ? '' : `exited ${code} without output: ${out.split('\n').filter(Boolean).slice(-3).join(' | ')}`);
    });
  });
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const p90 = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]!; };

const actions: Array<{ name: string; dist: string; invocation: Invocation }> = [];
const skipped: string[] = [];
for (const [name, spec] of Object.entries(SPECS)) {
  const dist = join(distRoot, name, 'dist', 'index.js');
  if (!existsSync(dist)) { skipped.push(`${name}: skipped, ${name}/dist/index.js does not exist yet`); continue; }
  const invocation = spec();
  if (typeof invocation === 'string') { skipped.push(`${name}: skipped, ${invocation}`); continue; }
  actions.push({ name, dist, invocation });
}

// Warm the file cache once for each, and check each invocation really produces an output.
const broken = new Set<string>();
await measure(['-e', '0'], undefined);
for (const a of actions) {
  const r = await measure([a.dist], a.invocation);
  if (!r.ok) { broken.add(a.name); skipped.push(`${a.name}: skipped, invocation produced no output (${r.detail}); fix its spec in this file`); }
}
const timings = new Map<string, number[]>([['node -e 0', []], ...actions.filter((a) => !broken.has(a.name)).map((a) => [a.name, []] as [string, number[]])]);
for (let round = 0; round < RUNS; round++) {
  timings.get('node -e 0')!.push((await measure(['-e', '0'], undefined)).ms);
  for (const a of actions) {
    if (broken.has(a.name)) continue;
    timings.get(a.name)!.push((await measure([a.dist], a.invocation)).ms);
  }
}
server.close();

const baseline = median(timings.get('node -e 0')!);
// The target (issue 13): each action's median within 100 ms of `node -e 0`'s median, same run.
const BUDGET_MS = 100;
const target = baseline + BUDGET_MS;
let missed = 0;
console.log(`Action cold start: process start → first GITHUB_OUTPUT write, ${RUNS} runs each, Node ${process.versions.node}`);
console.log(`Target: median ≤ node -e 0 + ${BUDGET_MS} ms = ${target.toFixed(1)} ms`);
console.log(`${'what'.padEnd(24)}${'median ms'.padStart(10)}${'p90 ms'.padStart(9)}${'× node -e 0'.padStart(13)}${'+ ms'.padStart(8)}${'bundle'.padStart(10)}  target`);
for (const [name, xs] of timings) {
  const isBaseline = name === 'node -e 0';
  const size = isBaseline ? '' : `${(statSync(join(distRoot, name, 'dist', 'index.js')).size / 1e6).toFixed(2)} MB`;
  const pass = median(xs) <= target;
  if (!isBaseline && !pass) missed++;
  const verdict = isBaseline ? '' : pass ? 'pass' : `MISS by ${(median(xs) - target).toFixed(1)} ms`;
  console.log(`${name.padEnd(24)}${median(xs).toFixed(1).padStart(10)}${p90(xs).toFixed(1).padStart(9)}${(median(xs) / baseline).toFixed(2).padStart(13)}${(isBaseline ? '' : (median(xs) - baseline).toFixed(1)).padStart(8)}${size.padStart(10)}  ${verdict}`);
}
for (const a of actions) if (!broken.has(a.name)) console.log(`  ${a.name}: ${a.invocation.why}`);
for (const s of skipped) console.log(`  ${s}`);
rmSync(scratch, { recursive: true, force: true });
if (missed) {
  console.log(`${missed} action(s) missed the cold-start target (the bundles measured are ${distRoot === repoRoot ? 'the committed dist/: run npm run build first to measure the sources' : distRoot}).`);
  process.exitCode = 1;
}
