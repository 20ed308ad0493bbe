import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { VERIFY_METRICS_INPUTS } from '../../src/domain/verify-metrics-config.ts';
import { command } from '../../src/cli/commands/verify-metrics.ts';
import { repoRoot } from '../support/paths.ts';

// action.yml, the input table and the CLI flags name the same inputs with the same defaults.
const actionYml = parse(readFileSync(join(repoRoot, 'action-verify-metrics', 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: unknown }> };

describe('action-verify-metrics inputs parity', () => {
  it('action.yml and VERIFY_METRICS_INPUTS list the same inputs with the same defaults', () => {
    const fromYml = Object.entries(actionYml.inputs).map(([name, spec]) => [name, spec.default === undefined ? undefined : String(spec.default)]);
    const fromTable = VERIFY_METRICS_INPUTS.filter((s) => !s.cliOnly).map((s) => [s.name, s.default]);
    expect(Object.fromEntries(fromTable)).toEqual(Object.fromEntries(fromYml));
  });

  it('the CLI understands every input that is not action-only as --<name>, and names it in --help', () => {
    for (const spec of VERIFY_METRICS_INPUTS.filter((s) => !s.actionOnly)) expect(command.usage, spec.name).toContain(`--${spec.name}`);
  });
});
