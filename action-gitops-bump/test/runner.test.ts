import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runBundledAction } from '../../core/test/support/runner.ts';
import { gitopsFixtures } from '../../core/test/support/paths.ts';
import { scratchDirs } from '../../core/test/support/scratch.ts';

// The bundled action, run as the runner runs it: node dist/index.js with INPUT_* variables and
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. This is the interface other repositories use.

const RELEASE = 'home-ops_gatus-helmrelease_v2beta2.yaml';
const D = `sha256:${'f'.repeat(64)}`;
const tempDir = scratchDirs();

/** A workspace holding gitops/apps/gatus/helmrelease.yaml (the real gatus HelmRelease). */
function checkout(): string {
  const workspace = tempDir('gitops-bump-runner-');
  mkdirSync(join(workspace, 'gitops', 'apps', 'gatus'), { recursive: true });
  copyFileSync(join(gitopsFixtures, RELEASE), join(workspace, 'gitops', 'apps', 'gatus', 'helmrelease.yaml'));
  return workspace;
}

describe('action-gitops-bump bundle (runner contract)', () => {
  it('mode none edits the file in place and writes every output to GITHUB_OUTPUT', async () => {
    const ws = checkout();
    const result = await runBundledAction('action-gitops-bump', {
      path: 'gitops',
      files: 'apps/*/helmrelease.yaml',
      image: 'ghcr.io/twin/gatus',
      tag: 'v5.9.0',
      digest: D,
      mode: 'none',
      token: 'ghs_unused_in_mode_none',
    }, { cwd: ws });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs).toEqual({
      changed: 'true',
      files: 'apps/gatus/helmrelease.yaml',
      'old-tag': 'v5.8.0',
      'new-tag': 'v5.9.0',
      'commit-sha': '',
      'pr-number': '',
      'pr-url': '',
    });
    const before = readFileSync(join(gitopsFixtures, RELEASE), 'utf8').split('\n');
    const after = readFileSync(join(ws, 'gitops', 'apps', 'gatus', 'helmrelease.yaml'), 'utf8').split('\n');
    expect(after.length).toBe(before.length);
    expect(before.flatMap((line, i) => (line === after[i] ? [] : [i + 1]))).toEqual([60]);
    expect(parseAllDocuments(after.join('\n'))[0]!.getIn(['spec', 'values', 'controllers', 'gatus', 'containers', 'app', 'image', 'tag'])).toBe(`v5.9.0@${D}`);
    expect(result.summary).toContain('gitops-bump: passed');
    expect(result.summary).toContain(`+              tag: v5.9.0@${D}`);
  });

  it('a no-op run reports changed=false and leaves the bytes alone', async () => {
    const ws = checkout();
    const result = await runBundledAction('action-gitops-bump', {
      path: 'gitops', files: 'apps/gatus/helmrelease.yaml', image: 'ghcr.io/onedr0p/postgres-init', tag: '16',
    }, { cwd: ws });
    expect(result.code, result.stderr).toBe(0);
    expect(result.outputs.changed).toBe('false');
    expect(result.outputs['old-tag']).toBe('16');
    expect(readFileSync(join(ws, 'gitops', 'apps', 'gatus', 'helmrelease.yaml')).equals(readFileSync(join(gitopsFixtures, RELEASE)))).toBe(true);
  });

  it('bad input fails the step with an error naming the input', async () => {
    const ws = checkout();
    const result = await runBundledAction('action-gitops-bump', { path: 'gitops', files: '../outside.yaml', image: 'ghcr.io/twin/gatus', tag: 'v5.9.0' }, { cwd: ws });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error::Input "files" must not contain "\.\."/);
    const missing = await runBundledAction('action-gitops-bump', { path: 'gitops', files: 'apps/gatus/helmrelease.yaml', image: 'ghcr.io/acme/absent', tag: 'v1' }, { cwd: ws });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/no image ghcr\.io\/acme\/absent found; images in the file: ghcr\.io\/onedr0p\/postgres-init:16/);
  });
});
