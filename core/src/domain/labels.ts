import type { EventContext } from './event-context.ts';
import { InputError } from './errors.ts';

/**
 * OCI image labels (and annotations: same keys) from the event. Keys and meanings follow the OCI
 * Image Format Spec, "Pre-Defined Annotation Keys" (annotations.md): `created` is RFC 3339,
 * `revision` the source control revision, `source` the URL to get the source, `url` where to find
 * more information, `licenses` an SPDX expression.
 */
export const OCI = 'org.opencontainers.image';
/** Trunkline's own keys: both SHAs of a pull request build (a PR build's merge commit is not the commit the author pushed: record both). */
export const TRUNKLINE_LABELS = {
  prNumber: 'dev.trunkline.pr.number',
  prHeadSha: 'dev.trunkline.pr.head-sha',
  prMergeSha: 'dev.trunkline.pr.merge-sha',
} as const;

export interface LabelOptions {
  /** The `version` label: the primary tag. */
  version: string;
  /** Image title; default: the repository name from the payload. */
  title?: string;
  /** SPDX expression; default: the payload's `repository.license.spdx_id`. */
  licenses?: string;
  /** User labels; they override generated ones key by key. */
  overrides?: Record<string, string>;
}

/** RFC 3339 UTC without fractional seconds, e.g. `2019-05-15T15:20:41Z`; undefined if unparsable. */
export function rfc3339(time: string): string | undefined {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Generated labels, sorted by key. `created` is the commit time (`event.commitTime`), never the
 * wall clock, so rebuilding one commit yields one image configuration; it is omitted when the
 * commit time is unknown. Line breaks in generated values are flattened to spaces; an override
 * value with a line break is refused naming `labels` (it would corrupt the newline-separated
 * `labels` output).
 */
export function ociLabels(event: EventContext, options: LabelOptions): Record<string, string> {
  const labels: Record<string, string> = {};
  // Payload text (a repository description) may hold line breaks: flatten it rather than fail.
  const set = (key: string, value: string | undefined): void => { if (value) labels[key] = value.replace(/\s*[\r\n]+\s*/g, ' ').trim(); };
  set(`${OCI}.created`, event.commitTime ? rfc3339(event.commitTime) : undefined);
  set(`${OCI}.revision`, event.sha);
  set(`${OCI}.source`, event.repository.htmlUrl);
  set(`${OCI}.url`, event.repository.htmlUrl);
  set(`${OCI}.version`, options.version);
  set(`${OCI}.title`, options.title ?? event.repository.name);
  set(`${OCI}.description`, event.repository.description);
  set(`${OCI}.licenses`, options.licenses ?? event.repository.license);
  if (event.pullRequest) {
    set(TRUNKLINE_LABELS.prNumber, String(event.pullRequest.number));
    set(TRUNKLINE_LABELS.prHeadSha, event.pullRequest.headSha);
    set(TRUNKLINE_LABELS.prMergeSha, event.pullRequest.mergeSha);
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) labels[key] = value;
  for (const [key, value] of Object.entries(labels)) {
    if (/[\r\n]/.test(value)) throw new InputError('labels', `value of ${key} contains a line break`);
  }
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Parses `key=value` lines (the `labels` input). Keys are non-empty and without whitespace or `=`;
 * the value is everything after the first `=`. Throws `InputError(inputName)` otherwise.
 */
export function parseLabelLines(lines: readonly string[], inputName: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!key || /\s/.test(key)) throw new InputError(inputName, `line ${JSON.stringify(line)} is not key=value (key without spaces)`);
    out[key] = line.slice(eq + 1).trim();
  }
  return out;
}

/** `key=value` lines, in key order: the `labels` output and `--label` arguments. */
export function labelLines(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}
