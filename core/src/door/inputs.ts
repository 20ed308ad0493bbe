import * as core from '@actions/core';
import { InputError } from '../domain/errors.ts';

/**
 * Typed readers over the runner's `INPUT_<NAME>` variables (via `@actions/core.getInput`). Every
 * reader validates and throws `InputError` naming the input, so a context module is a list of
 * calls and the stage receives a typed config.
 */

/** A trimmed string; `undefined` when empty and not required. Throws when required and empty. */
export function getString(name: string, options: { required?: boolean } = {}): string | undefined {
  const value = core.getInput(name).trim();
  if (!value) {
    if (options.required) throw new InputError(name, 'is required');
    return undefined;
  }
  return value;
}

/** Like `getString` with a fallback for an empty input. */
export function getStringOr(name: string, fallback: string): string {
  return getString(name) ?? fallback;
}

/** `true`/`false` (YAML 1.2 core schema words, as `core.getBooleanInput`); empty → `fallback`. */
export function getBoolean(name: string, fallback: boolean): boolean {
  const value = core.getInput(name).trim();
  if (!value) return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(name, `must be true or false (got "${value}")`);
}

/** Items separated by newlines or commas, trimmed, empties and `#` comment lines dropped. */
export function getList(name: string, options: { commas?: boolean } = {}): string[] {
  const raw = core.getInput(name);
  const lines = raw.split(/\r?\n/).filter((l) => !l.trim().startsWith('#'));
  const items = options.commas === false ? lines : lines.flatMap((l) => l.split(','));
  return items.map((s) => s.trim()).filter(Boolean);
}

/** One of `allowed` (compared case-sensitively); empty → `fallback`. */
export function getEnum<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const value = core.getInput(name).trim();
  if (!value) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputError(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}

/** A whole number within [min, max]; empty → `fallback`. */
export function getInteger(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const value = core.getInput(name).trim();
  if (!value) return fallback;
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(name, `must be a whole number from ${min} to ${max} (got "${value}")`);
  }
  return Number(value);
}
