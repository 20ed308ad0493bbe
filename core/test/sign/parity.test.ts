import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SIGN_INPUT_NAMES, SIGN_INPUTS, VERIFY_INPUT_NAMES } from '../../src/domain/sign-config.ts';
import { PEM_FILE_INPUTS, SECRET_SOURCES, signFlags } from '../../src/cli/commands/sign-door.ts';
import { command as signCommand } from '../../src/cli/commands/sign.ts';
import { command as verifyCommand } from '../../src/cli/commands/verify.ts';
import { repoRoot } from '../support/paths.ts';

// action-sign's three faces must not drift: action.yml's inputs, the resolver's table and the
// `trunkline sign` / `trunkline verify` flags name the same inputs with the same defaults.

const actionYml = parse(readFileSync(join(repoRoot, 'action-sign/action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> };

describe('action-sign parity: action.yml, SIGN_INPUTS and the CLI flags', () => {
  it('action.yml and the table have the same inputs with the same defaults', () => {
    const fromYml = Object.fromEntries(Object.entries(actionYml.inputs).map(([name, spec]) => [name, spec.default === undefined ? undefined : String(spec.default)]));
    const fromTable = Object.fromEntries(SIGN_INPUTS.filter((s) => !s.cliOnly).map((s) => [s.name, s.default]));
    expect(fromTable).toEqual(fromYml);
  });

  it('every input but mode reaches the CLI: as --<name>, or a secret from stdin/the environment', () => {
    const flags = new Set([...Object.keys(signFlags(SIGN_INPUT_NAMES)), ...Object.keys(signFlags(VERIFY_INPUT_NAMES))]);
    for (const spec of SIGN_INPUTS) {
      if (spec.actionOnly) {
        expect(flags.has(spec.name), spec.name).toBe(false);
        continue;
      }
      if (spec.name in SECRET_SOURCES) {
        expect(spec.secret, spec.name).toBe(true);
        expect(flags.has(spec.name), `${spec.name} must never be an argv value`).toBe(false);
      } else {
        expect(flags.has(spec.name), spec.name).toBe(true);
      }
    }
    // A secret that is a flag at all names a file, never the secret itself.
    for (const spec of SIGN_INPUTS.filter((s) => s.secret && flags.has(s.name))) expect(PEM_FILE_INPUTS as readonly string[]).toContain(spec.name);
  });

  it('each command\'s usage lists its flags', () => {
    for (const [cmd, names] of [[signCommand, SIGN_INPUT_NAMES], [verifyCommand, VERIFY_INPUT_NAMES]] as const) {
      for (const flag of Object.keys(signFlags(names))) expect(cmd.usage, `${cmd.name} --${flag}`).toContain(`--${flag}`);
    }
  });
});
