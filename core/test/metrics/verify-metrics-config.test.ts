// Input conversion and validation (E15) shared by the action context and the CLI, and the small
// pure helpers of the stage and adapters.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DOCKER_ARGS, DEFAULT_EXPECTATION, DEFAULT_LINT_IGNORE, MetricsInputError, parseEnvLines, verifyMetricsConfigFromInputs,
  verifyMetricsContainerName,
} from '../../src/domain/verify-metrics-config.ts';
import { expositionFormatOf, statusMatches } from '../../src/stages/verify-metrics.ts';
import { parsePortOutput, runArgs } from '../../src/adapters/docker-run.ts';
import { parseLintOutput, promtoolCheckMetrics } from '../../src/adapters/promtool.ts';
import { verifyMetricsConfigFromArgv } from '../../src/cli/commands/verify-metrics.ts';

function e15(fn: () => unknown): string {
  try { fn(); } catch (error) {
    expect(error).toBeInstanceOf(MetricsInputError);
    return (error as Error).message;
  }
  throw new Error('expected an E15 error');
}

describe('verifyMetricsConfigFromInputs', () => {
  it('applies the documented defaults (docs/verify-metrics.md)', () => {
    const cfg = verifyMetricsConfigFromInputs({ image: 'app:1' });
    expect(cfg).toMatchObject({
      image: 'app:1', network: 'bridge', port: 8080, env: { ENABLE_METRICS: 'true' }, dockerArgs: DEFAULT_DOCKER_ARGS,
      readinessPath: '/readyz', readinessTimeoutMs: 30_000, probePath: '/', probeCount: 5, probeExpectStatus: '2xx',
      metricsPath: '/metrics', expectations: [DEFAULT_EXPECTATION], expectTimeoutMs: 10_000, maxSeries: 2000, lint: 'warn',
      lintIgnore: DEFAULT_LINT_IGNORE, checkShutdown: true, shutdownTimeoutSeconds: 15, logLines: 200, keepContainer: false,
    });
    expect(cfg.baseUrl).toBeUndefined();
  });

  it('reads every input form', () => {
    const cfg = verifyMetricsConfigFromInputs({
      'base-url': ' http://127.0.0.1:9090 ', network: 'host', env: 'A=1\n# comment\n\nB = two=2', 'docker-args': '--init  --tmpfs /tmp',
      'readiness-timeout': '500ms', 'expect-timeout': '2m', 'shutdown-timeout': '3', 'probe-count': '0', 'lint-ignore': 'a, b\nc',
      'check-shutdown': 'false', 'keep-container': 'TRUE', expect: 'up == 1\n# c\nx', lint: 'off', 'promtool-path': '/usr/bin/promtool',
    });
    expect(cfg).toMatchObject({
      baseUrl: 'http://127.0.0.1:9090', network: 'host', env: { A: '1', B: 'two=2' }, dockerArgs: ['--init', '--tmpfs', '/tmp'],
      readinessTimeoutMs: 500, expectTimeoutMs: 120_000, shutdownTimeoutSeconds: 3, probeCount: 0, lintIgnore: ['a', 'b', 'c'],
      checkShutdown: false, keepContainer: true, expectations: ['up == 1', '# c', 'x'], lint: 'off', promtoolPath: '/usr/bin/promtool',
    });
  });

  it('treats an empty list input as none, an absent one as the default', () => {
    const cfg = verifyMetricsConfigFromInputs({ image: 'app', env: '', 'docker-args': '', 'lint-ignore': '' });
    expect([cfg.env, cfg.dockerArgs, cfg.lintIgnore]).toEqual([{}, [], []]);
  });

  it.each([
    [{}, 'verify-metrics: invalid input image line 1: exactly one of image or base-url is required'],
    [{ image: 'a', 'base-url': 'http://x' }, 'verify-metrics: invalid input base-url line 1: exactly one of image or base-url is required'],
    [{ 'base-url': 'ftp://x' }, 'verify-metrics: invalid input base-url line 1: must be an http:// or https:// URL (got "ftp://x")'],
    [{ image: 'a', expect: 'ok\n\nbad{' }, 'verify-metrics: invalid input expect line 3: expected a label name or "}" at ""'],
    [{ image: 'a', expect: 'm >= x' }, 'verify-metrics: invalid input expect line 1: expected a number after >= (a float, NaN, +Inf or -Inf), got "x"'],
    [{ image: 'a', env: 'A=1\nnot-an-assignment' }, 'verify-metrics: invalid input env line 2: expected KEY=VALUE (got "not-an-assignment")'],
    [{ image: 'a', env: '1A=x' }, 'verify-metrics: invalid input env line 1: expected KEY=VALUE with KEY matching [A-Za-z_][A-Za-z0-9_]* (got "1A")'],
    [{ image: 'a', network: 'overlay' }, 'verify-metrics: invalid input network line 1: must be one of bridge, host (got "overlay")'],
    [{ image: 'a', 'container-port': '70000' }, 'verify-metrics: invalid input container-port line 1: must be a whole number from 1 to 65535 (got "70000")'],
    [{ image: 'a', 'readiness-timeout': 'soon' }, 'verify-metrics: invalid input readiness-timeout line 1: must be a positive number of seconds, or a duration such as 500ms, 30s or 2m (got "soon")'],
    [{ image: 'a', lint: 'strict' }, 'verify-metrics: invalid input lint line 1: must be one of off, warn, error (got "strict")'],
    [{ image: 'a', 'check-shutdown': 'yes' }, 'verify-metrics: invalid input check-shutdown line 1: must be true or false (got "yes")'],
    [{ image: 'a', 'probe-expect-status': '2x' }, 'verify-metrics: invalid input probe-expect-status line 1: must be a status code such as 200 or a class such as 2xx (got "2x")'],
    [{ image: 'a', 'metrics-path': 'metrics' }, 'verify-metrics: invalid input metrics-path line 1: must be a path starting with "/" (got "metrics")'],
    [{ image: 'a', 'docker-args': '--rm' }, 'verify-metrics: invalid input docker-args line 1: --rm is managed by the action (use the network/env inputs instead)'],
    [{ image: 'a', 'docker-args': '--network=none' }, 'verify-metrics: invalid input docker-args line 1: --network is managed by the action (use the network/env inputs instead)'],
    [{ image: 'a b' }, 'verify-metrics: invalid input image line 1: must be an image reference without blanks (got "a b")'],
    [{ image: 'a', expect: '# only a comment' }, 'verify-metrics: invalid input expect line 1: at least one expectation is required'],
  ])('rejects %j', (raw, message) => {
    expect(e15(() => verifyMetricsConfigFromInputs(raw))).toBe(message);
  });

  it('parses env lines keeping = inside values', () => {
    expect(parseEnvLines('URL=http://x/?a=b\n  SPACED = y  ')).toEqual({ URL: 'http://x/?a=b', SPACED: 'y' });
  });
});

