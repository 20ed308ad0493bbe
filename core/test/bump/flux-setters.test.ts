import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spliceImageTags } from '../../src/domain/yaml-splice.ts';
import { planBump } from '../../src/domain/bump-plan.ts';
import { bumpConfigFromInputs } from '../../src/domain/bump-config.ts';
import type { ImageTarget } from '../../src/domain/bump-targets.ts';

// Flux image-automation-controller's own setter test data (fixtures/gitops/flux-setters/SOURCES.md):
// every original, bumped with each upstream policy in turn, must equal upstream's expected bytes.
const DIR = join(import.meta.dirname, '../fixtures/gitops/flux-setters');
const DIGEST = 'sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be';
const POLICIES: Array<{ policy: string; target: ImageTarget }> = [
  { policy: 'automation-ns:policy', target: { repository: 'index.repo.fake/updated', tag: 'v1.0.1' } },
  { policy: 'automation-ns:unchanged', target: { repository: 'image', tag: 'v1.0.0' } },
  { policy: 'automation-ns:policy-with-digest', target: { repository: 'image', tag: 'v1.0.0', digest: DIGEST } },
];
/** Upstream cases our bump does not reproduce, with the reason (none today). */
const UNSUPPORTED: Record<string, string> = {};

describe('Flux setter markers: upstream original → expected', () => {
  const files = readdirSync(join(DIR, 'original')).sort();
  it('copies every upstream case', () => {
    expect(files).toEqual(['Kustomization', 'kustomization.yml', 'marked.yaml', 'otherns.yaml', 'test.yaml', 'unmarked.yaml']);
    expect(Object.keys(UNSUPPORTED)).toEqual([]);
  });

  it.each(files)('%s', (name) => {
    let text = readFileSync(join(DIR, 'original', name), 'utf8');
    // No expected copy upstream = the setters leave the file as it is.
    const expectedPath = join(DIR, 'expected', name);
    const expected = existsSync(expectedPath) ? readFileSync(expectedPath, 'utf8') : text;
    for (const { policy, target } of POLICIES) {
      text = spliceImageTags(text, { kind: 'auto', targets: [target], imagePolicy: policy }).text;
    }
    expect(text).toBe(expected);
  });
});

describe('setter markers and repository matching', () => {
  const target: ImageTarget = { repository: 'ghcr.io/acme/app', tag: '2.0.0' };
  const plan = (text: string, imagePolicy?: string) => planBump([{ path: 'd.yaml', content: Buffer.from(text), mode: '100644' }], new Set(['d.yaml']),
    { kind: 'auto', maxFileSize: 1 << 20, ...(imagePolicy ? { imagePolicy } : {}) }, [target]);

  it('in a marked file, an unmarked field of the same repository and a field of another policy stay', () => {
    const text = 'a:\n  image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n'
      + 'b:\n  image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:other"}\nc:\n  image: ghcr.io/acme/app:1.0.0\n';
    const p = plan(text, 'flux-system:app');
    expect(p.changed[0]!.after.toString()).toBe(text.replace('app:1.0.0 # {"$imagepolicy": "flux-system:app"}', 'app:2.0.0 # {"$imagepolicy": "flux-system:app"}'));
  });

  it('a marked file without a marker for the policy is refused as "no image found", not passed', () => {
    expect(() => plan('image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:other"}\n', 'flux-system:app')).toThrow(/no image ghcr\.io\/acme\/app found/);
    expect(() => plan('image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n')).toThrow(/no image ghcr\.io\/acme\/app found/);
  });

  it('a file without markers keeps repository matching', () => {
    expect(plan('image: ghcr.io/acme/app:1.0.0\n', 'flux-system:app').changed[0]!.after.toString()).toBe('image: ghcr.io/acme/app:2.0.0\n');
  });

  it('a marked anchor is edited once and warns that its aliases change too', () => {
    const p = plan('a: &t 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}\nb: *t\n', 'flux-system:app');
    expect(p.changed[0]!.after.toString()).toBe('a: &t 2.0.0 # {"$imagepolicy": "flux-system:app:tag"}\nb: *t\n');
    expect(p.warnings).toEqual(['d.yaml: a: the value is anchor &t (line 1); its aliases change too']);
  });

  it('a :digest marker without input digest is refused', () => {
    expect(() => plan('d: sha256:1 # {"$imagepolicy": "flux-system:app:digest"}\n', 'flux-system:app')).toThrow(/give input "digest"/);
  });

  it('image-policy is validated and pins one image', () => {
    const raw = { path: '.', files: 'a.yaml', image: 'ghcr.io/acme/app', tag: '1' };
    expect(bumpConfigFromInputs({ ...raw, 'image-policy': 'flux-system:app' }).imagePolicy).toBe('flux-system:app');
    expect(() => bumpConfigFromInputs({ ...raw, 'image-policy': 'app' })).toThrow(/image-policy.*namespace:name/);
    expect(() => bumpConfigFromInputs({ ...raw, 'image-policy': 'a:b', images: 'ghcr.io/acme/w:1' })).toThrow(/image-policy.*cannot be combined/);
  });
});
