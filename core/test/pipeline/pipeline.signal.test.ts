// Stopping `trunkline pipeline` with a signal while the metrics probe's container runs: real
// dockerd, registry and build. The probe expects a metric the service never exposes, so its
// container stays up for the whole expect-timeout and the signal lands inside verify-metrics.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/adapters/process.ts';
import { VERIFY_METRICS_LABEL, listLabelledContainers } from '../../src/adapters/docker-run.ts';
import { freePort } from '../../src/adapters/free-port.ts';
import type { SummaryDocument } from '../../src/report/summary-file.ts';
import { prepareDocker } from '../support/infra.ts';
import { repoRoot } from '../support/paths.ts';
import { scratchDirs } from '../support/scratch.ts';

const tempDir = scratchDirs();
const stateDirs: string[] = [];

/** Polls until the run's probe container exists; the test's own timeout bounds the wait. */
async function probeContainerOf(runId: string, exited: () => boolean): Promise<string[]> {
  for (;;) {
    if (exited()) throw new Error('the pipeline ended before its probe container started');
    const ids = await listLabelledContainers(VERIFY_METRICS_LABEL, runId);
    if (ids.length) return ids;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('trunkline pipeline stopped by a signal (real docker)', () => {
  beforeAll(async () => { await prepareDocker(); });
  afterAll(async () => {
    // The pipeline leaves its registry running for the next run; the test stops its own.
    for (const dir of stateDirs) {
      const pids = await run('pgrep', ['-f', `${dir}/registry/config.yml`], { allowFailure: true });
      for (const pid of pids.stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGTERM');
    }
  });

  it.each([['SIGTERM', 143], ['SIGINT', 130]] as const)('%s during verify-metrics removes the container, writes the summary, exits %i', async (signal, exitCode) => {
    const stateDir = tempDir('trunkline-signal-');
    stateDirs.push(stateDir);
    const child = spawn(process.execPath, [
      join(repoRoot, 'core/src/cli/main.ts'), 'pipeline', '--state-dir', stateDir, '--registry-port', String(await freePort()),
      '--no-lint', '--expect', 'trunkline_never_exposed_total >= 1',
    ], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let exited = false;
    void closed.then(() => { exited = true; });
    // The CLI is this node process itself, so its pid names the run (`local-<pid>`).
    const runId = `local-${child.pid}`;

    expect(await probeContainerOf(runId, () => exited)).not.toEqual([]);
    child.kill(signal);
    const code = await closed;

    expect(code, out).toBe(exitCode);
    expect(await listLabelledContainers(VERIFY_METRICS_LABEL, runId)).toEqual([]);
    const summary = JSON.parse(readFileSync(join(stateDir, 'summary.json'), 'utf8')) as SummaryDocument & { interrupted?: string };
    expect(summary.interrupted).toBe(signal);
    expect(summary.passed).toBe(false);
    const stages = Object.fromEntries(summary.stages.map((s) => [s.name, s]));
    expect(stages['verify-metrics']).toMatchObject({ status: 'failed', error: `verify-metrics was interrupted by ${signal}` });
    expect(stages.build?.status).toBe('passed');
    expect(stages['sign-and-push']).toMatchObject({ status: 'skipped', notes: [`not run: the pipeline was interrupted by ${signal}`] });
  }, 600_000);
});
