import { InputError } from './errors.ts';

/**
 * The shared vocabulary of the per-stage config resolvers: one table of input names and defaults,
 * and typed readers over raw values. The three doors — action inputs (`INPUT_*`), CLI flags and a
 * repository's `trunkline.yaml` — each collect a `RawInputs` record keyed by the action's input
 * names and hand it to the stage's one resolver, so a name, a default and a validation rule
 * exist exactly once. See docs/architecture.md ("Three doors, one resolver").
 */

/** Raw values by input name. `undefined` = not given; the resolver applies the table's default. */
export type RawInputs = Readonly<Record<string, string | undefined>>;

/** One row of a stage's input table. */
export interface InputSpec {
  /** The action input name, also the CLI flag (`--<name>`) and the `trunkline.yaml` key. */
  readonly name: string;
  /** The default as action.yml spells it (a string); absent = no default (empty). */
  readonly default?: string;
  /**
   * `lines`: one item per line (CLI flag repeatable, joined with newlines);
   * `items`: newlines or commas (CLI flag repeatable). Absent: a single value.
   */
  readonly list?: 'lines' | 'items';
  /** Only the action has it (a runner-only concern such as `summary` or `token`): no CLI flag. */
  readonly actionOnly?: boolean;
  /** Only the CLI has it (a local concern such as `output-dir`): not in action.yml. */
  readonly cliOnly?: boolean;
  /** A credential: masked by the action door, never echoed in an error. */
  readonly secret?: boolean;
}

export type InputTable = readonly InputSpec[];

/**
 * Typed readers over one `RawInputs` record. Every reader trims, treats an empty value as "not
 * given" (except where a list's empty means "none"), and throws `InputError` naming the input
 * and the allowed form (docs/errors.md, `input-invalid`).
 */
export class RawReader {
  private readonly raw: RawInputs;
  private readonly table: InputTable | undefined;
  constructor(raw: RawInputs, table?: InputTable) {
    this.raw = raw;
    this.table = table;
  }

  /** The untrimmed value, or the table default when absent. */
  value(name: string): string | undefined {
    const value = this.raw[name];
    if (value !== undefined) return value;
    return this.table?.find((s) => s.name === name)?.default;
  }

  /** A trimmed string; `undefined` when empty. Throws `InputError` when `required` and empty. */
  string(name: string, options: { required?: string | boolean } = {}): string | undefined {
    const value = (this.value(name) ?? '').trim();
    if (!value) {
      if (options.required) throw new InputError(name, typeof options.required === 'string' ? `is required: ${options.required}` : 'is required');
      return undefined;
    }
    return value;
  }

  /** `true`/`false` in the YAML 1.2 core schema spellings (as `core.getBooleanInput`); empty → `fallback`. */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if (/^(true|True|TRUE)$/.test(value)) return true;
    if (/^(false|False|FALSE)$/.test(value)) return false;
    throw new InputError(name, `must be true or false (got "${value}")`);
  }

  /** One of `allowed` (case-sensitive); empty → `fallback`. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) throw new InputError(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
    return value as T;
  }

  /** A whole number within [min, max]; empty → `fallback`. */
  integer(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    const min = range.min ?? Number.MIN_SAFE_INTEGER;
    const max = range.max ?? Number.MAX_SAFE_INTEGER;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InputError(name, `must be a whole number from ${min} to ${max} (got "${value}")`);
    }
    return Number(value);
  }

  /**
   * Items split on newlines (and on commas unless `commas: false`), trimmed; blank items and
   * `#` comment lines dropped. Absent or empty → `[]`.
   */
  list(name: string, options: { commas?: boolean } = {}): string[] {
    const lines = (this.value(name) ?? '').split(/\r?\n/).filter((l) => !l.trim().startsWith('#'));
    const items = options.commas === false ? lines : lines.flatMap((l) => l.split(','));
    return items.map((s) => s.trim()).filter(Boolean);
  }
}

/** Reads the action's raw inputs for every non-CLI-only row of `table` from `INPUT_<NAME>` (runner contract). */
export function rawInputsFromEnv(table: InputTable, env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const raw: Record<string, string | undefined> = {};
  for (const spec of table) {
    if (spec.cliOnly) continue;
    const value = env[`INPUT_${spec.name.replace(/ /g, '_').toUpperCase()}`];
    if (value !== undefined) raw[spec.name] = value;
  }
  return raw;
}

/** `node:util.parseArgs` option definitions for every non-action-only row: `--<name>`, repeatable for lists. */
export function flagsFromTable(table: InputTable): Record<string, { type: 'string'; multiple?: boolean }> {
  return Object.fromEntries(table.filter((s) => !s.actionOnly).map((s) => [s.name, s.list ? { type: 'string', multiple: true } : { type: 'string' }]));
}

/** Parsed flag values (from `flagsFromTable`) → `RawInputs`; repeated values are joined with newlines. */
export function rawInputsFromFlags(table: InputTable, values: Record<string, unknown>): Record<string, string | undefined> {
  const raw: Record<string, string | undefined> = {};
  for (const spec of table) {
    const value = values[spec.name];
    if (typeof value === 'string') raw[spec.name] = value;
    else if (Array.isArray(value)) raw[spec.name] = value.join('\n');
  }
  return raw;
}

/** Largest raw value a resolver accepts (64 KiB): far above any real input, far below a memory problem. */
export const MAX_RAW_INPUT_BYTES = 64 * 1024;

/** Throws `InputError` naming the first value of `raw` longer than `maxBytes` (UTF-8). */
export function checkRawSizes(raw: RawInputs, maxBytes = MAX_RAW_INPUT_BYTES): void {
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined && Buffer.byteLength(value) > maxBytes) throw new InputError(name, `is ${Buffer.byteLength(value)} bytes, more than the limit of ${maxBytes}`);
  }
}
