import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { gitopsFixtures } from '../support/paths.ts';
import type { ImageTarget } from '../../src/domain/bump-targets.ts';
import type { BumpKind } from '../../src/domain/yaml-splice.ts';
import { BumpTargetError, describeNoMatch, loadsAsString, spliceImageTags } from '../../src/domain/yaml-splice.ts';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

function fixture(name: string): string {
  return readFileSync(join(gitopsFixtures, name), 'utf8');
}

/** Splits on LF only, so a CR stays part of its line and is compared byte for byte. */
function lines(text: string): string[] {
  return text.split('\n');
}

/** Asserts that `after` equals `before` except on `changedLines` (1-based), which must differ. */
function expectOnlyLinesChanged(before: string, after: string, changedLines: readonly number[]): void {
  const a = lines(before);
  const b = lines(after);
  expect(b.length).toBe(a.length);
  const changed = new Set(changedLines);
  a.forEach((line, i) => {
    if (changed.has(i + 1)) expect(Buffer.from(b[i]!), `line ${i + 1} should change`).not.toEqual(Buffer.from(line));
    else expect(Buffer.from(b[i]!), `line ${i + 1} must keep its bytes`).toEqual(Buffer.from(line));
  });
  const untouched = (t: string) => Buffer.from(lines(t).filter((_, i) => !changed.has(i + 1)).join('\n'));
  expect(untouched(after).equals(untouched(before))).toBe(true);
}

/** The value at a path in document `doc` of `text`, loaded as YAML 1.2. */
function valueAt(text: string, doc: number, path: (string | number)[]): unknown {
  return parseAllDocuments(text)[doc]!.getIn(path);
}

interface FixtureCase {
  file: string;
  kind?: BumpKind;
  targets: ImageTarget[];
  lines: number[];
  /** [document, path, expected string] checks on the parsed output. */
  values: Array<[number, (string | number)[], string]>;
}

// One case per real fixture (spegel has no image in spec.values: see the valuesFrom test).
const CASES: FixtureCase[] = [
  {
    file: 'flux2-kustomize-helm-example_podinfo-release_v2.yaml',
    targets: [{ repository: 'public.ecr.aws/docker/library/redis', tag: '8.10' }],
    lines: [27],
    values: [[0, ['spec', 'values', 'redis', 'tag'], '8.10']],
  },
  {
    file: 'home-ops_gatus-helmrelease_v2beta2.yaml',
    kind: 'helmrelease',
    targets: [
      { repository: 'ghcr.io/onedr0p/postgres-init', tag: '17' },
      { repository: 'ghcr.io/twin/gatus', tag: 'v5.9.0', digest: D1 },
      { repository: 'ghcr.io/kiwigrid/k8s-sidecar', tag: '1.27.0', digest: D2 },
    ],
    lines: [34, 42, 60],
    values: [
      [0, ['spec', 'values', 'controllers', 'gatus', 'initContainers', 'init-db', 'image', 'tag'], '17'],
      [0, ['spec', 'values', 'controllers', 'gatus', 'containers', 'app', 'image', 'tag'], `v5.9.0@${D1}`],
      [0, ['spec', 'values', 'controllers', 'gatus', 'initContainers', 'init-config', 'image', 'tag'], `1.27.0@${D2}`],
    ],
  },
  {
    file: 'home-ops_radarr-uhd-helmrelease_v2beta1.yaml',
    targets: [{ repository: 'ghcr.io/onedr0p/exportarr', tag: 'v1.1.0' }],
    lines: [56],
    values: [[0, ['spec', 'values', 'metrics', 'exporter', 'image', 'tag'], 'v1.1.0']],
  },
  {
    file: 'home-ops_radarr-helmrelease_v2-digest.yaml',
    targets: [{ repository: 'ghcr.io/home-operations/radarr', tag: '6.5.0.10600', digest: D1 }],
    lines: [21],
    values: [[0, ['spec', 'values', 'controllers', 'radarr', 'containers', 'app', 'image', 'tag'], `6.5.0.10600@${D1}`]],
  },
  {
    file: 'home-ops_runner-helmrelease_v2-image-string.yaml',
    targets: [{ repository: 'ghcr.io/home-operations/actions-runner', tag: '2.337.0', digest: D1 }],
    lines: [43],
    values: [[0, ['spec', 'values', 'template', 'spec', 'containers', 0, 'image'], `ghcr.io/home-operations/actions-runner:2.337.0@${D1}`]],
  },
  {
    file: 'k8s-gitops_minecraft-lobby_multidoc.yaml',
    targets: [{ repository: 'ghcr.io/itzg/minecraft-server', tag: '2025.7.0' }],
    lines: [30],
    values: [[0, ['spec', 'values', 'image', 'tag'], '2025.7.0']],
  },
  {
    file: 'podinfo_chart-values.yaml',
    kind: 'values',
    targets: [{ repository: 'ghcr.io/stefanprodan/podinfo', tag: '6.15.0' }, { repository: 'docker.io/library/redis', tag: '8.10' }],
    lines: [11, 174],
    values: [[0, ['image', 'tag'], '6.15.0'], [0, ['redis', 'tag'], '8.10']],
  },
  {
    file: 'bitnami_redis-values.yaml',
    targets: [{ repository: 'docker.io/bitnami/os-shell', tag: '12-debian-12-r52', digest: D1 }],
    lines: [2169, 2170, 2302, 2303],
    values: [[0, ['volumePermissions', 'image', 'tag'], '12-debian-12-r52'], [0, ['sysctl', 'image', 'digest'], D1]],
  },
  {
    file: 'ingress-nginx_chart-values.yaml',
    targets: [{ repository: 'ingress-nginx/controller', tag: 'v1.16.0', digest: D1 }, { repository: 'defaultbackend-amd64', tag: '1.6' }],
    lines: [33, 34, 1035],
    values: [[0, ['controller', 'image', 'tag'], 'v1.16.0'], [0, ['controller', 'image', 'digest'], D1], [0, ['defaultBackend', 'image', 'tag'], '1.6']],
  },
  {
    file: 'arc-cicd-demo-gitops_azure-vote-kustomization_crlf.yaml',
    targets: [{ repository: 'shengrossdemoacr.azurecr.io/azvote/azure-vote-back', tag: '0123456' }],
    lines: [10],
    values: [[0, ['images', 1, 'newTag'], '0123456']],
  },
];

