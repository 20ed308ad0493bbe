import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runLint } from '@trunkline/core/stages/lint';
import type { Logger } from '@trunkline/core/report/logger';
import { repoRoot } from '../../core/test/support/paths.ts';
import { runBundledAction } from '../../core/test/support/runner.ts';

// The problem matchers are checked against REAL ESLint (stylish) and tsc output of a file with
// known faults, using the runner's matching rules: patterns in order on consecutive lines, the
// last one repeating while `loop` is set.

interface Pattern { regexp: string; file?: number; line?: number; column?: number; severity?: number; message?: number; code?: number; loop?: boolean }
interface Annotation { file?: string; line?: string; column?: string; severity?: string; message?: string; code?: string }

function loadMatcher(name: string): Pattern[] {
  const json = JSON.parse(readFileSync(join(repoRoot, 'action-build', 'matchers', name), 'utf8')) as { problemMatcher: Array<{ pattern: Pattern[] }> };
  return json.problemMatcher[0]!.pattern;
}

function capture(p: Pattern, m: RegExpExecArray, into: Annotation): void {
  for (const key of ['file', 'line', 'column', 'severity', 'message', 'code'] as const) {
    const group = p[key];
    if (group !== undefined && m[group] !== undefined) into[key] = m[group];
  }
}

/** Applies a matcher to log lines the way the runner does (single- and multi-line with loop). */
function applyMatcher(patterns: Pattern[], lines: string[]): Annotation[] {
  const found: Annotation[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = new RegExp(patterns[0]!.regexp).exec(lines[i]!);
    if (!first) continue;
    const base: Annotation = {};
    capture(patterns[0]!, first, base);
    if (patterns.length === 1) { found.push(base); continue; }
    let j = i + 1;
    let pi = 1;
    const current: Annotation = { ...base };
    while (j < lines.length && pi < patterns.length) {
      const p = patterns[pi]!;
      const m = new RegExp(p.regexp).exec(lines[j]!);
      if (!m) break;
      capture(p, m, current);
      j++;
      if (pi === patterns.length - 1) {
        found.push({ ...current });
        if (!p.loop) break;
      } else pi++;
    }
    if (j > i + 1) i = j - 1;
  }
  return found;
}

function lineLogger(lines: string[]): Logger {
  return {
    info: (m) => lines.push(m), debug: () => {}, warning: (m) => lines.push(m), error: (m) => lines.push(m),
    group: async (_t, fn) => fn(), secret: () => {},
  };
}

const resolveFromRoot = createRequire(join(repoRoot, 'package.json')).resolve;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trunkline-lint-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'bad.ts'), 'const unused: number = "x";\nexport function f(a: any) { return a }\n');
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(dir, 'eslint.config.js'), [
    `import js from ${JSON.stringify(pathToFileURL(resolveFromRoot('@eslint/js')).href)};`,
    `import tseslint from ${JSON.stringify(pathToFileURL(resolveFromRoot('typescript-eslint')).href)};`,
    'export default tseslint.config(js.configs.recommended, ...tseslint.configs.recommended);',
  ].join('\n'));
  writeFileSync(join(dir, 'tsconfig.json'), '{"compilerOptions":{"strict":true,"noEmit":true,"module":"NodeNext","target":"ES2022"},"include":["src"]}\n');
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const eslintBin = join(repoRoot, 'node_modules', '.bin', 'eslint');
const tscBin = join(repoRoot, 'node_modules', '.bin', 'tsc');

describe('problem matchers over real lint output', () => {
  it('ESLint stylish → one annotation per problem with file, line, column, severity and rule', async () => {
    const lines: string[] = [];
    const r = await runLint({ command: [eslintBin, 'src'], cwd: dir }, lineLogger(lines));
    expect(r.status).toBe('failed');
    expect(r.outputs['exit-code']).toBe(1);
    const annotations = applyMatcher(loadMatcher('eslint-stylish.json'), lines);
    expect(annotations).toEqual([
      { file: join(dir, 'src', 'bad.ts'), line: '1', column: '7', severity: 'error', message: "'unused' is assigned a value but never used", code: '@typescript-eslint/no-unused-vars' },
      { file: join(dir, 'src', 'bad.ts'), line: '2', column: '22', severity: 'error', message: 'Unexpected any. Specify a different type', code: '@typescript-eslint/no-explicit-any' },
    ]);
  });

  it('tsc → an annotation whose path is absolute even though tsc printed it relative to its cwd', async () => {
    const lines: string[] = [];
    const r = await runLint({ command: [tscBin, '-p', 'tsconfig.json'], cwd: dir }, lineLogger(lines));
    expect(r.status).toBe('failed');
    expect(applyMatcher(loadMatcher('tsc.json'), lines)).toEqual([
      { file: join(dir, 'src', 'bad.ts'), line: '1', column: '7', severity: 'error', code: 'TS2322', message: "Type 'string' is not assignable to type 'number'." },
    ]);
    // Neither matcher fires on the other tool's output.
    expect(applyMatcher(loadMatcher('eslint-stylish.json'), lines)).toEqual([]);
  });

  it('a clean lint passes', async () => {
    writeFileSync(join(dir, 'src', 'good.ts'), 'export const ok = 1;\n');
    const r = await runLint({ command: [eslintBin, 'src/good.ts'], cwd: dir }, lineLogger([]));
    expect(r.status).toBe('passed');
  });

  it('the bundled action registers both matchers around lint-command and fails before building', async () => {
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    const r = await runBundledAction('action-build', { image: 'trunkline-test/lint-only', context: dir, 'lint-command': JSON.stringify([eslintBin, 'src']) }, {
      // No payload (so no default branch is known) and no git checkout: the tag outputs still come.
      env: { GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: 'a'.repeat(40), TRUNKLINE_DOCKER: process.env.TRUNKLINE_DOCKER ?? 'docker' },
      cwd: dir,
    });
    expect(r.code).toBe(1);
    const added = [...r.stdout.matchAll(/^::add-matcher::(.+)$/gm)].map((m) => m[1]!);
    expect(added.map((p) => p.split('/').pop())).toEqual(['eslint-stylish.json', 'tsc.json']);
    for (const p of added) expect(existsSync(p)).toBe(true);
    expect(r.stdout).toMatch(/^::remove-matcher owner=trunkline-eslint-stylish::$/m);
    expect(r.stdout).toMatch(/^\s+1:7\s+error\s+'unused' is assigned a value but never used/m);
    expect(r.stdout).toMatch(/::error::lint command .* exited with code 1/);
    expect(r.outputs.tags).toBe('sha-aaaaaaa\nmain');
    expect(r.outputs['image-id']).toBeUndefined();
  });
});
