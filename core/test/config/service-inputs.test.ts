import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRepoConfig } from '../../src/adapters/repo-files.ts';
import { parseRepoConfig, RepoConfigError } from '../../src/domain/repo-config.ts';
import { checkServiceInputs, resolveServiceStages } from '../../src/pipeline/service-inputs.ts';
import { repoRoot } from '../support/paths.ts';

const example = readRepoConfig(join(repoRoot, 'examples', 'monorepo', 'trunkline.yaml'));

describe('trunkline.yaml through the stage resolvers', () => {
  it("each example service resolves with its own probe; the one without metrics has none", () => {
    const resolved = example.services.map((s) => resolveServiceStages(example, s, {
      image: `sha256:${'a'.repeat(64)}`, repository: `127.0.0.1:5000/${s.image}`, tag: 'sha-0123456', digest: `sha256:${'b'.repeat(64)}`,
      gitopsPath: '/state/flux', reportsDir: `/state/reports/${s.name}`, probeOverrides: { network: 'host' },
    }));
    expect(resolved.map((r) => r.verifyMetrics && [r.verifyMetrics.port, r.verifyMetrics.metricsPath, r.verifyMetrics.network, r.verifyMetrics.expectations.length])).toEqual([
      [8080, '/metrics', 'host', 2],
      [9090, '/metrics.txt', 'host', 1],
      undefined,
    ]);
    expect(resolved.map((r) => [r.bump?.files, r.bump?.image, r.bump?.tag])).toEqual([
      [['apps/api/helmrelease.yaml'], '127.0.0.1:5000/api', 'sha-0123456'],
      [['apps/static/helmrelease.yaml'], '127.0.0.1:5000/static', 'sha-0123456'],
      [['apps/web/helmrelease.yaml'], '127.0.0.1:5000/web', 'sha-0123456'],
    ]);
    expect(resolved[0]!.scanFs.target).toBe(join(example.root, 'services/api'));
    expect(resolved[0]!.scanFs.failOn).toBe('HIGH');
  });

  it("Trunkline's own file resolves", () => {
    const own = readRepoConfig(join(repoRoot, 'trunkline.yaml'));
    expect(() => checkServiceInputs(own, own.services, '/state')).not.toThrow();
  });

  // Values the schema lets through but a stage refuses still fail before any build, on the service's line.
  it.each([
    ['an expectation that does not parse', 'verify-metrics: { expect: ["up >= "] }', 'services.web.verify-metrics: verify-metrics: invalid input expect line 1'],
    ['a status outside 1xx-5xx', 'verify-metrics: { probe-expect-status: 999 }', 'services.web.verify-metrics: verify-metrics: invalid input probe-expect-status'],
    ['an unknown scanner', 'scan: { scanners: [vuln, foo] }', 'services.web.scan: Input "scanners" must be a list of'],
    ['a bump file leaving the repository', 'bump: { files: [../x.yaml] }', 'services.web.bump: Input "files"'],
  ])('%s', (_name, section, expected) => {
    const cfg = parseRepoConfig(`services:\n  api: { context: api }\n  web:\n    context: web\n    ${section}\n`, 'trunkline.yaml', '/repo');
    let error: unknown;
    try { checkServiceInputs(cfg, cfg.services, '/state'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(RepoConfigError);
    expect((error as Error).message).toContain(`trunkline.yaml:3:3: ${expected}`);
    expect((error as RepoConfigError).problems).toHaveLength(1);
  });

  it('a service without GitOps files is published, not bumped; problems of several services are listed together', () => {
    const cfg = parseRepoConfig('services:\n  a: { context: a }\n  b: { context: b, scan: { scanners: [x] } }\n  c: { context: c, verify-metrics: { expect: [">"] } }\n', 'trunkline.yaml', '/repo');
    expect(resolveServiceStages(cfg, cfg.services[0]!, { image: 'a:1', repository: 'a', tag: '1', gitopsPath: '/g', reportsDir: '/r' }).bump).toBeUndefined();
    expect(() => checkServiceInputs(cfg, cfg.services, '/state')).toThrow(/trunkline\.yaml:3:3: services\.b\.scan: .*\n.*trunkline\.yaml:4:3: services\.c\.verify-metrics: /);
  });
});
