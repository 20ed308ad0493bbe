// The layer rules of core/ in eslint.config.js, checked with the ESLint Node API and the repo's
// own config: an import pointing the wrong way, planted in a file of each layer, is reported;
// an allowed one is not; and the real tree has no violation. The planted files are linted as text
// under a path inside the layer (lintText with filePath), so nothing is written into the shared tree.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

/** The no-restricted-imports messages ESLint reports for `code` as if it were at `path`. */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const planted: Array<{ layer: string; file: string; imports: string[]; allowed: string[] }> = [
  {
    layer: 'domain',
    file: 'core/src/domain/planted-violation.ts',
    imports: [
      '../adapters/process.ts', '../stages/build.ts', '../door/action.ts', '../cli/main.ts', '../pipeline/run.ts', '../local/registry.ts',
      '@trunkline/core/adapters/git', 'node:fs', 'fs', 'node:fs/promises', 'node:child_process', 'child_process', 'node:net', 'node:http', 'node:https',
    ],
    allowed: ['./image-ref.ts', 'node:crypto', 'node:path', 'yaml'],
  },
  {
    layer: 'adapters',
    file: 'core/src/adapters/planted-violation.ts',
    imports: ['../stages/scan.ts', '../door/inputs.ts', '../cli/command.ts', '../pipeline/config.ts', '@trunkline/core/stages/sign'],
    allowed: ['./process.ts', '../domain/image-ref.ts', '../report/logger.ts', 'node:fs', 'node:child_process'],
  },
  {
    layer: 'stages',
    file: 'core/src/stages/planted-violation.ts',
    imports: ['../door/action.ts', '../cli/main.ts', '@trunkline/core/door/inputs'],
    allowed: ['../adapters/docker.ts', '../domain/tags.ts', '../report/result.ts'],
  },
];

describe('layer rules in eslint.config.js', () => {
  for (const { layer, file, imports, allowed } of planted) {
    it.each(imports)(`${layer} may not import %s`, async (specifier) => {
      const errors = await layerErrors(file, `import * as planted from '${specifier}';\nexport const use = planted;\n`);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`'${specifier}' import is restricted`);
    });

    it(`${layer} may import ${allowed.join(', ')}`, async () => {
      const code = allowed.map((s, i) => `import * as a${i} from '${s}';`).join('\n') + `\nexport const use = [${allowed.map((_, i) => `a${i}`).join(', ')}];\n`;
      expect(await layerErrors(file, code)).toEqual([]);
    });
  }

  it('names the reason in the message', async () => {
    const [error] = await layerErrors('core/src/domain/planted-violation.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n");
    expect(error).toContain('domain is pure logic without I/O');
  });

  it('finds no layer violation in the real tree', async () => {
    const results = await eslint.lintFiles(['core/src']);
    const violations = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(violations).toEqual([]);
    expect(results.length).toBeGreaterThan(50);
  });
});
