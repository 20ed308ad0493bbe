// Walks the `uses:` graph from workflows (and from YAML examples in the docs) to this repository's
// own actions and reusable workflows: each target must exist, and each call must provide every
// required input and no input the target does not declare.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Node } from 'yaml';
import type { Finding } from './finding.ts';
import type { FileModel } from './model.ts';
import { buildModel } from './model.ts';
import type { Position } from './yaml-source.ts';
import { child, entries, pair, parseYamlSource, str } from './yaml-source.ts';

/** The repository name other repositories use in `uses: <owner>/<repo>/action-x@<ref>`. */
export const REPO_NAME = 'trunkline';

/** The Trunkline checkout this checker runs from (where `<owner>/trunkline/…` calls land). */
const checkerRoot = resolve(import.meta.dirname, '..', '..');

/**
 * Where a target's path is looked up. `./x` and `$/x` live in the checked repository; a
 * `<owner>/trunkline/x@ref` call lives in Trunkline, which is the checked repository itself or,
 * when `--root` names a caller repository, the checkout the checker runs from.
 */
function lookupRoots(target: LocalTarget, repoRoot: string): string[] {
  return target.via === 'remote' && resolve(repoRoot) !== checkerRoot ? [repoRoot, checkerRoot] : [repoRoot];
}

export interface InputSpec {
  required: boolean;
  hasDefault: boolean;
}

/** Where a `uses:` points inside this repository, or undefined when it points elsewhere. */
export interface LocalTarget {
  /** Repository-relative path of the directory (actions) or file (workflows). */
  path: string;
  /** How it was referenced: `./` (workspace), `$/` (self-repository) or `<owner>/trunkline/…@ref`. */
  via: 'workspace' | 'self' | 'remote';
}

/**
 * Resolves a `uses:` value to a path in this repository: `./x`, `$/x`, and
 * `<owner>/trunkline/x@ref` (how other repositories reach our actions and workflows).
 */
