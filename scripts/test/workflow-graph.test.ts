// Walks the workflow graph of this repository with a plain YAML reading (independent of the
// checker's CST code): every `uses:` of our own actions and workflows must point at a file that
// exists, and must give every required input and no undeclared one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/test/support/paths.ts';

type Inputs = Record<string, { required?: boolean; default?: unknown } | null>;
interface Step { uses?: string; with?: Record<string, unknown> }
interface Job { uses?: string; with?: Record<string, unknown>; steps?: Step[] }
interface Workflow { on?: { workflow_call?: { inputs?: Inputs } }; jobs?: Record<string, Job> }

const workflowsDir = join(repoRoot, '.github', 'workflows');
const workflowFiles = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f)).sort();
const load = <T>(path: string): T => parse(readFileSync(path, 'utf8')) as T;

/** `./x`, `$/x` or `<owner>/trunkline/x@ref` → `x`; anything else is not ours. */
function ownPath(uses: string): string | undefined {
  if (uses.startsWith('./')) return uses.slice(2).replace(/\/$/, '');
  if (uses.startsWith('$/')) return uses.slice(2).replace(/\/$/, '');
  const m = /^[^/]+\/trunkline\/(.+)@[^@]+$/i.exec(uses);
  return m?.[1];
}

interface Call { from: string; uses: string; target: string; given: string[] }

function callsIn(file: string): Call[] {
  const wf = load<Workflow>(join(workflowsDir, file));
  const calls: Call[] = [];
  for (const [id, job] of Object.entries(wf.jobs ?? {})) {
    const jobTarget = job.uses ? ownPath(job.uses) : undefined;
    if (job.uses && jobTarget) calls.push({ from: `${file} jobs.${id}`, uses: job.uses, target: jobTarget, given: Object.keys(job.with ?? {}) });
    (job.steps ?? []).forEach((step, i) => {
      const target = step.uses ? ownPath(step.uses) : undefined;
      if (step.uses && target) calls.push({ from: `${file} jobs.${id}.steps[${i}]`, uses: step.uses, target, given: Object.keys(step.with ?? {}) });
    });
  }
  return calls;
}

function declaredInputs(target: string): Inputs | undefined {
  const file = join(repoRoot, target);
  if (target.endsWith('.yml') || target.endsWith('.yaml')) return existsSync(file) ? load<Workflow>(file).on?.workflow_call?.inputs ?? {} : undefined;
  const meta = ['action.yml', 'action.yaml'].map((f) => join(file, f)).find((p) => existsSync(p));
  return meta ? load<{ inputs?: Inputs }>(meta).inputs ?? {} : undefined;
}

const calls = workflowFiles.flatMap(callsIn);

describe('workflow graph of this repository', () => {
  it('reaches all five actions from the reusable pipeline ($/) and from CI (./)', () => {
    const actions = ['action-build', 'action-scan', 'action-verify-metrics', 'action-sign', 'action-gitops-bump'];
    const fromPipeline = new Set(calls.filter((c) => c.from.startsWith('trunk-pipeline.yml')).map((c) => c.target));
    const fromCi = new Set(calls.filter((c) => c.from.startsWith('ci.yml')).map((c) => c.target));
    for (const a of actions) {
      expect(fromPipeline, `trunk-pipeline.yml never calls ${a}`).toContain(a);
      expect(fromCi, `ci.yml never calls ${a}`).toContain(a);
    }
    // Inside a reusable workflow ./ would resolve in the caller's checkout: only $/ is correct there.
    for (const c of calls.filter((x) => x.from.startsWith('trunk-pipeline.yml'))) expect(c.uses.startsWith('$/'), c.from).toBe(true);
    for (const c of calls.filter((x) => x.from.startsWith('ci.yml'))) expect(c.uses.startsWith('./'), c.from).toBe(true);
  });

  it.each(calls.map((c) => [`${c.from} → ${c.target}`, c] as const))('%s: target exists, required inputs given, no unknown input', (_name, call) => {
    const inputs = declaredInputs(call.target);
    expect(inputs, `${call.uses} points at nothing`).toBeDefined();
    const required = Object.entries(inputs!).filter(([, spec]) => spec?.required === true && spec.default === undefined).map(([name]) => name);
    for (const name of required) expect(call.given, `${call.from} misses required input ${name}`).toContain(name);
    for (const name of call.given) expect(Object.keys(inputs!), `${call.from} passes unknown input ${name}`).toContain(name);
  });
});
