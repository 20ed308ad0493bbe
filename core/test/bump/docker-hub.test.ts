import { describe, expect, it } from 'vitest';
import { canonicalRepositoryName } from '../../src/domain/docker-hub.ts';
import { sameRepository } from '../../src/domain/bump-targets.ts';
import type { TrivyReport } from '../../src/domain/trivy-report.ts';
import { artifactMismatch } from '../../src/domain/trivy-report.ts';

// One Docker Hub normaliser for the bump's matching and the scan gate's report check.
describe('canonicalRepositoryName', () => {
  it.each([
    ['redis', 'docker.io/library/redis'],
    ['library/redis', 'docker.io/library/redis'],
    ['docker.io/redis', 'docker.io/library/redis'],
    ['docker.io/library/redis', 'docker.io/library/redis'],
    ['index.docker.io/redis', 'docker.io/library/redis'],
    ['index.docker.io/library/redis', 'docker.io/library/redis'],
    ['registry-1.docker.io/library/redis', 'docker.io/library/redis'],
    ['Docker.IO/bitnami/redis', 'docker.io/bitnami/redis'],
    ['bitnami/redis', 'docker.io/bitnami/redis'],
    ['GHCR.io/org/app', 'ghcr.io/org/app'],
    ['localhost:5000/app', 'localhost:5000/app'],
    ['localhost/app', 'localhost/app'],
    ['public.ecr.aws/docker/library/redis', 'public.ecr.aws/docker/library/redis'],
    ['127.0.0.1:5000/library/app', '127.0.0.1:5000/library/app'],
  ])('%s → %s', (name, canonical) => {
    expect(canonicalRepositoryName(name)).toBe(canonical);
  });

  it('keeps different images apart', () => {
    expect(sameRepository('redis', 'bitnami/redis')).toBe(false);
    expect(sameRepository('org/app', 'org/app-worker')).toBe(false);
    expect(sameRepository('ghcr.io/org/app', 'docker.io/org/app')).toBe(false);
  });
});

describe('the same normaliser in the bump and the scan gate', () => {
  const report = (artifactName: string): TrivyReport => ({
    schemaVersion: 2, artifactName, artifactType: 'container_image', imageNames: [], repoTags: [], repoDigests: [], resultCount: 0, findings: [],
  });

  it.each(['index.docker.io/library/alpine:3.19', 'registry-1.docker.io/alpine:3.19', 'docker.io/library/alpine:3.19', 'alpine:3.19'])('a report for %s is about alpine:3.19', (name) => {
    expect(artifactMismatch(report(name), { mode: 'image', target: 'alpine:3.19' })).toBeUndefined();
    expect(sameRepository(name.replace(/:3\.19$/, ''), 'alpine')).toBe(true);
  });

  it('a report for another Hub image is not', () => {
    expect(artifactMismatch(report('index.docker.io/bitnami/alpine:3.19'), { mode: 'image', target: 'alpine:3.19' })).toMatch(/not for the image "alpine:3\.19"/);
  });
});
