import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BUMP_INPUTS } from '../../src/domain/bump-config.ts';
import { command } from '../../src/cli/commands/bump.ts';
import { repoRoot } from '../support/paths.ts';

// action.yml, the input table and the CLI flags name the same inputs with the same defaults.
const actionYml = parse(readFileSync(join(repoRoot, 'action-gitops-bump', 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> };

describe('action-gitops-bump inputs parity', () => {
  it('action.yml and BUMP_INPUTS list the same inputs with the same defaults', () => {
    const fromYml = Object.entries(actionYml.inputs).map(([name, spec]) => [name, spec.default === undefined ? undefined : String(spec.default)]);
    const fromTable = BUMP_INPUTS.filter((s) => !s.cliOnly).map((s) => [s.name, s.default]);
    expect(Object.fromEntries(fromTable)).toEqual(Object.fromEntries(fromYml));
  });

  it('the CLI understands every input that is not action-only as --<name>, and names it in --help', () => {
    for (const spec of BUMP_INPUTS.filter((s) => !s.actionOnly)) {
      expect(command.usage, spec.name).toContain(`--${spec.name}`);
    }
    for (const spec of BUMP_INPUTS.filter((s) => s.actionOnly)) expect(command.usage).not.toContain(`--${spec.name} `);
  });
});
