// The mechanically checkable security rules (P-xx, defined with their slugs in
// docs/workflow-rules.md), applied to one workflow or action.yml. Each rule is a pure function of the parsed file: no I/O, no tools.
import { isMap, isScalar } from 'yaml';
import type { Node } from 'yaml';
import type { AllowedFinding, Finding } from './finding.ts';
import type { FileModel, JobView, StepView } from './model.ts';
import { namesRule } from './rule-names.ts';
import type { Position, YamlSource } from './yaml-source.ts';
import { child, entries, items, pair, str, trailingComment } from './yaml-source.ts';

export interface RuleInfo {
  id: string;
  title: string;
  /** True when a `# lint-allow <id>: <reason>` comment on the finding's line may accept it. */
  allowable: boolean;
}

/** Every rule this module enforces, for `--list-rules` and the docs. */
export const RULES: readonly RuleInfo[] = [
  { id: 'P-01', title: 'no `${{` inside any `run:` (values reach scripts through `env:`)', allowable: false },
  { id: 'P-03', title: 'every composite `run:` step declares `shell: bash` (or sh)', allowable: false },
  { id: 'P-04', title: 'no `${{` inside `actions/github-script` `script:`', allowable: false },
  { id: 'P-07', title: 'composite steps do not write $GITHUB_ENV / $GITHUB_PATH', allowable: false },
  { id: 'P-08', title: 'no ACTIONS_ALLOW_UNSECURE_COMMANDS, no ::set-env/::add-path/::set-output', allowable: false },
  { id: 'P-09', title: 'every non-local `uses:` is pinned to a 40-hex commit SHA with a `# vX.Y.Z` comment', allowable: false },
  { id: 'P-11', title: 'docker:// actions, container and service images are pinned by @sha256 digest', allowable: false },
  { id: 'P-15', title: 'top-level `permissions:` present and empty or read-only', allowable: false },
  { id: 'P-16', title: 'no `write-all`; actions/checks/statuses write only with a commented allow', allowable: true },
  { id: 'P-18', title: 'no `pull_request_target` / `workflow_run` triggers', allowable: false },
  { id: 'P-23', title: 'no `secrets: inherit`, `toJSON(secrets)` or `fromJSON(secrets.X)`', allowable: false },
  { id: 'P-26', title: 'App tokens are narrowed (repositories + permission-*) and revoked', allowable: false },
  { id: 'P-29', title: 'no long-lived AWS keys (OIDC role assumption only)', allowable: false },
  { id: 'P-32', title: '`actions/checkout` sets `persist-credentials: false` unless a push needs it (commented allow)', allowable: true },
  { id: 'P-36', title: 'jobs holding write credentials restore no caches', allowable: false },
  { id: 'timeout', title: 'every job with steps sets `timeout-minutes` (a hung step must not hold a runner for 6 hours)', allowable: false },
];

const SHA40 = /^[0-9a-f]{40}$/;
const DIGEST = /@sha256:[0-9a-f]{64}$/;
const VERSION_COMMENT = /^v?\d+(\.\d+){0,3}([-+][\w.]+)?\b/;
const ALLOW_COMMENT = /lint-allow\s+([\w-]+)\s*:\s*(\S.*)$/;

/** `uses:` values that resolve inside this repository at the running commit (never pinned). */
export function isLocalUses(uses: string): boolean {
  return uses.startsWith('./') || uses.startsWith('$/');
}

function finding(source: YamlSource, p: Position, rule: string, message: string): Finding {
  return { file: source.file, line: p.line, column: p.column, rule, message, tool: 'trunkline' };
}

/** Position of the first `needle` inside a node's source text (falls back to the node start). */
function posInNode(source: YamlSource, node: Node, needle: string | RegExp): Position {
  if (!node.range) return source.pos(node);
  const slice = source.text.slice(node.range[0], node.range[1]);
  const idx = typeof needle === 'string' ? slice.indexOf(needle) : slice.search(needle);
  return idx >= 0 ? source.at(node.range[0] + idx) : source.pos(node);
}

function actionName(uses: string): string {
  return uses.split('@')[0]!.toLowerCase();
}

function checkRunExpression(m: FileModel, step: StepView, out: Finding[]): void {
  if (step.run === undefined || !step.runNode || !step.run.includes('${{')) return;
  out.push(finding(m.source, posInNode(m.source, step.runNode, '${{'), 'P-01',
    `${step.where}: \`\${{ }}\` inside run: is expanded into the script before the shell sees it (script injection); pass the value through env: and read it as "$NAME"`));
}