describe('spliceImageTags on the real fixtures', () => {
  it('has a case for every fixture file that names an image', () => {
    const files = readdirSync(gitopsFixtures).filter((f) => f.endsWith('.yaml'));
    const covered = new Set([...CASES.map((c) => c.file), 'home-ops_spegel-helmrelease_v2beta2-valuesfrom.yaml']);
    expect(files.filter((f) => !covered.has(f))).toEqual([]);
  });

  for (const c of CASES) {
    it(`${c.file}: only the target lines change`, () => {
      const before = fixture(c.file);
      const r = spliceImageTags(before, { kind: c.kind ?? 'auto', targets: c.targets });
      expect(r.changed).toBe(true);
      expectOnlyLinesChanged(before, r.text, c.lines);
      expect([...new Set(r.edits.map((e) => e.line))].sort((a, b) => a - b)).toEqual(c.lines);
      for (const [doc, path, want] of c.values) expect(valueAt(r.text, doc, path)).toBe(want);
      // Running the same bump on the output is a no-op that returns the same bytes.
      const again = spliceImageTags(r.text, { kind: c.kind ?? 'auto', targets: c.targets });
      expect(again.changed).toBe(false);
      expect(again.text).toBe(r.text);
    });

    it(`${c.file}: a no-op bump (current tags) leaves it byte-identical`, () => {
      const before = fixture(c.file);
      const current = spliceImageTags(before, { kind: c.kind ?? 'auto', targets: [] }).found;
      const targets = c.targets.map((t) => {
        const f = current.find((x) => x.repository.endsWith(t.repository.replace(/^docker\.io\/(library\/)?/, '')))!;
        return { repository: t.repository, tag: f.tag!, ...(f.digest ? { digest: f.digest } : {}) };
      });
      const r = spliceImageTags(before, { kind: c.kind ?? 'auto', targets });
      expect(r.changed).toBe(false);
      expect(r.edits).toEqual([]);
      expect(r.matched.length).toBeGreaterThan(0);
      expect(Buffer.from(r.text).equals(readFileSync(join(gitopsFixtures, c.file)))).toBe(true);
    });
  }

  it('keeps CRLF line endings and the missing final newline', () => {
    const raw = readFileSync(join(gitopsFixtures, 'arc-cicd-demo-gitops_azure-vote-kustomization_crlf.yaml'));
    const r = spliceImageTags(raw.toString('utf8'), { kind: 'auto', targets: [{ repository: 'shengrossdemoacr.azurecr.io/azvote/azure-vote-front', tag: 'abc1234' }] });
    const out = Buffer.from(r.text);
    expect(out.toString('latin1').match(/\r\n/g)?.length).toBe(raw.toString('latin1').match(/\r\n/g)?.length);
    expect(out.toString('latin1')).not.toMatch(/[^\r]\n/);
    expect(out.at(-1)).toBe(raw.at(-1));
    expect(r.text).toContain('    newTag: abc1234\r\n');
  });

  it('keeps a byte-order mark, document markers and comments on the edited line', () => {
    const text = '\ufeff# fleet\r\n---\r\nimage:\r\n  repository: org/app\r\n  tag: v1 # pinned\r\n...\r\n---\r\nimage: {repository: org/app, tag: v1}\r\n...\r\n';
    const r = spliceImageTags(text, { kind: 'values', targets: [{ repository: 'org/app', tag: '1.10' }] });
    expect(r.text).toBe(text.replace('tag: v1 # pinned', 'tag: "1.10" # pinned').replace('tag: v1}', 'tag: "1.10"}'));
    expect(r.text.charCodeAt(0)).toBe(0xfeff);
  });

  it('bumps an image that appears under two keys in both places (bitnami os-shell)', () => {
    const r = spliceImageTags(fixture('bitnami_redis-values.yaml'), { kind: 'values', targets: [{ repository: 'bitnami/os-shell', tag: '12-debian-12-r60' }] });
    expect(r.matched.map((m) => m.path)).toEqual(['volumePermissions.image', 'sysctl.image']);
    expect(r.edits.map((e) => e.path)).toEqual(['volumePermissions.image.tag', 'sysctl.image.tag']);
  });

  it('never touches look-alikes: a different repository with the same tag, a decoy repository key, chart versions', () => {
    const before = fixture('k8s-gitops_minecraft-lobby_multidoc.yaml');
    const r = spliceImageTags(before, { kind: 'auto', targets: [{ repository: 'ghcr.io/itzg/minecraft-server', tag: '4.26.3' }] });
    expectOnlyLinesChanged(before, r.text, [30]);
    expect(valueAt(r.text, 0, ['spec', 'chart', 'spec', 'version'])).toBe('4.26.3');
    expect(valueAt(r.text, 2, ['spec', 'restic', 'repository'])).toBe('minecraft-lobby-restic-secret');
    expect(r.skippedKinds).toEqual(['ExternalSecret', 'ReplicationSource']);
  });
});

