// The shell baseline of `npm run bench:pipeline` must not fail its probe stage on a healthy
// service: under `pipefail`, `curl | grep -q` failed whenever grep exited at the first match and
// curl, still writing a large /metrics body, died of SIGPIPE. Here docker and curl are stand-ins
// on PATH (the probe's HTTP side is what is under test), the stage code is the real script's.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const script = join(root, 'scripts/bench/baseline-pipeline.sh');
const work = mkdtempSync(join(tmpdir(), 'trunkline-baseline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Puts a fake `docker` (accepts anything) and a fake `curl` (the metrics body given) on PATH. */
function fakeTools(metricsBody: string): string {
  const bin = mkdtempSync(join(work, 'bin-'));
  writeFileSync(join(work, 'metrics.txt'), metricsBody);
  writeFileSync(join(bin, 'docker'), '#!/bin/sh\nexit 0\n');
  writeFileSync(join(bin, 'curl'), `#!/bin/sh\ncase "$*" in *"/metrics"*) exec cat '${join(work, 'metrics.txt')}';; esac\nexit 0\n`);
  for (const tool of ['docker', 'curl']) chmodSync(join(bin, tool), 0o755);
  return bin;
}

function probe(metricsBody: string): { status: number | null; stderr: string } {
  const bin = fakeTools(metricsBody);
  const r = spawnSync('bash', ['-c', `source '${script}' && probe`], {
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      ...process.env, PATH: `${bin}:${process.env.PATH}`,
      REGISTRY: '127.0.0.1:5000', FLUX_REMOTE: join(work, 'flux.git'), WORK: work, SERVICE_DIR: root,
      BUILDER_IMAGE: 'builder', RUNTIME_IMAGE: 'runtime', ESLINT: 'eslint',
    },
  });
  return { status: r.status, stderr: r.stderr };
}

const MATCH = 'http_requests_total{handler="/",method="GET",status="200"} 1\n';

describe('baseline-pipeline.sh probe', () => {
  it('passes when the expected series comes first in a /metrics body far larger than a pipe buffer', () => {
    const filler = Array.from({ length: 40_000 }, (_, i) => `filler_metric_${i} ${i}\n`).join('');
    expect(probe(MATCH + filler)).toEqual({ status: 0, stderr: '' });
  });

  it('fails when the expected series is missing', () => {
    expect(probe('other_metric 1\n').status).toBe(1);
  });
});
