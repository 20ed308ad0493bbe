import { describe, expect, it } from 'vitest';
import { describeConflicts, isTagImmutable, planTags } from '../../src/domain/push-plan.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('isTagImmutable', () => {
  it.each([
    ['MUTABLE', [], 'v1', false],
    ['IMMUTABLE', [], 'v1', true],
    ['IMMUTABLE_WITH_EXCLUSION', ['sha256-*.sig', 'latest'], 'latest', false],
    ['IMMUTABLE_WITH_EXCLUSION', ['sha256-*.sig'], `sha256-${'a'.repeat(64)}.sig`, false],
    ['IMMUTABLE_WITH_EXCLUSION', ['sha256-*.sig'], 'v1', true],
    ['MUTABLE_WITH_EXCLUSION', ['v*'], 'v1', true],
    ['MUTABLE_WITH_EXCLUSION', ['v*'], 'latest', false],
  ] as const)('%s %j: %s → %s', (mode, filters, tag, want) => {
    expect(isTagImmutable(tag, { mode, filters: [...filters] })).toBe(want);
  });
});

describe('planTags', () => {
  const immutable = { mode: 'IMMUTABLE' as const, filters: [] };
  it('puts absent tags, keeps same-digest tags, refuses immutable tags on another digest', () => {
    const existing = new Map([['sha-1234567', A], ['v1.0.0', B]]);
    const plan = planTags(['new', 'sha-1234567', 'v1.0.0'], A, existing, immutable);
    expect(plan).toEqual({ put: ['new'], unchanged: ['sha-1234567'], moved: [], conflicts: [{ tag: 'v1.0.0', existing: B }] });
    expect(describeConflicts('r/x', A, plan.conflicts)).toBe(`tag r/x:v1.0.0 is immutable and already points at ${B}, not at the signed ${A}. Nothing was tagged. Use a new tag (e.g. sha-<commit>) or make that tag mutable.`);
  });
  it('moves mutable tags and records where they pointed', () => {
    const plan = planTags(['latest'], A, new Map([['latest', B]]), { mode: 'IMMUTABLE_WITH_EXCLUSION', filters: ['latest'] });
    expect(plan).toEqual({ put: ['latest'], unchanged: [], moved: [{ tag: 'latest', from: B }], conflicts: [] });
  });
  it('a re-run of the same digest writes nothing', () => {
    const plan = planTags(['a', 'b'], A, new Map([['a', A], ['b', A]]), immutable);
    expect(plan.put).toEqual([]);
    expect(plan.unchanged).toEqual(['a', 'b']);
  });
});