describe('trunkline verify-metrics argv', () => {
  it('uses the input names as flags, repeatable where lists are', () => {
    const cfg = verifyMetricsConfigFromArgv(['--network', 'host', '--env', 'A=1', '--env', 'B=2', '--expect', 'up == 1', '--expect', '!down', '--lint-ignore', 'x', 'img:1']);
    expect(cfg).toMatchObject({ image: 'img:1', network: 'host', env: { A: '1', B: '2' }, expectations: ['up == 1', '!down'], lintIgnore: ['x'] });
  });

  it('names unknown flags and bad values', () => {
    expect(() => verifyMetricsConfigFromArgv(['--imag', 'x'])).toThrow(/--imag/);
    expect(e15(() => verifyMetricsConfigFromArgv(['--base-url', 'http://x', '--expect', 'a{']))).toContain('invalid input expect line 1');
  });
});

describe('stage helpers', () => {
  it('matches probe statuses exactly or by class', () => {
    expect([statusMatches(200, '2xx'), statusMatches(204, '2xx'), statusMatches(301, '2xx'), statusMatches(200, '200'), statusMatches(201, '200')])
      .toEqual([true, true, false, true, false]);
  });

  it('accepts the exposition Content-Types Prometheus accepts', () => {
    expect(expositionFormatOf('text/plain; version=0.0.4; charset=utf-8')).toBe('text');
    expect(expositionFormatOf('text/plain')).toBe('text');
    expect(expositionFormatOf('text/plain;version="0.0.4"')).toBe('text');
    expect(expositionFormatOf('application/openmetrics-text; version=1.0.0; charset=utf-8')).toBe('openmetrics');
    expect(expositionFormatOf('application/json')).toBeUndefined();
    expect(expositionFormatOf('text/plain; version=9.9')).toBeUndefined();
    expect(expositionFormatOf(undefined)).toBeUndefined();
  });
});

