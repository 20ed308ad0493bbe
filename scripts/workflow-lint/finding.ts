// What every check returns: one problem at one place, named by the rule that found it.
import { ruleLabel } from './rule-names.ts';

/** Which checker produced a finding. */
export type FindingTool = 'trunkline' | 'schema' | 'actionlint' | 'shellcheck' | 'graph' | 'yaml';

export interface Finding {
  /** Repository-relative path, e.g. `.github/workflows/ci.yml`. */
  file: string;
  /** 1-based line and column in `file`. */
  line: number;
  column: number;
  /** Rule id: a `P-xx` number (docs/workflow-rules.md, slug in rule-names.ts), `graph/…`, `schema/…`, or the tool's own code (SC2086, actionlint kind). */
  rule: string;
  message: string;
  tool: FindingTool;
}

/** A finding that a commented `# lint-allow <rule>: <reason>` on its line accepted. */
export interface AllowedFinding extends Finding {
  reason: string;
}

/**
 * `file:line:col: [tool rule slug] message`, e.g. `[trunkline P-01 template-injection]`: the form
 * editors and GitHub problem matchers understand, with the rule's meaning beside its number.
 */
export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}:${f.column}: [${f.tool} ${ruleLabel(f.rule)}] ${f.message}`;
}

/** Stable order: by file, then line, then column, then rule. */
export function sortFindings<T extends Finding>(list: T[]): T[] {
  return [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
}
