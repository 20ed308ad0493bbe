import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('loadConfig (README: Configuration)', () => {
  it('uses the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080, host: '0.0.0.0', enableMetrics: false, defaultCollectors: true, adminFlagsEnabled: false,
      adminToken: undefined, flagsProvider: 'memory', flagsInitTimeoutMs: 3000, flagsRefreshMs: 5000, readinessChecks: [],
      readinessCheckTimeoutMs: 500, readinessCacheMs: 1000, shutdownDrainDelayMs: 5000, shutdownTimeoutMs: 20_000,
      keepAliveTimeoutMs: 65_000, logLevel: 'info', accessLog: 'errors', slowRequestMs: 500, appVersion: 'unknown', gitSha: 'unknown',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9090', HOST: '127.0.0.1', ENABLE_METRICS: 'TRUE', METRICS_DEFAULT_COLLECTORS: '0', ADMIN_FLAGS_ENABLED: '1',
      ADMIN_TOKEN: 'a-long-enough-token', FLAGS_PROVIDER: 'flagd', READINESS_TCP_CHECKS: 'cache=redis.internal:6379, queue=[::1]:5672',
      DATABASE_URL: 'postgres://app:s3cret@db.internal/app', SHUTDOWN_DRAIN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'debug', ACCESS_LOG: 'all', APP_VERSION: 'v1.2.3', GIT_SHA: '0123456789abcdef',
    });
    expect(config).toMatchObject({
      port: 9090, host: '127.0.0.1', enableMetrics: true, defaultCollectors: false, adminFlagsEnabled: true,
      adminToken: 'a-long-enough-token', flagsProvider: 'flagd', shutdownDrainDelayMs: 0, shutdownTimeoutMs: 1000,
      logLevel: 'debug', accessLog: 'all', appVersion: 'v1.2.3', gitSha: '0123456789abcdef',
    });
    expect(config.readinessChecks).toEqual([
      { name: 'cache', host: 'redis.internal', port: 6379 },
      { name: 'queue', host: '::1', port: 5672 },
      { name: 'database', host: 'db.internal', port: 5432 },
    ]);
  });

  it.each([
    ['PORT', 'abc'], ['PORT', '0'], ['PORT', '65536'], ['PORT', '80.5'], ['HOST', 'not a host'],
    ['ENABLE_METRICS', 'ture'], ['METRICS_DEFAULT_COLLECTORS', 'yes'], ['ADMIN_FLAGS_ENABLED', 'on'],
    ['ADMIN_TOKEN', 'short'], ['FLAGS_PROVIDER', 'launchdarkly'], ['FLAGS_INIT_TIMEOUT_MS', '-1'],
    ['FLAGS_REFRESH_MS', '10'], ['READINESS_TCP_CHECKS', 'db'], ['READINESS_TCP_CHECKS', 'db=host'],
    ['READINESS_TCP_CHECKS', 'Db=host:1'], ['READINESS_TCP_CHECKS', 'a=h:1,a=h:2'], ['READINESS_CHECK_TIMEOUT_MS', '0'],
    ['SHUTDOWN_DRAIN_DELAY_MS', '1s'], ['KEEP_ALIVE_TIMEOUT_MS', '10'], ['LOG_LEVEL', 'trace'], ['ACCESS_LOG', 'some'],
    ['SLOW_REQUEST_MS', 'x'], ['APP_VERSION', 'has space'], ['GIT_SHA', '"quoted"'], ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'cockroach://db'],
  ])('rejects %s=%j with a ConfigError naming the variable', (variable, bad) => {
    let caught: unknown;
    try { loadConfig({ [variable]: bad }); } catch (error) { caught = error; }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message).toMatch(new RegExp(`^${variable} must be `));
  });

  it('requires SHUTDOWN_TIMEOUT_MS >= SHUTDOWN_DRAIN_DELAY_MS + 1000', () => {
    expect(() => loadConfig({ SHUTDOWN_DRAIN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '5999' })).toThrow(/SHUTDOWN_TIMEOUT_MS must be at least .*6000/);
    expect(loadConfig({ SHUTDOWN_DRAIN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '6000' }).shutdownTimeoutMs).toBe(6000);
  });

  it('never echoes DATABASE_URL or ADMIN_TOKEN values in errors (they carry credentials)', () => {
    for (const env of [{ DATABASE_URL: 'cockroach://user:hunter2@db' }, { ADMIN_TOKEN: 'hunter2 x' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      try { loadConfig(env); } catch (error) { expect((error as Error).message).not.toContain('hunter2'); }
    }
  });

  it('treats empty strings as unset (Kubernetes renders optional values as "")', () => {
    expect(loadConfig({ PORT: '', ENABLE_METRICS: ' ', ADMIN_TOKEN: '' })).toMatchObject({ port: 8080, enableMetrics: false, adminToken: undefined });
  });
});