describe('docker-run and promtool helpers', () => {
  it('builds docker run argv with label, env file and network or published port', () => {
    const base = { image: 'app:1', name: 'vm-1-1-abcdef', labels: { 'org.trunkline.verify-metrics': '42' }, env: { SECRET: 'x' }, extraArgs: ['--read-only'] };
    expect(runArgs({ ...base, network: 'bridge', publishPort: 8080 }, '/tmp/env')).toEqual([
      'run', '-d', '--name', 'vm-1-1-abcdef', '--label', 'org.trunkline.verify-metrics=42', '--env-file', '/tmp/env',
      '--publish', '127.0.0.1::8080', '--read-only', 'app:1',
    ]);
    const host = runArgs({ ...base, network: 'host', publishPort: 8080 }, '/tmp/env');
    expect(host).toEqual([
      'run', '-d', '--name', 'vm-1-1-abcdef', '--label', 'org.trunkline.verify-metrics=42', '--env-file', '/tmp/env',
      '--network', 'host', '--read-only', 'app:1',
    ]);
    expect(host.join(' ')).not.toContain('SECRET');
  });

  it('reads the loopback port from docker port output', () => {
    expect(parsePortOutput('127.0.0.1:49153\n')).toBe(49153);
    expect(parsePortOutput('[::1]:49154\n0.0.0.0:49155\n')).toBe(49155);
    expect(parsePortOutput('')).toBeUndefined();
  });

  it('makes unique, docker-safe container names', () => {
    const a = verifyMetricsContainerName('123/x', '1');
    expect(a).toMatch(/^vm-123-x-1-[0-9a-f]{6}$/);
    expect(verifyMetricsContainerName('123/x', '1')).not.toBe(a);
  });

  it('reports what the real promtool says: problems (exit 3), a parse error (exit 1)', async () => {
    expect(await promtoolCheckMetrics('promtool', '# HELP x_total a\n# TYPE x_total gauge\nx_total 1\n')).toEqual({
      exitCode: 3, problems: [{ metric: 'x_total', problem: 'non-counter metrics should not have "_total" suffix' }],
    });
    const broken = await promtoolCheckMetrics('promtool', 'x{a="1" 1\n');
    expect(broken.exitCode).toBe(1);
    expect(broken.parseError).toMatch(/parsing error in line 1/);
  });

  it('never reports a silent promtool failure as a clean lint', async () => {
    // `false` stands in for a promtool that exits non-zero without a word (a broken install).
    expect(await promtoolCheckMetrics('false', 'x 1\n')).toEqual({ exitCode: 1, problems: [], parseError: 'exit code 1' });
  });

  it('splits promtool problems into metric and text', () => {
    expect(parseLintOutput('nodejs_active_handles_total non-counter metrics should not have "_total" suffix\nfoo no help text\n')).toEqual([
      { metric: 'nodejs_active_handles_total', problem: 'non-counter metrics should not have "_total" suffix' },
      { metric: 'foo', problem: 'no help text' },
    ]);
  });
});
