// Local infrastructure starts its daemons through the process adapter: a real child, a real log
// file, a real registry answering the distribution API, and a stop that really ends it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessError, startBackground } from '../../src/adapters/process.ts';
import { registryAnswers, startRegistry } from '../../src/local/registry.ts';
import { scratchDirs } from '../support/scratch.ts';

const tempDir = scratchDirs();

describe('startBackground', () => {
  it('appends the child output to the log file and stops it with SIGTERM', async () => {
    const logFile = join(tempDir('trunkline-bg-'), 'child.log');
    const child = await startBackground(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], { logFile });
    expect(child.exitCode()).toBeNull();
    await expect.poll(() => readFileSync(logFile, 'utf8')).toBe('up\n');
    await child.stop();
    expect(child.exitCode()).not.toBeNull();
  });

  it('rejects with a ProcessError naming the program when it cannot start', async () => {
    const logFile = join(tempDir('trunkline-bg-'), 'missing.log');
    const started = startBackground('/nonexistent/trunkline-daemon', ['serve'], { logFile });
    await expect(started).rejects.toBeInstanceOf(ProcessError);
    await expect(started).rejects.toThrow(/\/nonexistent\/trunkline-daemon serve could not start \(ENOENT\)/);
  });
});

describe('startRegistry', () => {
  it('answers /v2/ until stopped, then no longer', async () => {
    const registry = await startRegistry();
    expect(await registryAnswers(registry.host)).toBe(true);
    await registry.stop();
    expect(await registryAnswers(registry.host)).toBe(false);
  });
});
