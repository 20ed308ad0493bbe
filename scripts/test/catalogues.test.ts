// The repository defines every identifier it prints and cites nothing outside itself: each
// verify-metrics error code and each `docs/errors.md` id cited in code has a row in
// docs/errors.md, and no source, test, benchmark, workflow or doc points at the folder beside the
// clone, its environment variable or a research note's section numbers (issue 13, items 1 and 2).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/test/support/paths.ts';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'fixtures']);
const TEXT = /\.(ts|mts|mjs|js|json|ya?ml|md|sh)$|^(Makefile|Dockerfile)$/;

/** Repository text files (no dependencies, bundles or recorded upstream fixtures). */
function textFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : textFiles(join(dir, e.name));
    return TEXT.test(e.name) && e.name !== 'package-lock.json' ? [join(dir, e.name)] : [];
  });
}

const self = relative(repoRoot, import.meta.filename);
const files = textFiles(repoRoot).map((f) => ({ path: relative(repoRoot, f), text: readFileSync(f, 'utf8') })).filter((f) => f.path !== self);
const codeFiles = files.filter((f) => /^(core\/src|action-[^/]+\/src|scripts)\//.test(f.path));
const errorsDoc = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');

describe('catalogues in the repository', () => {
  it('defines in docs/errors.md every verify-metrics error code the stage throws', () => {
    const codes = new Set(codeFiles.flatMap((f) => [...f.text.matchAll(/MetricsCheckError\('(E\d\d)'/g)].map((m) => m[1]!)));
    expect(codes.size).toBeGreaterThan(10);
    for (const code of [...codes, 'E15']) expect(errorsDoc, `docs/errors.md lacks ${code}`).toMatch(new RegExp(`^\\| \`${code}\` \`[a-z0-9-]+\` \\|`, 'm'));
  });

  it('defines in docs/errors.md every id that a comment cites from it', () => {
    const cited = codeFiles.flatMap((f) => [...f.text.matchAll(/docs\/errors\.md[^`\n]{0,40}`([a-z0-9-]+)`/g)].map((m) => ({ id: m[1]!, path: f.path })));
    expect(cited.length).toBeGreaterThan(0);
    for (const { id, path } of cited) expect(errorsDoc, `${path} cites ${id}`).toMatch(new RegExp(`^\\| \`${id}\` `, 'm'));
  });

  it('defines in docs/workflow-rules.md every P-number the code or the docs cite', () => {
    const rulesDoc = readFileSync(join(repoRoot, 'docs', 'workflow-rules.md'), 'utf8');
    const cited = new Set(files.filter((f) => /^(core\/src|action-[^/]+\/src|scripts|docs|\.github)\//.test(f.path) || f.path === 'README.md')
      .flatMap((f) => [...f.text.matchAll(/\bP-(\d\d)\b/g)].map((m) => `P-${m[1]}`)));
    expect(cited.size).toBeGreaterThan(15);
    for (const id of cited) expect(rulesDoc, `docs/workflow-rules.md lacks ${id}`).toMatch(new RegExp(`^\\| ${id} \\| \`[a-z0-9-]+\` \\|`, 'm'));
  });

  it('cites no document outside the repository (public specs such as semver, YAML 1.2 or an RFC by section are fine)', () => {
    const outside = /\.\.\/shared|TRUNKLINE_SHAR[E]D|shared\/research|research note|service-metrics\.md|trivy-sign-ecr\.md|peers\.md|local-infra\.md|(?<!(?:semver|YAML 1\.2|RFC \d+) )§\d/;
    const hits = files.flatMap((f) => f.text.split('\n').flatMap((line, i) => (outside.test(line) ? [`${f.path}:${i + 1}: ${line.trim()}`] : [])));
    expect(hits).toEqual([]);
  });
});
