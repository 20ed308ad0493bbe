/**
 * The feature-flag set and the pure rules around it (README.md, "Feature flags (OpenFeature)").
 *
 * Request handlers read a `FlagSnapshot`, an immutable object swapped whole when flags change:
 * a property read costs nanoseconds, where an OpenFeature evaluation costs ≈ 12 µs per request.
 * `tracing_enabled` is reserved: it is neither evaluated nor accepted by the admin API until it works.
 */

/** The flags the service evaluates, by OpenFeature flag key. */
export interface FlagValues {
  metrics_enabled: boolean;
  greeting: string;
}

export const FLAG_KEYS = ['metrics_enabled', 'greeting'] as const satisfies ReadonlyArray<keyof FlagValues>;
export const DEFAULT_GREETING = 'Hello, World!';
/** Longest greeting the admin API accepts (the body limit of 16 KiB bounds it anyway). */
export const MAX_GREETING_LENGTH = 1024;

/** What the hot path reads: the values, plus the `GET /` body pre-serialised from them. */
export interface FlagSnapshot {
  readonly values: Readonly<FlagValues>;
  readonly greetingBody: Buffer;
}

/** Defaults: `metrics_enabled` from `ENABLE_METRICS`, greeting `Hello, World!`. */
export function defaultFlags(enableMetrics: boolean): FlagValues {
  return { metrics_enabled: enableMetrics, greeting: DEFAULT_GREETING };
}

/** Builds the snapshot served to requests. */
export function snapshotOf(values: FlagValues): FlagSnapshot {
  return Object.freeze({
    values: Object.freeze({ ...values }),
    greetingBody: Buffer.from(JSON.stringify({ message: values.greeting })),
  });
}

/** Keys whose values differ between two flag sets. */
export function changedKeys(before: FlagValues, after: FlagValues): Array<keyof FlagValues> {
  return FLAG_KEYS.filter((key) => before[key] !== after[key]);
}

/** Why an admin update was refused: HTTP status, error code (README.md, "HTTP endpoints") and a message naming the key. */
export interface PatchError {
  status: 400;
  error: 'invalid_json' | 'unknown_flag' | 'invalid_flag_type';
  message: string;
}

/**
 * Validates the JSON body of `POST /admin/flags` (a partial update).
 * @returns the patch, or the error that names the offending key.
 */
export function parseFlagPatch(text: string): { patch: Partial<FlagValues> } | { error: PatchError } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: { status: 400, error: 'invalid_json', message: 'body must be a JSON object' } };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { error: { status: 400, error: 'invalid_json', message: 'body must be a JSON object' } };
  }
  const patch: Partial<FlagValues> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'metrics_enabled') {
      if (typeof value !== 'boolean') return { error: typeError(key, 'a boolean') };
      patch.metrics_enabled = value;
    } else if (key === 'greeting') {
      if (typeof value !== 'string' || value.length > MAX_GREETING_LENGTH) return { error: typeError(key, `a string of at most ${MAX_GREETING_LENGTH} characters`) };
      patch.greeting = value;
    } else {
      return { error: { status: 400, error: 'unknown_flag', message: `unknown flag "${key.slice(0, 64)}"; known flags: ${FLAG_KEYS.join(', ')}` } };
    }
  }
  return { patch };
}

function typeError(key: string, expected: string): PatchError {
  return { status: 400, error: 'invalid_flag_type', message: `flag "${key}" must be ${expected}` };
}
