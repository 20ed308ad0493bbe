import { readFileSync } from 'node:fs';
import { InputError } from '../../domain/errors.ts';
import { flagsFromTable, rawInputsFromFlags } from '../../domain/raw-inputs.ts';
import type { InputTable } from '../../domain/raw-inputs.ts';
import { SIGN_INPUTS } from '../../domain/sign-config.ts';
import { parseFlags } from '../command.ts';

/**
 * The CLI door shared by `trunkline sign` and `trunkline verify`: flags carry action-sign's input
 * names and go to the one resolver (domain/sign-config.ts). Secrets never come from argv, where
 * `ps` shows them: the key inputs take a file path (`--private-key FILE`, `--public-key FILE`), the
 * registry password comes on stdin (`--password-stdin`) or from `TRUNKLINE_REGISTRY_PASSWORD`,
 * the key passphrase from `TRUNKLINE_KEY_PASSPHRASE`.
 */

/** Inputs whose CLI flag names a PEM file; the door passes the file's text on. */
export const PEM_FILE_INPUTS = ['private-key', 'public-key'] as const;

/** Secret inputs that have no value flag, and where the CLI reads them instead. */
export const SECRET_SOURCES: Record<string, { env: string; stdinFlag?: string }> = {
  password: { env: 'TRUNKLINE_REGISTRY_PASSWORD', stdinFlag: 'password-stdin' },
  'private-key-passphrase': { env: 'TRUNKLINE_KEY_PASSPHRASE' },
};

/** The rows of `SIGN_INPUTS` one command takes as `--<name>` value flags. */
export function flagTable(names: readonly string[]): InputTable {
  return SIGN_INPUTS.filter((s) => names.includes(s.name) && !s.actionOnly && !(s.name in SECRET_SOURCES));
}

/** parseArgs options for a command over `names`: the value flags, the stdin flags and `--json`-free extras. */
export function signFlags(names: readonly string[], extra: Record<string, { type: 'string' | 'boolean' }> = {}): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const stdin = Object.fromEntries(Object.entries(SECRET_SOURCES).filter(([n, s]) => names.includes(n) && s.stdinFlag).map(([, s]) => [s.stdinFlag!, { type: 'boolean' as const }]));
  return { ...flagsFromTable(flagTable(names)), ...stdin, ...extra };
}

function readPemFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(flag, `names a file that cannot be read: ${(error as Error).message}`);
  }
}

async function readStdin(stdin: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/**
 * argv → raw inputs keyed by `SIGN_INPUTS` names for a command over `names`: value flags as given,
 * PEM flags replaced by their files' text, secrets from stdin or the environment, and
 * `TRUNKLINE_REGISTRY_USERNAME` as the default `username`. Returns the raw record and the parsed
 * values (for command-only flags). Throws `InputError` naming the flag.
 */
export async function rawSignInputsFromArgv(argv: string[], names: readonly string[], extra: Record<string, { type: 'string' | 'boolean' }> = {}, io: { env: NodeJS.ProcessEnv; stdin: AsyncIterable<unknown> } = { env: process.env, stdin: process.stdin }): Promise<{ raw: Record<string, string | undefined>; values: Record<string, unknown> }> {
  const { values } = parseFlags(argv, signFlags(names, extra));
  const raw = rawInputsFromFlags(flagTable(names), values);
  for (const name of PEM_FILE_INPUTS) {
    const path = raw[name];
    if (path !== undefined && names.includes(name)) raw[name] = readPemFile(path, `--${name}`);
  }
  for (const [name, source] of Object.entries(SECRET_SOURCES)) {
    if (!names.includes(name)) continue;
    if (source.stdinFlag && values[source.stdinFlag]) raw[name] = await readStdin(io.stdin);
    else if (io.env[source.env]) raw[name] = io.env[source.env];
  }
  if (names.includes('username')) raw.username ??= io.env.TRUNKLINE_REGISTRY_USERNAME;
  return { raw, values };
}
