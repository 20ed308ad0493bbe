import { matchesTagFilter } from './ecr-host.ts';
import { InputError } from './errors.ts';

/**
 * Decides, before anything is tagged, what each requested tag needs: a PUT, nothing (already points
 * at the signed digest), or a refusal (an immutable tag that points elsewhere). Deciding for every
 * tag first means a refusal leaves the registry exactly as it was — no half-tagged release.
 *
 * Mutability follows ECR's `imageTagMutability` (API reference `CreateRepository`,
 * `ImageTagMutabilityExclusionFilter`): `IMMUTABLE_WITH_EXCLUSION` keeps the filter-matching tags
 * mutable; `MUTABLE_WITH_EXCLUSION` makes the filter-matching tags immutable.
 */

export type TagMutabilityMode = 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | 'MUTABLE_WITH_EXCLUSION';
export const TAG_MUTABILITY_MODES: readonly TagMutabilityMode[] = ['MUTABLE', 'IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'];

export interface TagMutability {
  mode: TagMutabilityMode;
  /** Wildcard filters (`*` only), meaning depends on `mode`. */
  filters: string[];
}

/** True when `tag` cannot be moved once it exists under `m`. */
export function isTagImmutable(tag: string, m: TagMutability): boolean {
  const matched = m.filters.some((f) => matchesTagFilter(tag, f));
  switch (m.mode) {
    case 'MUTABLE': return false;
    case 'IMMUTABLE': return true;
    case 'IMMUTABLE_WITH_EXCLUSION': return !matched;
    case 'MUTABLE_WITH_EXCLUSION': return matched;
  }
}

export interface TagPlan {
  /** Tags to PUT (absent, or mutable and pointing elsewhere). */
  put: string[];
  /** Tags already pointing at the digest: success without a write (an idempotent re-run). */
  unchanged: string[];
  /** Mutable tags that will move, with the digest they pointed at (for the notes). */
  moved: { tag: string; from: string }[];
  /** Immutable tags that point at another digest: the push must be refused. */
  conflicts: { tag: string; existing: string }[];
}

/**
 * Plans the tag writes for `digest`. `existing` maps each tag to the digest the registry serves
 * for it now (absent = tag does not exist).
 */
export function planTags(tags: readonly string[], digest: string, existing: ReadonlyMap<string, string>, mutability: TagMutability): TagPlan {
  const plan: TagPlan = { put: [], unchanged: [], moved: [], conflicts: [] };
  for (const tag of tags) {
    const current = existing.get(tag);
    if (current === undefined) plan.put.push(tag);
    else if (current === digest) plan.unchanged.push(tag);
    else if (isTagImmutable(tag, mutability)) plan.conflicts.push({ tag, existing: current });
    else {
      plan.put.push(tag);
      plan.moved.push({ tag, from: current });
    }
  }
  return plan;
}

/** The refusal sentence for conflicts, naming both digests for every tag. */
export function describeConflicts(repository: string, digest: string, conflicts: TagPlan['conflicts']): string {
  const lines = conflicts.map((c) => `tag ${repository}:${c.tag} is immutable and already points at ${c.existing}, not at the signed ${digest}`);
  return `${lines.join('; ')}. Nothing was tagged. Use a new tag (e.g. sha-<commit>) or make that tag mutable.`;
}

/**
 * Validates a tag-mutability setting from input text: `mode` one of the four ECR modes (empty →
 * MUTABLE) and up to 5 wildcard filters of `[0-9A-Za-z._*-]` (ECR's limits). Throws `InputError`.
 */
export function parseTagMutability(mode: string | undefined, filters: readonly string[], modeInput: string, filtersInput: string): TagMutability {
  const m = (mode ?? 'MUTABLE').toUpperCase();
  if (!(TAG_MUTABILITY_MODES as readonly string[]).includes(m)) throw new InputError(modeInput, `must be one of ${TAG_MUTABILITY_MODES.join(', ')} (got "${mode}")`);
  if (filters.length > 5) throw new InputError(filtersInput, `has ${filters.length} filters; ECR allows at most 5`);
  for (const f of filters) {
    if (!/^[0-9A-Za-z._*-]{1,128}$/.test(f)) throw new InputError(filtersInput, `has filter ${JSON.stringify(f)}; filters use only letters, digits, ".", "_", "-" and the wildcard "*"`);
  }
  return { mode: m as TagMutabilityMode, filters: [...filters] };
}
