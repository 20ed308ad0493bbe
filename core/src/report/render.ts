import type { OutputValue, Outputs, StageResult, StageStatus } from './result.ts';

/**
 * Converts one output value to the string form a step output takes: lists become newline-joined
 * lines, records and arrays of records become JSON, booleans `true`/`false`.
 */
export function outputToString(value: OutputValue): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n');
  return JSON.stringify(value);
}

const ICON = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;

/** The job-summary icon of a stage status (✅ passed, ❌ failed, ⏭️ skipped). */
export function statusIcon(status: StageStatus): string {
  return ICON[status];
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** A markdown table of rows (first row is the header); cells are escaped for `|` and newlines. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows;
  if (!head) return '';
  const line = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}

/** One block of a stage's job summary below the common header: a heading and markdown. */
export interface SummarySection {
  heading?: string;
  /** Markdown (a table, a list, a fenced diff); empty sections are left out. */
  body: string;
  /** Render inside a collapsed `<details>` with the heading as its summary. */
  collapsed?: boolean;
}

/**
 * The one job-summary renderer every stage uses: the common header (icon, stage, status, time),
 * the error, the notes, then the stage's own `sections` in order. Returns GitHub-flavoured markdown.
 */
export function stageMarkdown(result: Pick<StageResult, 'name' | 'status' | 'durationMs' | 'error' | 'notes'>, sections: readonly SummarySection[] = []): string {
  const parts = [`### ${ICON[result.status]} ${result.name}: ${result.status} (${result.durationMs} ms)`];
  if (result.error) parts.push(`**Error:** ${result.error}`);
  for (const note of result.notes) parts.push(`- ${note}`);
  for (const section of sections) {
    if (!section.body.trim()) continue;
    if (section.collapsed) parts.push(`<details><summary>${section.heading ?? 'Details'}</summary>\n\n${section.body}\n\n</details>`);
    else parts.push(section.heading ? `#### ${section.heading}\n\n${section.body}` : section.body);
  }
  return parts.join('\n\n');
}

/**
 * The default job-summary section for a stage that wrote none of its own: status, notes, findings
 * (capped at `maxFindings` with an "and N more" line) and outputs.
 */
export function defaultStageMarkdown(result: StageResult, maxFindings = 20): string {
  const parts = [stageMarkdown(result)];
  if (result.findings.length) {
    const rows = result.findings.slice(0, maxFindings).map((f) => [f.severity ?? '', f.id, f.message, f.location ?? '']);
    parts.push(markdownTable([['Severity', 'ID', 'Message', 'Location'], ...rows]));
    if (result.findings.length > maxFindings) parts.push(`…and ${result.findings.length - maxFindings} more`);
  }
  const outputs = Object.entries(result.outputs as Outputs).filter(([, v]) => v !== undefined && v !== '');
  if (outputs.length) {
    parts.push('<details><summary>Outputs</summary>\n');
    parts.push(markdownTable([['Output', 'Value'], ...outputs.map(([k, v]) => [k, `\`${outputToString(v)}\``])]));
    parts.push('\n</details>');
  }
  return parts.join('\n\n');
}

/** A plain-text table of stages for terminals: name, status, duration, first note or error. */
export function textTable(results: readonly StageResult[]): string {
  const rows = results.map((r) => [r.name, r.status.toUpperCase(), `${(r.durationMs / 1000).toFixed(1)}s`, r.error ?? r.notes[0] ?? '']);
  const header = ['STAGE', 'STATUS', 'TIME', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').split('\n')[0]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c.split('\n')[0]! : c.padEnd(widths[i]!))).join('  ');
  return [fmt(header), ...rows.map(fmt)].join('\n');
}
