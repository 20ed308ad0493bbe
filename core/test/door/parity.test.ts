// One table per stage, three doors: each action's action.yml inputs, the stage's InputTable and the
// `trunkline <command>` flags name the same inputs with the same defaults. To cover another stage,
// append one entry to DOORS.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { InputTable } from '../../src/domain/raw-inputs.ts';
import { flagsFromTable } from '../../src/domain/raw-inputs.ts';
import { BUILD_INPUTS } from '../../src/domain/build-config.ts';
import { SCAN_INPUTS_TABLE } from '../../src/domain/scan-config.ts';
import { VERIFY_METRICS_INPUTS } from '../../src/domain/verify-metrics-config.ts';
import { BUMP_INPUTS } from '../../src/domain/bump-config.ts';
import type { CliCommand } from '../../src/cli/command.ts';
import { command as buildCommand } from '../../src/cli/commands/build.ts';
import { command as scanCommand } from '../../src/cli/commands/scan.ts';
import { command as verifyMetricsCommand } from '../../src/cli/commands/verify-metrics.ts';
import { command as bumpCommand } from '../../src/cli/commands/bump.ts';
import { repoRoot } from '../support/paths.ts';

interface Door {
  /** The action directory holding action.yml. */
  action: string;
  /** The stage's one input table. */
  table: InputTable;
  /** The CLI command whose flags come from the table (its --help must name each flag). */
  cli: CliCommand;
}

const DOORS: Door[] = [
  { action: 'action-build', table: BUILD_INPUTS, cli: buildCommand },
  { action: 'action-scan', table: SCAN_INPUTS_TABLE, cli: scanCommand },
  { action: 'action-verify-metrics', table: VERIFY_METRICS_INPUTS, cli: verifyMetricsCommand },
  { action: 'action-gitops-bump', table: BUMP_INPUTS, cli: bumpCommand },
];

/** An empty default and no default mean the same to the runner: the input reads as ''. */
const normal = (value: unknown): string | undefined => (value === undefined || value === '' ? undefined : String(value));

describe.each(DOORS)('$action: action.yml, the input table and the CLI flags agree', ({ action, table, cli }) => {
  const yml = parse(readFileSync(join(repoRoot, action, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: unknown }> };

  it('action.yml declares exactly the table\'s non-CLI inputs, with the same defaults', () => {
    const fromYml = Object.fromEntries(Object.entries(yml.inputs).map(([name, spec]) => [name, normal(spec.default)]));
    const fromTable = Object.fromEntries(table.filter((s) => !s.cliOnly).map((s) => [s.name, normal(s.default)]));
    expect(fromTable).toEqual(fromYml);
  });

  it('the table names each input once and never marks one both action-only and CLI-only', () => {
    const names = table.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(table.filter((s) => s.actionOnly && s.cliOnly)).toEqual([]);
  });

  it('the CLI flags are the table\'s non-action inputs, and --help names each of them', () => {
    const flags = flagsFromTable(table);
    expect(Object.keys(flags).sort()).toEqual(table.filter((s) => !s.actionOnly).map((s) => s.name).sort());
    for (const name of Object.keys(flags)) expect(cli.usage, `--${name} in ${cli.name} --help`).toContain(`--${name}`);
  });
});