function checkCompositeShell(m: FileModel, step: StepView, out: Finding[]): void {
  if (!step.composite || step.run === undefined) return;
  if (step.shell === undefined) {
    out.push(finding(m.source, m.source.pos(step.node), 'P-03', `${step.where}: composite run: step has no shell: (declare \`shell: bash\`)`));
  } else if (!['bash', 'sh'].includes(step.shell)) {
    out.push(finding(m.source, m.source.pos(child(step.node, 'shell')), 'P-03', `${step.where}: shell "${step.shell}" is not allowed in composite steps (use bash)`));
  }
}

function checkScriptExpression(m: FileModel, step: StepView, out: Finding[]): void {
  if (!step.uses || actionName(step.uses) !== 'actions/github-script') return;
  const script = child(step.withNode, 'script');
  const text = str(script);
  if (script && text?.includes('${{')) {
    out.push(finding(m.source, posInNode(m.source, script, '${{'), 'P-04', `${step.where}: \`\${{ }}\` inside github-script script: is code injection; pass values through env: and read process.env`));
  }
}

function checkGithubEnv(m: FileModel, step: StepView, out: Finding[]): void {
  if (!step.composite || step.run === undefined || !step.runNode) return;
  const re = /\$\{?GITHUB_(ENV|PATH)\b/;
  if (re.test(step.run)) {
    out.push(finding(m.source, posInNode(m.source, step.runNode, re), 'P-07', `${step.where}: a composite step must not write $GITHUB_ENV/$GITHUB_PATH (a newline in a value injects variables such as NODE_OPTIONS into later steps)`));
  }
}

/** Matches of a global `re` anywhere in the file text, with their position, skipping comment lines. */
function* uncommentedMatches(source: YamlSource, re: RegExp): Generator<{ text: string; p: Position }> {
  for (const match of source.text.matchAll(re)) {
    const p = source.at(match.index);
    if (!/^\s*#/.test(source.lines[p.line - 1] ?? '')) yield { text: match[0], p };
  }
}

function checkInsecureCommands(m: FileModel, out: Finding[]): void {
  for (const { text, p } of uncommentedMatches(m.source, /ACTIONS_ALLOW_UNSECURE_COMMANDS|::(set-env|add-path|set-output)\b/g)) {
    out.push(finding(m.source, p, 'P-08', `"${text}" re-enables deprecated, injectable workflow commands; write outputs to $GITHUB_OUTPUT (or core.setOutput)`));
  }
}

/** P-09/P-10/P-11 for one `uses:` value (step or reusable-workflow call). */
function checkUses(m: FileModel, where: string, uses: string, node: Node, out: Finding[]): void {
  if (isLocalUses(uses)) return;
  const p = m.source.pos(node);
  if (uses.startsWith('docker://')) {
    if (!DIGEST.test(uses)) out.push(finding(m.source, p, 'P-11', `${where}: "${uses}" must be pinned by digest (docker://image@sha256:<64 hex>)`));
    return;
  }
  const at = uses.lastIndexOf('@');
  const ref = at >= 0 ? uses.slice(at + 1) : '';
  if (!SHA40.test(ref)) {
    out.push(finding(m.source, p, 'P-09', `${where}: "${uses}" is not pinned to a full 40-hex commit SHA (tags and branches are mutable: see the tj-actions and trivy-action tag hijacks)`));
    return;
  }
  const comment = trailingComment(m.source, p.line);
  if (!comment || !VERSION_COMMENT.test(comment)) {
    out.push(finding(m.source, p, 'P-09', `${where}: SHA-pinned "${actionName(uses)}" needs a trailing version comment such as "# v4.2.2" so reviewers and Dependabot can read it`));
  }
}

function checkImages(m: FileModel, job: JobView, out: Finding[]): void {
  const check = (node: Node | undefined, what: string): void => {
    const image = str(node);
    if (!node || image === undefined) return;
    if (image.includes('${{') || !DIGEST.test(image)) {
      out.push(finding(m.source, m.source.pos(node), 'P-11', `jobs.${job.id}.${what}: image "${image}" must be pinned by digest (name:tag@sha256:<64 hex>)`));
    }
  };
  const container = child(job.node, 'container');
  check(isMap(container) ? child(container, 'image') : container, 'container');
  for (const [name, svc] of entries(child(job.node, 'services'))) check(child(svc, 'image'), `services.${name}`);
}

function isReadOnlyPermissions(node: Node | null | undefined): { ok: boolean; bad?: Node } {
  if (!node) return { ok: true };
  if (isScalar(node)) {
    const v = str(node);
    return v === undefined || v === 'read-all' ? { ok: true } : { ok: false, bad: node };
  }
  for (const [, value] of entries(node)) {
    const v = str(value);
    if (v !== 'read' && v !== 'none') return { ok: false, bad: value ?? node };
  }
  return { ok: true };
}

function checkTopPermissions(m: FileModel, out: Finding[]): void {
  const p = pair(m.root, 'permissions');
  if (!p) {
    out.push(finding(m.source, { line: 1, column: 1 }, 'P-15', 'workflow has no top-level permissions: (add `permissions: {}` or `contents: read`; grant writes per job)'));
    return;
  }
  const { ok, bad } = isReadOnlyPermissions(p.value);
  if (!ok) out.push(finding(m.source, m.source.pos(bad ?? p.key), 'P-15', 'top-level permissions: must be {} or read-only; declare write scopes on the job that needs them'));
}

function checkJobPermissions(m: FileModel, job: JobView, out: Finding[]): void {
  const perms = child(job.node, 'permissions');
  if (!perms) return;
  if (str(perms) === 'write-all') {
    out.push(finding(m.source, m.source.pos(perms), 'P-16', `jobs.${job.id}: permissions: write-all grants every scope; list the scopes the job needs`));
    return;
  }
  for (const [scope, value] of entries(perms)) {
    if (['actions', 'checks', 'statuses'].includes(scope) && str(value) === 'write') {
      out.push(finding(m.source, m.source.pos(value), 'P-16', `jobs.${job.id}: ${scope}: write is rarely needed; justify it with "# lint-allow P-16: <reason>"`));
    }
  }
}

function checkTriggers(m: FileModel, out: Finding[]): void {
  const on = child(m.root, 'on');
  const bad = ['pull_request_target', 'workflow_run'];
  const report = (name: string, node: Node): void => {
    if (bad.includes(name)) out.push(finding(m.source, m.source.pos(node), 'P-18', `trigger "${name}" runs with the base repository's token and secrets on fork-controlled input; use pull_request`));
  };
  if (!on) return;
  if (isScalar(on)) report(str(on) ?? '', on);
  for (const item of items(on)) report(str(item) ?? '', item);
  for (const [name, , p] of entries(on)) report(name, p.key);
}

function checkSecrets(m: FileModel, out: Finding[]): void {
  for (const job of m.jobs) {
    const s = child(job.node, 'secrets');
    if (str(s) === 'inherit') out.push(finding(m.source, m.source.pos(s), 'P-23', `jobs.${job.id}: secrets: inherit hands every secret to the called workflow; pass the ones it needs by name`));
  }
  const re = /toJSON\(\s*secrets\s*\)|fromJSON\(\s*secrets\./gi;
  for (const match of m.source.text.matchAll(re)) {
    out.push(finding(m.source, m.source.at(match.index), 'P-23', `"${match[0]}" exposes secrets the runner cannot mask; keep each secret a plain value and reference it by name`));
  }
}

function checkAppToken(m: FileModel, step: StepView, out: Finding[]): void {
  if (!step.uses || actionName(step.uses) !== 'actions/create-github-app-token') return;
  const w = step.withNode;
  const p = m.source.pos(step.usesNode);
  if (str(child(w, 'skip-token-revoke')) === 'true') out.push(finding(m.source, m.source.pos(child(w, 'skip-token-revoke')), 'P-26', `${step.where}: skip-token-revoke: true leaves a live token after the job`));
  if (child(w, 'owner') && !child(w, 'repositories')) out.push(finding(m.source, m.source.pos(child(w, 'owner')), 'P-26', `${step.where}: owner: without repositories: mints a token for every repository of the installation`));
  if (!entries(w).some(([k]) => k.startsWith('permission-'))) out.push(finding(m.source, p, 'P-26', `${step.where}: narrow the App token with permission-* inputs (e.g. permission-contents: write, permission-pull-requests: write)`));
}

function checkAwsKeys(m: FileModel, out: Finding[]): void {
  for (const { text, p } of uncommentedMatches(m.source, /aws-(access-key-id|secret-access-key)\s*:|secrets\.AWS_(SECRET_ACCESS_KEY|ACCESS_KEY_ID)\b/gi)) {
    out.push(finding(m.source, p, 'P-29', `"${text.replace(/\s*:$/, '')}": AWS access must come from an OIDC role (id-token: write + role-to-assume), never long-lived keys`));
  }
}

function allowReason(source: YamlSource, line: number, rule: string): string | undefined {
  const m = ALLOW_COMMENT.exec(trailingComment(source, line) ?? '');
  return m && namesRule(m[1]!, rule) ? m[2]!.trim() : undefined;
}

function checkCheckout(m: FileModel, step: StepView, out: Finding[]): void {
  if (!step.uses || actionName(step.uses) !== 'actions/checkout') return;
  const pc = child(step.withNode, 'persist-credentials');
  const value = str(pc);
  if (value === 'false') return;
  const p = pc ? m.source.pos(pc) : m.source.pos(step.usesNode);
  const msg = pc
    ? `${step.where}: persist-credentials: ${value} keeps the token on disk for every later step; set false, or justify a push with "# lint-allow P-32: <reason>"`
    : `${step.where}: actions/checkout without persist-credentials: false keeps the token on disk for every later step`;
  out.push(finding(m.source, p, 'P-32', msg));
}

function holdsWriteCredentials(job: JobView): boolean {
  const perms = child(job.node, 'permissions');
  if (str(perms) === 'write-all') return true;
  return entries(perms).some(([scope, v]) => str(v) === 'write' && ['id-token', 'contents', 'packages', 'pull-requests'].includes(scope));
}

function checkCache(m: FileModel, job: JobView, out: Finding[]): void {
  if (!holdsWriteCredentials(job)) return;
  for (const step of job.steps) {
    if (!step.uses) continue;
    const name = actionName(step.uses);
    const restoresCache = name === 'actions/cache' || name === 'actions/cache/restore'
      || (name === 'actions/setup-node' && (str(child(step.withNode, 'cache')) ?? '') !== '');
    if (restoresCache) out.push(finding(m.source, m.source.pos(step.usesNode), 'P-36', `${step.where}: job ${job.id} holds write credentials and must not restore a cache (cache poisoning)`));
  }
}

function checkTimeout(m: FileModel, job: JobView, out: Finding[]): void {
  if (job.uses || job.steps.length === 0) return;
  if (!child(job.node, 'timeout-minutes')) {
    out.push(finding(m.source, m.source.pos(pair(child(m.root, 'jobs'), job.id)?.key ?? job.node), 'timeout', `jobs.${job.id}: set timeout-minutes (the default is 360 minutes of a hung job)`));
  }
}

/**
 * Applies every rule to one file. Returns the findings and, separately, the findings that an
 * allowable rule's `# lint-allow <rule>: <reason>` comment accepted (so the CLI can list them).
 */
export function checkRules(m: FileModel): { findings: Finding[]; allowed: AllowedFinding[] } {
  const out: Finding[] = [];
  for (const step of m.steps) {
    checkRunExpression(m, step, out);
    checkCompositeShell(m, step, out);
    checkScriptExpression(m, step, out);
    checkGithubEnv(m, step, out);
    if (step.uses && step.usesNode) checkUses(m, step.where, step.uses, step.usesNode, out);
    checkAppToken(m, step, out);
    checkCheckout(m, step, out);
  }
  checkInsecureCommands(m, out);
  checkAwsKeys(m, out);
  if (m.kind === 'workflow') {
    checkTopPermissions(m, out);
    checkTriggers(m, out);
    checkSecrets(m, out);
    for (const job of m.jobs) {
      if (job.uses && job.usesNode) checkUses(m, `jobs.${job.id}`, job.uses, job.usesNode, out);
      checkImages(m, job, out);
      checkJobPermissions(m, job, out);
      checkCache(m, job, out);
      checkTimeout(m, job, out);
    }
  } else {
    const image = str(child(child(m.root, 'runs'), 'image'));
    if (m.using === 'docker' && image?.startsWith('docker://')) checkUses(m, 'runs.image', image, child(child(m.root, 'runs'), 'image')!, out);
  }
  const allowable = new Set(RULES.filter((r) => r.allowable).map((r) => r.id));
  const findings: Finding[] = [];
  const allowed: AllowedFinding[] = [];
  for (const f of out) {
    const reason = allowable.has(f.rule) ? allowReason(m.source, f.line, f.rule) : undefined;
    if (reason) allowed.push({ ...f, reason });
    else findings.push(f);
  }
  return { findings, allowed };
}
