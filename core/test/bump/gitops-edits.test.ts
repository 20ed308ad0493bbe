import { describe, expect, it } from 'vitest';
import { spliceImageTags } from '../../src/domain/yaml-splice.ts';
import { bumpOutputs, planBump } from '../../src/domain/bump-plan.ts';
import type { ImageTarget } from '../../src/domain/bump-targets.ts';

// Issue 15 item 11's edge cases: digest-only references, Flux substitutions, shared anchors.
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const target: ImageTarget = { repository: 'ghcr.io/acme/app', tag: '2.0.0', digest: D2 };

function plan(text: string, t: ImageTarget = target): ReturnType<typeof planBump> {
  return planBump([{ path: 'values.yaml', content: Buffer.from(text), mode: '100644' }], new Set(['values.yaml']), { kind: 'values', maxFileSize: 1 << 20 }, [t]);
}

describe('GitOps edit edge cases', () => {
  it('a digest-only reference gets the new digest and reports no new-tag it did not write', () => {
    const p = plan(`image: ghcr.io/acme/app@${D1}\n`);
    expect(p.changed[0]!.after.toString()).toBe(`image: ghcr.io/acme/app@${D2}\n`);
    expect(bumpOutputs(p, [target], true)).toMatchObject({ changed: true, 'old-tag': '', 'new-tag': '' });
  });

  it('a tagged reference reports the tag it wrote', () => {
    const p = plan(`image: ghcr.io/acme/app:1.0.0@${D1}\n`);
    expect(bumpOutputs(p, [target], true)).toMatchObject({ 'old-tag': '1.0.0', 'new-tag': '2.0.0' });
  });

  it.each(['${APP_VERSION}', '"${APP_VERSION:=1.0.0}"', 'v${APP_VERSION}'])('refuses to overwrite a Flux substitution tag %s', (tag) => {
    expect(() => plan(`image:\n  repository: ghcr.io/acme/app\n  tag: ${tag}\n`, { repository: 'ghcr.io/acme/app', tag: '2.0.0' }))
      .toThrow(/^values\.yaml: image \(line 3\) sets the tag of ghcr\.io\/acme\/app from a Flux substitution \(".*"\); refusing to overwrite it/);
  });

  it('a tag aliasing an anchor used elsewhere warns that the other uses change too', () => {
    const text = 'common:\n  version: &v 1.0.0\nannotations:\n  release: *v\nimage:\n  repository: ghcr.io/acme/app\n  tag: *v\n';
    const result = spliceImageTags(text, { kind: 'values', targets: [{ repository: 'ghcr.io/acme/app', tag: '2.0.0' }] });
    expect(result.text).toBe(text.replace('&v 1.0.0', '&v 2.0.0'));
    expect(result.warnings).toEqual(['image.tag: the value is anchor &v (line 2), also used at line 4, which changes too']);
  });
});
