// Parsing a 10,000-series (~1 MB) Prometheus text exposition with the strict in-house parser,
// against JSON.parse of an equivalent JSON document (the same samples as [{name, labels, value}])
// measured in the same run, interleaved round by round so drift hits both alike.
// Reports time (median wall and CPU time of the rounds) and heap (bytes allocated by one parse,
// and bytes its result retains), each as a ratio to JSON.parse, plus the absolute
// targets (docs/verify-metrics.md, "Exposition parser": ≤ 100 ms, heap ≤ 10× the input size).
// Heap is measured in a child Node with a young generation large enough that no GC runs during a
// parse, so the heap growth is the true allocation (with GC running it would count only survivors).
// Run: node core/bench/exposition.bench.ts [--rounds N]
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseExposition } from '../src/domain/exposition.ts';

const roundsFlag = process.argv.indexOf('--rounds');
const ROUNDS = roundsFlag > 0 ? Number(process.argv[roundsFlag + 1]) : 25;

/**
 * A realistic exposition: HTTP counters over handler × method × status, histograms with the
 * default 11 buckets over handler × method, and gauges — 10,000 samples in all.
 */
function makeExposition(): { text: string; json: string; samples: number } {
  const lines: string[] = [];
  const records: { name: string; labels: Record<string, string>; value: number }[] = [];
  const add = (name: string, labels: Record<string, string>, value: number): void => {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
    lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
    records.push({ name, labels, value });
  };
  const buckets = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  lines.push('# HELP http_requests_total HTTP requests by handler, method and status.', '# TYPE http_requests_total counter');
  for (let h = 0; h < 250; h++) {
    for (const method of methods) for (const status of ['200', '404', '500']) add('http_requests_total', { handler: `/api/v1/resource${h}`, method, status }, (h * 7919) % 100000);
  }
  lines.push('# HELP http_request_duration_seconds Request duration.', '# TYPE http_request_duration_seconds histogram');
  for (let h = 0; h < 125; h++) {
    for (const method of methods) {
      const handler = `/api/v1/resource${h}`;
      buckets.forEach((le, i) => add('http_request_duration_seconds_bucket', { handler, method, le }, i * 10));
      add('http_request_duration_seconds_sum', { handler, method }, 12.345);
      add('http_request_duration_seconds_count', { handler, method }, (buckets.length - 1) * 10);
    }
  }
  lines.push('# HELP queue_depth Items waiting per queue and shard.', '# TYPE queue_depth gauge');
  for (let i = 0; records.length < 10_000; i++) add('queue_depth', { queue: `q${i % 50}`, shard: String(i) }, i / 3);
  return { text: `${lines.join('\n')}\n`, json: JSON.stringify(records), samples: records.length };
}

const { text, json, samples } = makeExposition();
const bytes = Buffer.byteLength(text);

// Correctness first: the parser must see every sample.
if (parseExposition(text).samples.length !== samples) throw new Error('parser lost samples');

interface Heap { allocated: number; retained: number }

/** Child mode: `--heap` prints the median allocation and retention of both parsers as JSON. */
if (process.argv.includes('--heap')) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the --heap child with --expose-gc');
  const settle = (): number => { for (let i = 0; i < 4; i++) gc(); return process.memoryUsage().heapUsed; };
  const measure = (fn: () => unknown): Heap => {
    // Allocation: one call, no GC can run (young generation larger than what a parse allocates).
    let before = settle();
    const kept: unknown[] = [fn()];
    const allocated = process.memoryUsage().heapUsed - before;
    kept.length = 0;
    // Retention: five live results after a full GC, averaged (one result is within GC noise).
    before = settle();
    for (let i = 0; i < 5; i++) kept.push(fn());
    const retained = (settle() - before) / kept.length;
    kept.length = 0;
    return { allocated, retained };
  };
  const med = (xs: Heap[], k: keyof Heap): number => [...xs.map((x) => x[k])].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (let i = 0; i < 3; i++) { parseExposition(text); JSON.parse(json); }
  const parser: Heap[] = [];
  const jsonHeap: Heap[] = [];
  for (let i = 0; i < 7; i++) { parser.push(measure(() => parseExposition(text))); jsonHeap.push(measure(() => JSON.parse(json))); }
  console.log(JSON.stringify({
    parser: { allocated: med(parser, 'allocated'), retained: med(parser, 'retained') },
    json: { allocated: med(jsonHeap, 'allocated'), retained: med(jsonHeap, 'retained') },
  }));
  process.exit(0);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Warm-up: let both reach optimised code.
for (let i = 0; i < 5; i++) { parseExposition(text); JSON.parse(json); }

const times = { parser: [] as number[], json: [] as number[] };
const cpu = { parser: [] as number[], json: [] as number[] };
const timeOne = (fn: () => unknown, wall: number[], cpuTimes: number[]): void => {
  const c = process.cpuUsage();
  const t = performance.now();
  fn();
  wall.push(performance.now() - t);
  const u = process.cpuUsage(c);
  cpuTimes.push((u.user + u.system) / 1000);
};
for (let round = 0; round < ROUNDS; round++) {
  timeOne(() => parseExposition(text), times.parser, cpu.parser);
  timeOne(() => JSON.parse(json), times.json, cpu.json);
}

const child = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=512', fileURLToPath(import.meta.url), '--heap'], { encoding: 'utf8' });
if (child.status !== 0) throw new Error(`heap child failed: ${child.stderr}`);
const heapResult = JSON.parse(child.stdout) as { parser: Heap; json: Heap };

const p = median(times.parser);
const j = median(times.json);
const pc = median(cpu.parser);
const jc = median(cpu.json);
const { allocated: pa, retained: pr } = heapResult.parser;
const { allocated: ja, retained: jr } = heapResult.json;
const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

console.log(`load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs (wall time inflates under load; CPU time does not)`);
console.log(`exposition: ${samples} samples, ${mb(bytes)} text; equivalent JSON ${mb(Buffer.byteLength(json))}; ${ROUNDS} rounds, Node ${process.version}`);
console.log('');
console.log('                      parseExposition   JSON.parse   ratio');
console.log(`wall time (median)    ${p.toFixed(1).padStart(12)} ms ${j.toFixed(1).padStart(9)} ms   ${(p / j).toFixed(2)}×`);
console.log(`CPU time (median)     ${pc.toFixed(1).padStart(12)} ms ${jc.toFixed(1).padStart(9)} ms   ${(pc / jc).toFixed(2)}×`);
console.log(`heap allocated        ${mb(pa).padStart(15)} ${mb(ja).padStart(12)}   ${(pa / ja).toFixed(2)}×`);
console.log(`heap retained         ${mb(pr).padStart(15)} ${mb(jr).padStart(12)}   ${(pr / jr).toFixed(2)}×`);
console.log('');
console.log(`targets (docs/verify-metrics.md): time ≤ 100 ms → wall ${p <= 100 ? 'met' : 'MISSED'} (${p.toFixed(1)} ms), CPU ${pc <= 100 ? 'met' : 'MISSED'} (${pc.toFixed(1)} ms); `
  + `heap ≤ 10× input → retained ${pr <= 10 * bytes ? 'met' : 'MISSED'} (${(pr / bytes).toFixed(1)}×), `
  + `allocated ${pa <= 10 * bytes ? 'met' : 'MISSED'} (${(pa / bytes).toFixed(1)}×, mostly short-lived garbage)`);
