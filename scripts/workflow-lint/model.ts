// A small typed view of a workflow or an action.yml: the jobs and steps the rules look at, each
// still holding its YAML node so findings keep their line numbers.
import type { Node } from 'yaml';
import type { YamlSource } from './yaml-source.ts';
import { child, entries, items, str } from './yaml-source.ts';

export type FileKind = 'workflow' | 'action';

export interface StepView {
  /** Human path, e.g. `jobs.verify.steps[3]` or `runs.steps[0]`. */
  where: string;
  node: Node;
  jobId?: string;
  /** True for a step of a composite action (where `shell:` is mandatory). */
  composite: boolean;
  uses?: string;
  usesNode?: Node;
  run?: string;
  runNode?: Node;
  shell?: string;
  withNode?: Node;
  envNode?: Node;
}

export interface JobView {
  id: string;
  node: Node;
  /** `jobs.<id>.uses`: a reusable-workflow call instead of steps. */
  uses?: string;
  usesNode?: Node;
  withNode?: Node;
  steps: StepView[];
}

export interface FileModel {
  kind: FileKind;
  source: YamlSource;
  root: Node | undefined;
  jobs: JobView[];
  /** Every step: workflow job steps and composite action steps. */
  steps: StepView[];
  /** For actions: `runs.using` (`node24`, `composite`, `docker`). */
  using?: string;
}

function stepView(node: Node, where: string, composite: boolean, jobId?: string): StepView {
  const usesNode = child(node, 'uses');
  const runNode = child(node, 'run');
  const view: StepView = { where, node, composite, jobId };
  if (usesNode) { view.usesNode = usesNode; view.uses = str(usesNode); }
  if (runNode) { view.runNode = runNode; view.run = str(runNode); }
  const shell = str(child(node, 'shell'));
  if (shell !== undefined) view.shell = shell;
  const withNode = child(node, 'with');
  if (withNode) view.withNode = withNode;
  const envNode = child(node, 'env');
  if (envNode) view.envNode = envNode;
  return view;
}

/** Builds the view of a parsed workflow (`kind: 'workflow'`) or action metadata file (`'action'`). */
export function buildModel(kind: FileKind, source: YamlSource): FileModel {
  const root = (source.doc.contents ?? undefined) as Node | undefined;
  const model: FileModel = { kind, source, root, jobs: [], steps: [] };
  if (kind === 'workflow') {
    for (const [id, jobNode] of entries(child(root, 'jobs'))) {
      if (!jobNode) continue;
      const job: JobView = { id, node: jobNode, steps: [] };
      const usesNode = child(jobNode, 'uses');
      if (usesNode) { job.usesNode = usesNode; job.uses = str(usesNode); }
      const withNode = child(jobNode, 'with');
      if (withNode) job.withNode = withNode;
      items(child(jobNode, 'steps')).forEach((s, i) => job.steps.push(stepView(s, `jobs.${id}.steps[${i}]`, false, id)));
      model.jobs.push(job);
      model.steps.push(...job.steps);
    }
  } else {
    const runs = child(root, 'runs');
    const using = str(child(runs, 'using'));
    if (using !== undefined) model.using = using;
    items(child(runs, 'steps')).forEach((s, i) => model.steps.push(stepView(s, `runs.steps[${i}]`, using === 'composite')));
  }
  return model;
}