export function resolveOwnUses(uses: string): LocalTarget | undefined {
  const clean = (p: string): string => p.replace(/^\.\//, '').replace(/\/+$/, '');
  if (uses.startsWith('./')) return { path: clean(uses), via: 'workspace' };
  if (uses.startsWith('$/')) return { path: clean(uses.slice(2)), via: 'self' };
  const m = /^[A-Za-z0-9_.-]+\/([A-Za-z0-9_.-]+)\/(.+)@[^@]+$/.exec(uses);
  if (m && m[1]!.toLowerCase() === REPO_NAME) return { path: clean(m[2]!), via: 'remote' };
  return undefined;
}

/** Output names declared by an action.yml (`outputs:`). */
export function readOutputs(root: Node | undefined): Set<string> {
  return new Set(entries(child(root, 'outputs')).map(([name]) => name));
}

/** Inputs declared by an action.yml (`inputs:`), or by a workflow's `on.workflow_call.inputs`. */
export function readInputs(root: Node | undefined, kind: 'action' | 'workflow'): Map<string, InputSpec> {
  const inputsNode = kind === 'action' ? child(root, 'inputs') : child(child(child(root, 'on'), 'workflow_call'), 'inputs');
  const specs = new Map<string, InputSpec>();
  for (const [name, spec] of entries(inputsNode)) {
    specs.set(name, { required: str(child(spec, 'required')) === 'true', hasDefault: child(spec, 'default') !== undefined });
  }
  return specs;
}

function loadYaml(path: string): Node | undefined {
  const { source } = parseYamlSource(path, readFileSync(path, 'utf8'));
  return (source.doc.contents ?? undefined) as Node | undefined;
}

function actionFile(roots: readonly string[], dir: string): string | undefined {
  return roots.flatMap((root) => ['action.yml', 'action.yaml'].map((f) => join(root, dir, f))).find((p) => existsSync(p));
}

function workflowFile(roots: readonly string[], path: string): string | undefined {
  return roots.map((root) => join(root, path)).find((p) => existsSync(p));
}

/** A `graph/*` finding at a position of the checked file. */
function graphFinding(model: FileModel, p: Position, rule: string, message: string): Finding {
  return { file: model.source.file, line: p.line, column: p.column, rule, message, tool: 'graph' };
}

/** Compares a call's `with:` against the target's inputs. */
function checkWith(model: FileModel, where: string, target: string, usesNode: Node, withNode: Node | undefined, inputs: Map<string, InputSpec>, out: Finding[]): void {
  const given = new Map(entries(withNode).map(([k, , p]) => [k, p.key] as const));
  for (const [name, spec] of inputs) {
    if (spec.required && !spec.hasDefault && !given.has(name)) {
      out.push(graphFinding(model, model.source.pos(usesNode), 'graph/missing-input', `${where}: ${target} requires input "${name}", which this call does not provide`));
    }
  }
  for (const [name, keyNode] of given) {
    if (!inputs.has(name)) {
      const known = [...inputs.keys()].join(', ') || '(none)';
      out.push(graphFinding(model, model.source.pos(keyNode), 'graph/unknown-input', `${where}: ${target} has no input "${name}" (declared: ${known})`));
    }
  }
}

function isReusableWorkflow(root: Node | undefined): boolean {
  return pair(child(root, 'on'), 'workflow_call') !== undefined;
}

/**
 * Checks every reference from `model` into the checked repository (rooted at `repoRoot`) and into
 * Trunkline (`<owner>/trunkline/…@ref`, see `lookupRoots`), so `--root` works on a caller too.
 * A `./action-x` inside a reusable (workflow_call) workflow is reported too: it would resolve in
 * the caller's checkout, not in Trunkline; `$/action-x` resolves to Trunkline at the called commit.
 */
export function checkGraph(model: FileModel, repoRoot: string): Finding[] {
  const out: Finding[] = [];
  const reusable = model.kind === 'workflow' && isReusableWorkflow(model.root);
  const at = (node: Node, rule: string, message: string): void => { out.push(graphFinding(model, model.source.pos(node), rule, message)); };
  /** Declared outputs of our own actions, by `<job id or ''>/<step id>`. */
  const stepOutputs = new Map<string, { target: string; outputs: Set<string> }>();
  for (const step of model.steps) {
    if (!step.uses || !step.usesNode) continue;
    const target = resolveOwnUses(step.uses);
    if (!target) continue;
    if (reusable && target.via === 'workspace') {
      at(step.usesNode, 'graph/workspace-in-reusable', `${step.where}: "${step.uses}" in a workflow_call workflow resolves in the caller's checkout; use "$/${target.path}"`);
    }
    const file = actionFile(lookupRoots(target, repoRoot), target.path);
    if (!file) {
      at(step.usesNode, 'graph/missing-action', `${step.where}: "${step.uses}" points at ${target.path}/action.yml, which does not exist`);
      continue;
    }
    const meta = loadYaml(file);
    checkWith(model, step.where, `${target.path}/action.yml`, step.usesNode, step.withNode, readInputs(meta, 'action'), out);
    const id = str(child(step.node, 'id'));
    if (id) stepOutputs.set(`${step.jobId ?? ''}/${id}`, { target: `${target.path}/action.yml`, outputs: readOutputs(meta) });
  }
  checkStepOutputs(model, stepOutputs, out);
  for (const job of model.jobs) {
    if (!job.uses || !job.usesNode) continue;
    const target = resolveOwnUses(job.uses);
    if (!target) continue;
    const file = workflowFile(lookupRoots(target, repoRoot), target.path);
    if (!file) {
      at(job.usesNode, 'graph/missing-workflow', `jobs.${job.id}: "${job.uses}" points at ${target.path}, which does not exist`);
      continue;
    }
    const root = loadYaml(file);
    if (!isReusableWorkflow(root)) {
      at(job.usesNode, 'graph/not-reusable', `jobs.${job.id}: ${target.path} has no on.workflow_call trigger`);
      continue;
    }
    checkWith(model, `jobs.${job.id}`, target.path, job.usesNode, job.withNode, readInputs(root, 'workflow'), out);
  }
  return out;
}

/**
 * Every `steps.<id>.outputs.<name>` inside a job (or a composite action) that names a step
 * running one of our actions must name an output that action declares: a typo would otherwise
 * expand to an empty string at run time, silently.
 */
function checkStepOutputs(model: FileModel, stepOutputs: Map<string, { target: string; outputs: Set<string> }>, out: Finding[]): void {
  const scopes: Array<{ jobId: string; node: Node | undefined }> = model.kind === 'workflow'
    ? model.jobs.map((j) => ({ jobId: j.id, node: j.node }))
    : [{ jobId: '', node: model.root }];
  const re = /steps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;
  for (const { jobId, node } of scopes) {
    if (!node?.range) continue;
    const text = model.source.text.slice(node.range[0], node.range[1]);
    for (const m of text.matchAll(re)) {
      const known = stepOutputs.get(`${jobId}/${m[1]}`);
      if (!known || known.outputs.has(m[2]!)) continue;
      out.push(graphFinding(model, model.source.at(node.range[0] + m.index), 'graph/unknown-output',
        `steps.${m[1]}.outputs.${m[2]}: ${known.target} has no output "${m[2]}" (declared: ${[...known.outputs].join(', ') || '(none)'})`));
    }
  }
}

/** YAML fenced code blocks of a Markdown text, with the 1-based line of their first content line. */
export function yamlBlocks(markdown: string): Array<{ text: string; firstLine: number }> {
  const blocks: Array<{ text: string; firstLine: number }> = [];
  const lines = markdown.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```ya?ml\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    blocks.push({ text: lines.slice(start, end).join('\n'), firstLine: start + 1 });
    i = end;
  }
  return blocks;
}

/**
 * Checks the YAML examples in a Markdown file: blocks with `jobs:` are read as workflows, blocks
 * that are a list of steps as one job's steps. Line numbers point into the Markdown file.
 */
export function checkMarkdownExamples(file: string, markdown: string, repoRoot: string): Finding[] {
  const out: Finding[] = [];
  for (const block of yamlBlocks(markdown)) {
    let text = block.text;
    let shift = block.firstLine - 1;
    if (/^\s*-\s/m.test(text) && !/^jobs:/m.test(text) && !/^on:/m.test(text)) {
      // A bare list of steps: wrap it in a job (4 lines added before, indentation kept).
      text = `jobs:\n  example:\n    steps:\n${text.split('\n').map((l) => `      ${l}`).join('\n')}`;
      shift -= 3;
    }
    const { source, errors } = parseYamlSource(file, text);
    if (errors.length > 0 || !child(source.doc.contents, 'jobs')) continue;
    for (const f of checkGraph(buildModel('workflow', source), repoRoot)) out.push({ ...f, line: f.line + shift });
  }
  return out;
}