describe('spliceImageTags: strings stay strings', () => {
  it.each([
    ['1.10', '"1.10"'], ['16', '"16"'], ['2024-06-27', '"2024-06-27"'], ['1e5', '"1e5"'], ['0787849', '"0787849"'],
    ['v1.2.3', 'v1.2.3'], ['1.2.3', '1.2.3'], ['sha-3f2a9c1', 'sha-3f2a9c1'], ['latest', 'latest'],
  ])('plain tag %s is written as %s', (tag, written) => {
    const r = spliceImageTags('image:\n  repository: org/app\n  tag: v1\n', { kind: 'values', targets: [{ repository: 'org/app', tag }] });
    expect(r.text).toBe(`image:\n  repository: org/app\n  tag: ${written}\n`);
    expect(parseAllDocuments(r.text)[0]!.getIn(['image', 'tag'])).toBe(tag);
  });

  it('keeps the existing quote style', () => {
    const text = "a:\n  image:\n    repository: org/a\n    tag: '1.0'\nb:\n  image:\n    repository: org/b\n    tag: \"2.0\"\n";
    const r = spliceImageTags(text, { kind: 'values', targets: [{ repository: 'org/a', tag: '1.10' }, { repository: 'org/b', tag: 'v3' }] });
    expect(r.text).toBe("a:\n  image:\n    repository: org/a\n    tag: '1.10'\nb:\n  image:\n    repository: org/b\n    tag: \"v3\"\n");
  });

  it('knows which plain texts load as non-strings in YAML 1.2 or 1.1', () => {
    expect(['1.10', '16', 'yes', 'on', 'NO', '~', 'null', '1_000', '0x1F', '2024-06-27', '1:20'].filter(loadsAsString)).toEqual([]);
    expect(['v1.10', '1.2.3', 'sha-abc', '8.2.1-debian-12-r0', 'abc1234'].every(loadsAsString)).toBe(true);
  });

  it('edits a flow mapping in place', () => {
    const text = 'image: { repository: org/app, tag: v1 } # pinned\nother: [1, 2]\n';
    const r = spliceImageTags(text, { kind: 'values', targets: [{ repository: 'org/app', tag: '2.0' }] });
    expect(r.text).toBe('image: { repository: org/app, tag: "2.0" } # pinned\nother: [1, 2]\n');
  });
});

