import { spawnSync } from 'node:child_process';

/** `promtool check metrics` on `exposition` (stdin): its exit code and one problem per stderr line. */
export function promtoolCheckMetrics(exposition: string): { code: number; problems: string[] } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, problems: result.stderr.split('\n').map((l) => l.trim()).filter(Boolean) };
}

/** True when promtool (Debian package `prometheus`) is installed. */
export function promtoolAvailable(): boolean {
  return spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
}
