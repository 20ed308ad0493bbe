import { markdownTable } from '../report/render.ts';
import type { SummarySection } from '../report/render.ts';
import type { ImageTarget } from '../domain/bump-targets.ts';
import type { BumpPlan } from '../domain/bump-plan.ts';

/**
 * What a reviewer reads about a bump: the edits table, the changed lines as a diff, the default
 * pull-request body and the job-summary sections (`stageMarkdown` renders the header and notes).
 */

/** The changed lines of each file as a unified-style diff (`@@ -L +L @@`), CR shown as nothing. */
export function renderDiff(plan: BumpPlan): string {
  const out: string[] = [];
  for (const p of plan.changed) {
    const a = p.file.content.toString('utf8').split('\n');
    const b = p.after.toString('utf8').split('\n');
    out.push(`--- a/${p.file.path}`, `+++ b/${p.file.path}`);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] === b[i]) continue;
      out.push(`@@ -${i + 1} +${i + 1} @@`);
      if (a[i] !== undefined) out.push(`-${a[i]!.replace(/\r$/, '')}`);
      if (b[i] !== undefined) out.push(`+${b[i]!.replace(/\r$/, '')}`);
    }
  }
  return out.join('\n');
}

/** File, line, key, old and new value of every edit, as a markdown table. */
export function editsTable(plan: BumpPlan): string {
  const rows = plan.changed.flatMap((p) => p.result.edits.map((e) => [p.file.path, String(e.line), e.path, `\`${e.oldValue}\``, `\`${e.newValue}\``]));
  return markdownTable([['File', 'Line', 'Key', 'Old', 'New'], ...rows]);
}

/** The default pull-request body: what changed, the diff, and warnings. */
export function pullRequestBody(targets: readonly ImageTarget[], plan: BumpPlan): string {
  const images = targets.map((t) => `- \`${t.repository}\` → \`${t.tag}\`${t.digest ? ` (\`${t.digest}\`)` : ''}`).join('\n');
  const parts = ['This pull request was opened by Trunkline gitops-bump.', '', images, '', editsTable(plan), '', '```diff', renderDiff(plan), '```'];
  if (plan.warnings.length) parts.push('', ...plan.warnings.map((w) => `> ⚠️ ${w}`));
  parts.push('', '<!-- trunkline:gitops-bump -->');
  return parts.join('\n');
}

/** One sentence: which images went where (`where` names the commit/PR), or that nothing changed. */
export function headline(targets: readonly ImageTarget[], plan: BumpPlan, where = ''): string {
  const what = targets.map((t) => `**${t.repository}** → \`${t.tag}\``).join(', ');
  if (!plan.changed.length) return `${what}: already up to date in ${plan.examined.length} file(s); nothing to commit.`;
  return `${what} in ${plan.changed.length} file(s)${where}.`;
}

/** The bump's own job-summary sections: the headline, then the edits table and diff when something changed. */
export function bumpSections(line: string, plan?: BumpPlan): SummarySection[] {
  const sections: SummarySection[] = [{ body: line }];
  if (plan?.changed.length) sections.push({ heading: 'Edits', body: editsTable(plan) }, { heading: 'Diff', body: ['```diff', renderDiff(plan), '```'].join('\n') });
  return sections;
}
