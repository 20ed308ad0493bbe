// P-14: Dependabot watches both ecosystems this repository depends on (npm and the pinned
// github-actions), waits a cooldown before proposing fresh releases (a hijacked release is usually
// caught within days), and never runs external code at update time.
import type { Finding } from './finding.ts';
import type { Position, YamlSource } from './yaml-source.ts';
import { child, items, pair, str } from './yaml-source.ts';

/** Ecosystems that must each have an `updates:` entry. */
export const REQUIRED_ECOSYSTEMS = ['npm', 'github-actions'] as const;
/** Minimum `cooldown.default-days` (zizmor's dependabot-cooldown recommends at least 7). */
export const MIN_COOLDOWN_DAYS = 7;

/** Checks a parsed `.github/dependabot.yml`. */
export function checkDependabot(source: YamlSource): Finding[] {
  const out: Finding[] = [];
  const add = ({ line, column }: Position, message: string): void => {
    out.push({ file: source.file, line, column, rule: 'P-14', message, tool: 'trunkline' });
  };
  const seen = new Set<string>();
  for (const update of items(child(source.doc.contents, 'updates'))) {
    const eco = str(child(update, 'package-ecosystem')) ?? '';
    seen.add(eco);
    const days = Number(str(child(child(update, 'cooldown'), 'default-days')) ?? '0');
    if (!(days >= MIN_COOLDOWN_DAYS)) add(source.pos(update), `updates "${eco}": set cooldown.default-days >= ${MIN_COOLDOWN_DAYS} (fresh releases are where hijacks land)`);
    const bad = pair(update, 'insecure-external-code-execution');
    if (bad && str(bad.value) === 'allow') add(source.pos(bad.key), 'insecure-external-code-execution: allow runs dependency code during updates');
  }
  for (const eco of REQUIRED_ECOSYSTEMS) {
    if (!seen.has(eco)) add({ line: 1, column: 1 }, `no updates entry for package-ecosystem "${eco}"`);
  }
  return out;
}