describe('spliceImageTags: anchors and aliases', () => {
  const text = [
    'app:',
    '  image:',
    '    repository: org/app',
    '    tag: &version 1.2.3 # shared',
    'worker:',
    '  image:',
    '    repository: org/app',
    '    tag: *version',
    '',
  ].join('\n');

  it('follows an alias to its anchor and edits it once', () => {
    const r = spliceImageTags(text, { kind: 'values', targets: [{ repository: 'org/app', tag: '1.3.0' }] });
    expect(r.edits).toHaveLength(1);
    expect(r.edits[0]).toMatchObject({ line: 4, oldValue: '1.2.3', newValue: '1.3.0' });
    expect(r.text).toBe(text.replace('&version 1.2.3', '&version 1.3.0'));
    expect(r.warnings).toEqual([]);
  });

  it('warns when the anchored tag is also used by something that is not the image', () => {
    const shared = `${text}annotations:\n  version: *version\n`;
    const r = spliceImageTags(shared, { kind: 'values', targets: [{ repository: 'org/app', tag: '1.3.0' }] });
    expect(r.warnings.join('\n')).toMatch(/anchor &version \(line \d+\), also used at line 10, which changes too/);
  });

  it('edits a whole anchored image map once when it is aliased', () => {
    const t = 'base: &img\n  repository: org/app\n  tag: v1\nimage: *img\n';
    const r = spliceImageTags(t, { kind: 'values', targets: [{ repository: 'org/app', tag: 'v2' }] });
    expect(r.edits).toHaveLength(1);
    expect(r.text).toBe('base: &img\n  repository: org/app\n  tag: v2\nimage: *img\n');
  });

  it('refuses an anchor shared by two images that want different tags', () => {
    const t = 'a:\n  repository: org/a\n  tag: &v v1\nb:\n  repository: org/b\n  tag: *v\n';
    expect(() => spliceImageTags(t, { kind: 'values', targets: [{ repository: 'org/a', tag: 'v2' }, { repository: 'org/b', tag: 'v3' }] }))
      .toThrow(/shared \(anchor\/alias\) by two images/);
  });
});

describe('spliceImageTags: matching', () => {
  const values = [
    'one:',
    '  image:',
    '    registry: ghcr.io',
    '    repository: org/app',
    '    tag: v1',
    'two:',
    '  image: localhost:5000/org/app:v1',
    'three:',
    '  image:',
    '    repository: ghcr.io/org/app-worker',
    '    tag: v1',
    'four:',
    '  sidecarImage: ghcr.io/org/app:v1@' + D1,
    '',
  ].join('\n');

  it('composes registry + repository, and never matches by prefix', () => {
    const r = spliceImageTags(values, { kind: 'values', targets: [{ repository: 'ghcr.io/org/app', tag: 'v2', digest: D2 }] });
    expect(r.matched.map((m) => m.path)).toEqual(['one.image', 'four.sidecarImage']);
    expect(valueAt(r.text, 0, ['three', 'image', 'tag'])).toBe('v1');
    expect(valueAt(r.text, 0, ['four', 'sidecarImage'])).toBe(`ghcr.io/org/app:v2@${D2}`);
    expect(r.warnings.join()).toMatch(/one\.image: digest not written/);
  });

  it('treats a registry port as part of the repository, not a tag', () => {
    const r = spliceImageTags(values, { kind: 'values', targets: [{ repository: 'localhost:5000/org/app', tag: 'v9' }] });
    expect(r.edits.map((e) => [e.path, e.newValue])).toEqual([['two.image', 'localhost:5000/org/app:v9']]);
  });

  it('refuses to keep a stale digest when no new digest is given', () => {
    expect(() => spliceImageTags(fixture('home-ops_radarr-helmrelease_v2-digest.yaml'), { kind: 'auto', targets: [{ repository: 'ghcr.io/home-operations/radarr', tag: '7.0.0' }] }))
      .toThrow(/pins image ghcr.io\/home-operations\/radarr to a digest .* give input "digest" too/);
    expect(() => spliceImageTags(fixture('ingress-nginx_chart-values.yaml'), { kind: 'values', targets: [{ repository: 'ingress-nginx/controller', tag: 'v1.16.0' }] }))
      .toThrow(/its digest key/);
  });
});

