// The workflow checker's rules named by meaning. Each P-number keeps its meaning slug, the way
// zizmor and actionlint name their checks, so a reader of `[trunkline P-01 template-injection]`
// knows what broke without a lookup. docs/workflow-rules.md defines every id and slug.

/** Slug of each numbered rule the checker reports (rules.ts, dependabot.ts, the schema's P-41). */
export const RULE_SLUGS: Readonly<Record<string, string>> = {
  'P-01': 'template-injection',
  'P-03': 'composite-shell',
  'P-04': 'github-script-injection',
  'P-07': 'github-env-write',
  'P-08': 'insecure-commands',
  'P-09': 'unpinned-action',
  'P-11': 'unpinned-image',
  'P-14': 'dependabot-coverage',
  'P-15': 'default-permissions',
  'P-16': 'excessive-permissions',
  'P-18': 'dangerous-triggers',
  'P-23': 'overprovisioned-secrets',
  'P-26': 'app-token-scope',
  'P-29': 'long-lived-aws-keys',
  'P-32': 'persisted-credentials',
  'P-36': 'cache-poisoning',
  'P-41': 'node24-runtime',
};

/**
 * `P-01` → `P-01 template-injection`; ids that are already a meaning (`timeout`,
 * `graph/missing-input`, `schema/required`, SC2086, actionlint kinds) are returned unchanged.
 */
export function ruleLabel(id: string): string {
  const slug = RULE_SLUGS[id];
  return slug ? `${id} ${slug}` : id;
}

/** True when `name` (from a `# lint-allow <name>: …` comment) names rule `id` by number or slug. */
export function namesRule(name: string, id: string): boolean {
  return name === id || RULE_SLUGS[id] === name;
}
