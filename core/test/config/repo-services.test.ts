import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRepoConfig } from '../../src/adapters/repo-files.ts';
import { parseRepoConfig } from '../../src/domain/repo-config.ts';
import { localDefaults } from '../../src/pipeline/config.ts';
import { selectServices } from '../../src/pipeline/repo-services.ts';
import { repoRoot } from '../support/paths.ts';

const cfg = readRepoConfig(join(repoRoot, 'examples', 'monorepo', 'trunkline.yaml'));
const names = (files?: string[], named: string[] = []): string[] => selectServices(cfg, named, files).services.map((s) => s.name);

describe('selectServices', () => {
  it.each([
    ['all by default', undefined, [], ['api', 'static', 'web']],
    ['--service', undefined, ['web', 'api'], ['api', 'web']],
    ['--changed-since: only the changed one', ['services/static/www/index.html'], [], ['static']],
    ['--service and --changed-since narrow together', ['services/static/www/index.html', 'services/api/server.mjs'], ['api'], ['api']],
    ['nothing changed: nothing to deliver', ['README.md'], [], []],
  ])('%s', (_name, files, named, expected) => {
    expect(names(files, named)).toEqual(expected);
  });

  it('an unknown --service names the ones there are', () => {
    expect(() => selectServices(cfg, ['apii'])).toThrow('Input "service" must name a service of');
    expect(() => selectServices(cfg, ['apii'])).toThrow(': api, static, web (got "apii")');
  });

  it('says what it decided', () => {
    expect(selectServices(cfg, [], ['services/web/server.mjs']).notes).toEqual([
      `all 3 service(s) of ${cfg.file}`, 'web: services/web/server.mjs changed', 'unchanged, not delivered: api, static',
    ]);
  });
});

describe("Trunkline's own trunkline.yaml", () => {
  const own = readRepoConfig(join(repoRoot, 'trunkline.yaml'));
  const defaults = localDefaults(repoRoot);
  it('describes sample-service as the embedded local defaults do', () => {
    expect(own.services).toHaveLength(1);
    const service = own.services[0]!;
    expect(join(own.root, service.context)).toBe(defaults.serviceDir);
    expect(service.image).toBe(defaults.imageName);
    expect(service.inputs['verify-metrics'].expect!.split('\n')).toEqual(defaults.expectations);
    expect(service.inputs.scan['fail-on']).toBe(defaults.failOn);
    expect(own.registry.port).toBe(5000); // the README's registry on 127.0.0.1:5000
    // The seed's files, as the bump names them: the embedded defaults keep them under fluxAppDir.
    expect(service.inputs.bump.files!.split('\n').map((f) => `${defaults.fluxAppDir}/${f}`)).toEqual(defaults.bumpFiles);
    expect(join(own.root, own.gitops.seed!)).toBe(join(defaults.serviceDir, 'deploy'));
  });

  it('a docs-only change of sample-service delivers nothing', () => {
    expect(selectServices(own, [], ['sample-service/README.md', 'sample-service/test/a.test.ts']).services).toEqual([]);
    expect(selectServices(own, [], ['sample-service/src/main.ts']).services.map((s) => s.name)).toEqual(['sample-service']);
  });

  it('parses the same from any file name (--config FILE)', () => {
    expect(parseRepoConfig('services: { a: { context: . } }', 'ci/trunkline.ci.yaml', '/r').file).toBe('ci/trunkline.ci.yaml');
  });
});