describe('spliceImageTags: errors a user can act on', () => {
  it('a file without the image lists the images it holds', () => {
    const text = fixture('home-ops_gatus-helmrelease_v2beta2.yaml');
    const targets = [{ repository: 'ghcr.io/acme/nothing', tag: 'v1' }];
    const r = spliceImageTags(text, { kind: 'auto', targets });
    expect(r.matched).toEqual([]);
    expect(r.changed).toBe(false);
    const message = describeNoMatch('gatus.yaml', targets, r);
    expect(message).toContain('no image ghcr.io/acme/nothing found');
    expect(message).toContain('ghcr.io/onedr0p/postgres-init:16 (spec.values.controllers.gatus.initContainers.init-db.image, line 34)');
    expect(message).toContain('ghcr.io/twin/gatus:v5.8.0 (spec.values.controllers.gatus.containers.app.image, line 60)');
  });

  it('a HelmRelease with only valuesFrom says so', () => {
    const text = fixture('home-ops_spegel-helmrelease_v2beta2-valuesfrom.yaml');
    const targets = [{ repository: 'ghcr.io/spegel-org/spegel', tag: 'v0.0.21' }];
    const r = spliceImageTags(text, { kind: 'helmrelease', targets });
    expect(r.matched).toEqual([]);
    expect(r.text).toBe(text);
    expect(describeNoMatch('spegel.yaml', targets, r)).toMatch(/HelmRelease "spegel" \(valuesFrom: ConfigMap spegel-helm-values\) takes its values from valuesFrom/);
  });

  it('a missing key-path lists the keys at the deepest level reached', () => {
    const text = fixture('home-ops_gatus-helmrelease_v2beta2.yaml');
    expect(() => spliceImageTags(text, { kind: 'auto', keyPath: 'controllers.gatus.containers.web.image', targets: [{ repository: 'ghcr.io/twin/gatus', tag: 'v6', digest: D1 }] }))
      .toThrow('Input "key-path" "controllers.gatus.containers.web.image" not found: no "web" under spec.values.controllers.gatus.containers; keys there: app');
  });

  it('a key-path pins one of several places of the same image', () => {
    const text = fixture('bitnami_redis-values.yaml');
    const r = spliceImageTags(text, { kind: 'values', keyPath: 'sysctl.image', targets: [{ repository: 'docker.io/bitnami/os-shell', tag: '12-debian-12-r60' }] });
    expect(r.edits.map((e) => e.path)).toEqual(['sysctl.image.tag']);
    expectOnlyLinesChanged(text, r.text, [2302]);
    const onTag = spliceImageTags(text, { kind: 'values', keyPath: 'volumePermissions.image.tag', targets: [{ repository: 'docker.io/bitnami/os-shell', tag: '12-debian-12-r60' }] });
    expect(onTag.edits.map((e) => e.path)).toEqual(['volumePermissions.image.tag']);
  });

  it('never creates keys: an image without a tag key is refused, not extended', () => {
    const text = 'image:\n  repository: org/app\n  pullPolicy: Always\nsidecar:\n  image: org/app\n';
    const r = spliceImageTags(text, { kind: 'values', targets: [{ repository: 'org/other', tag: 'v1' }] });
    expect(r.found.map((f) => [f.path, f.unbumpable])).toEqual([['image', 'no tag key (a bump never creates keys)'], ['sidecar', 'no tag key (a bump never creates keys)']]);
    expect(() => spliceImageTags(text, { kind: 'values', targets: [{ repository: 'org/app', tag: 'v2' }] }))
      .toThrow(/^image \(line 2\) names image org\/app but cannot be bumped: no tag key/);
    const ref = spliceImageTags('containers:\n  - name: app\n    image: org/app\n', { kind: 'values', targets: [] });
    expect(ref.found.map((f) => f.unbumpable)).toEqual(['no tag key (a bump never creates keys)']);
  });

  it('kind helmrelease refuses a file without a HelmRelease and ignores values outside spec.values', () => {
    expect(() => spliceImageTags(fixture('podinfo_chart-values.yaml'), { kind: 'helmrelease', targets: [{ repository: 'ghcr.io/stefanprodan/podinfo', tag: 'v1' }] }))
      .toThrow(BumpTargetError);
    const text = 'kind: HelmRelease\nmetadata:\n  image: {repository: org/app, tag: v1}\nspec:\n  values:\n    image: {repository: org/app, tag: v1}\n';
    const r = spliceImageTags(text, { kind: 'helmrelease', targets: [{ repository: 'org/app', tag: 'v2' }] });
    expect(r.edits.map((e) => e.path)).toEqual(['spec.values.image.tag']);
  });

  it('a file that does not parse is refused with its line', () => {
    expect(() => spliceImageTags('a: [1, 2\nb: c\n', { kind: 'values', targets: [{ repository: 'org/app', tag: 'v2' }] })).toThrow(/does not parse as YAML \(line \d\)/);
  });
});
