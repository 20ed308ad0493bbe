import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { parseRepoConfig, RepoConfigError } from '../../src/domain/repo-config.ts';
import { REPO_CONFIG_SCHEMA } from '../../src/domain/repo-config-schema.ts';
import { findRepoConfig, MAX_CONFIG_BYTES, readRepoConfig } from '../../src/adapters/repo-files.ts';
import { InputError } from '../../src/domain/errors.ts';
import { scratchDirs } from '../support/scratch.ts';

const tempDir = scratchDirs();

function problemsOf(text: string): string {
  try {
    parseRepoConfig(text, 'trunkline.yaml', '/repo');
  } catch (error) {
    expect(error).toBeInstanceOf(RepoConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('parseRepoConfig', () => {
  it('a one-service repository is two lines; every default is filled', () => {
    const cfg = parseRepoConfig('services:\n  api: { context: . }\n', 'trunkline.yaml', '/repo');
    expect(cfg.registry).toEqual({ type: 'local', port: 5000 });
    expect(cfg.gitops).toEqual({ kind: 'state', branch: 'main', mode: 'push' });
    expect(cfg.stateDir).toBe('.trunkline');
    expect(cfg.services).toEqual([{
      name: 'api', context: '.', dockerfile: 'Dockerfile', image: 'api', paths: ['**'], metrics: true, cleanExitCodes: [0], line: 2,
      inputs: { build: { context: '.', dockerfile: 'Dockerfile' }, scan: {}, 'verify-metrics': {}, bump: {} },
    }]);
  });

  it('stage sections become raw inputs by action input name; the top-level scan policy is the base', () => {
    const cfg = parseRepoConfig(`
registry: { type: oci, host: ghcr.io/acme }
gitops: { repository: acme/flux-fleet, mode: pr }
scan: { fail-on: CRITICAL, ignore-unfixed: true }
services:
  web:
    context: services/web
    lint-command: npx eslint .
    build: { build-args: { NODE_ENV: production, RETRIES: 3 } }
    scan: { fail-on: HIGH }
    verify-metrics:
      metrics: false
      clean-exit-codes: [0, 143]
      container-port: 8081
      expect: ['up == 1', 'x_total >= 1']
    bump: { files: [apps/web/helmrelease.yaml] }
`, 'trunkline.yaml', '/repo');
    const web = cfg.services[0]!;
    expect(cfg.gitops.kind).toBe('github');
    expect(cfg.registry.host).toBe('ghcr.io/acme');
    expect(web.paths).toEqual(['services/web/**']);
    expect(web.metrics).toBe(false);
    expect(web.cleanExitCodes).toEqual([0, 143]);
    expect(web.inputs.build).toEqual({ 'build-args': 'NODE_ENV=production\nRETRIES=3', context: 'services/web', dockerfile: 'services/web/Dockerfile', 'lint-command': 'npx eslint .' });
    expect(web.inputs.scan).toEqual({ 'fail-on': 'HIGH', 'ignore-unfixed': 'true' });
    expect(web.inputs['verify-metrics']).toEqual({ 'container-port': '8081', expect: 'up == 1\nx_total >= 1' });
    expect(web.inputs.bump).toEqual({ files: 'apps/web/helmrelease.yaml' });
  });

  it('a local GitOps path is told from owner/name by its leading ./', () => {
    expect(parseRepoConfig('gitops: { repository: ./flux/fleet.git }\nservices: { a: { context: a } }', 'f', '/r').gitops.kind).toBe('path');
    expect(parseRepoConfig('gitops: { repository: fleet.git }\nservices: { a: { context: a } }', 'f', '/r').gitops.kind).toBe('path');
  });

  // Each bad config fails with file:line:col and the allowed form.
  it.each([
    ['unknown key', 'services:\n  api:\n    context: .\n    contxt: x\n', 'trunkline.yaml:4:5: unknown key "contxt" in services.api (allowed keys: context, dockerfile, image'],
    ['unknown top-level key', 'servces: {}\n', 'trunkline.yaml:1:1: unknown key "servces" in (top level) (allowed keys: version, state-dir, registry'],
    ['wrong type', 'services:\n  api:\n    context: .\n    paths: services/api/**\n', 'trunkline.yaml:4:12: services.api.paths must be array (allowed: globs (relative to this file)'],
    ['a service without context', 'services:\n  api:\n    image: api\n', 'trunkline.yaml:2:3: services.api has no "context" (required: the build context: a directory'],
    ['a probe port of 70000', 'services:\n  api:\n    context: .\n    verify-metrics:\n      container-port: 70000\n', 'trunkline.yaml:5:23: services.api.verify-metrics.container-port must be <= 65535 (allowed: a port from 1 to 65535'],
    ['an unknown action input in a stage section', 'services:\n  api:\n    context: .\n    scan:\n      fail_on: HIGH\n', 'trunkline.yaml:5:7: unknown key "fail_on" in services.api.scan (allowed keys: fail-on,'],
    ['an enum value', 'services:\n  api:\n    context: .\n    scan: { fail-on: SEVERE }\n', 'trunkline.yaml:4:22: services.api.scan.fail-on must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN'],
    ['an exit code out of range', 'services:\n  api:\n    context: .\n    verify-metrics: { clean-exit-codes: [0, 300] }\n', 'trunkline.yaml:4:45: services.api.verify-metrics.clean-exit-codes.1 must be <= 255'],
    ['a bad service name', 'services:\n  My_API: { context: . }\n', 'trunkline.yaml:2:3: the name "My_API" in services is not allowed (allowed: a service name: lower-case'],
    ['no services', 'registry: { type: local }\n', 'trunkline.yaml:1:1: (top level) has no "services"'],
    ['an OCI registry without host', 'registry: { type: oci }\nservices: { a: { context: a } }\n', 'trunkline.yaml:1:1: registry has no "host" (allowed: types ecr and oci need a host'],
    ['a context leaving the repository', 'services:\n  api: { context: ../other }\n', 'trunkline.yaml:2:19: services.api.context must match pattern'],
    ['a duplicate key', 'services:\n  api: { context: . }\n  api: { context: b }\n', 'trunkline.yaml:3:3: Map keys must be unique'],
    ['not YAML', 'services: [\n', 'trunkline.yaml:2:1:'],
    ['a list at the top', '- a\n', 'trunkline.yaml:1:1: the file must be a map'],
  ])('%s', (_name, text, expected) => {
    expect(problemsOf(text)).toContain(expected);
  });

  it('reports every problem, in line order', () => {
    const message = problemsOf('services:\n  api:\n    contxt: .\n    verify-metrics: { container-port: 0 }\n');
    const lines = message.split('\n').slice(1).map((l) => Number(/trunkline\.yaml:(\d+):/.exec(l)?.[1]));
    expect(lines).toEqual([2, 3, 4]);
  });

  it('a RepoConfigError is an InputError (the CLI exits 2 before any build)', () => {
    try { parseRepoConfig('x: 1', 'f', '/'); } catch (error) { expect(error).toBeInstanceOf(InputError); return; }
    throw new Error('not refused');
  });
});

describe('the schema', () => {
  const inputsOf = (action: string): string[] => Object.keys((parseYaml(readFileSync(join(import.meta.dirname, '../../..', action, 'action.yml'), 'utf8')) as { inputs: object }).inputs);
  const defs = (REPO_CONFIG_SCHEMA as unknown as { definitions: Record<string, { properties: object }> }).definitions;
  // Keys of a stage section are the action's input names, so they resolve like action inputs.
  it.each([
    ['buildInputs', 'action-build', []],
    ['scanInputs', 'action-scan', []],
    ['verifyMetricsInputs', 'action-verify-metrics', ['metrics', 'clean-exit-codes']],
    ['bumpInputs', 'action-gitops-bump', []],
  ] as const)('%s keys are %s inputs', (def, action, ownKeys) => {
    const keys = Object.keys(defs[def]!.properties).filter((k) => !(ownKeys as readonly string[]).includes(k));
    expect(keys.filter((k) => !inputsOf(action).includes(k))).toEqual([]);
  });
  it('service-level build keys are action-build inputs', () => {
    expect(['context', 'dockerfile', 'lint-command'].filter((k) => !inputsOf('action-build').includes(k))).toEqual([]);
  });
});

describe('finding and reading the file', () => {
  it('walks up from a subdirectory to the trunkline.yaml at the git root', () => {
    const root = tempDir('tl-config-');
    mkdirSync(join(root, '.git'));
    mkdirSync(join(root, 'services', 'api'), { recursive: true });
    writeFileSync(join(root, 'trunkline.yaml'), 'services: { api: { context: services/api } }\n');
    expect(findRepoConfig(join(root, 'services', 'api'))).toBe(join(root, 'trunkline.yaml'));
    expect(readRepoConfig(findRepoConfig(join(root, 'services'))).root).toBe(root);
  });

  it('stops at the git root and says how to get a file', () => {
    const outer = tempDir('tl-config-');
    writeFileSync(join(outer, 'trunkline.yaml'), 'services: { api: { context: . } }\n');
    mkdirSync(join(outer, 'repo', '.git'), { recursive: true });
    expect(() => findRepoConfig(join(outer, 'repo'))).toThrow(/found no trunkline.yaml from .* \(`trunkline init`\) or pass --config FILE/);
  });

  it('--config FILE wins, and must exist', () => {
    const root = tempDir('tl-config-');
    writeFileSync(join(root, 'other.yaml'), 'services: { api: { context: . } }\n');
    expect(findRepoConfig('/', join(root, 'other.yaml'))).toBe(join(root, 'other.yaml'));
    expect(() => findRepoConfig(root, 'missing.yaml')).toThrow('Input "config" must name an existing file (got "missing.yaml")');
  });

  it('refuses a file over the size limit before parsing it', () => {
    const root = tempDir('tl-config-');
    writeFileSync(join(root, 'trunkline.yaml'), `services: { api: { context: . } }\n${'#'.repeat(MAX_CONFIG_BYTES)}\n`);
    expect(() => readRepoConfig(join(root, 'trunkline.yaml'))).toThrow(/must be at most 262144 bytes/);
  });

  it('an invalid file names itself with the line', () => {
    const root = tempDir('tl-config-');
    writeFileSync(join(root, 'trunkline.yaml'), 'services:\n  api:\n    context: .\n    verify-metrics: { container-port: 70000 }\n');
    expect(() => readRepoConfig(join(root, 'trunkline.yaml'))).toThrow(/trunkline\.yaml:4:39: services\.api\.verify-metrics\.container-port must be <= 65535/);
  });
});
