/**
 * Feature flags (README.md, "Feature flags (OpenFeature)"): admin patch validation, the snapshot read
 * on the hot path (no OpenFeature evaluation per request), and flagd in offline file mode.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFeature } from '@openfeature/server-sdk';
import type { Hook } from '@openfeature/server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFlagPatch } from '../src/flags/flags.ts';
import { request } from './support/http.ts';
import { startInProcess } from './support/service.ts';
import type { InProcessService } from './support/service.ts';

const running: InProcessService[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((s) => s.stop())); });

describe('parseFlagPatch', () => {
  it.each([
    ['{}', { patch: {} }],
    ['{"greeting":"Hi"}', { patch: { greeting: 'Hi' } }],
    ['{"metrics_enabled":false,"greeting":""}', { patch: { metrics_enabled: false, greeting: '' } }],
  ])('accepts %s', (body, expected) => {
    expect(parseFlagPatch(body)).toEqual(expected);
  });

  it.each([
    ['', 'invalid_json'], ['{', 'invalid_json'], ['"text"', 'invalid_json'], ['[]', 'invalid_json'], ['42', 'invalid_json'],
    ['{"tracing_enabled":true}', 'unknown_flag'], ['{"metrics_enabled":1}', 'invalid_flag_type'],
    ['{"greeting":null}', 'invalid_flag_type'], [JSON.stringify({ greeting: 'x'.repeat(1025) }), 'invalid_flag_type'],
  ])('rejects %j as %s', (body, code) => {
    const result = parseFlagPatch(body);
    expect('error' in result && result.error.error).toBe(code);
  });
});

describe('snapshot on the hot path', () => {
  it('serves 200 requests with at most the evaluations of the refresh, never one per request', async () => {
    let evaluations = 0;
    const counter: Hook = { before: () => { evaluations++; } };
    OpenFeature.addHooks(counter);
    try {
      const svc = await startInProcess({ ENABLE_METRICS: 'true' });
      running.push(svc);
      const before = evaluations;
      for (let i = 0; i < 200; i++) await request(svc.port, i % 2 ? '/' : '/metrics');
      // Only the fallback poll (every 5 s, 2 flags) may evaluate meanwhile.
      expect(evaluations - before).toBeLessThanOrEqual(2);
    } finally {
      OpenFeature.clearHooks();
    }
  });
});

describe('flagd provider, offline file mode (FLAGD_RESOLVER=in-process)', () => {
  function flagFile(dir: string, greeting: string, metricsEnabled: boolean): string {
    const path = join(dir, 'flags.json');
    const definition = {
      flags: {
        greeting: { state: 'ENABLED', variants: { current: greeting }, defaultVariant: 'current' },
        metrics_enabled: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: metricsEnabled ? 'on' : 'off' },
      },
    };
    // Write a temp file and rename it, so the provider's poll never reads half a file.
    writeFileSync(`${path}.tmp`, JSON.stringify(definition));
    renameSync(`${path}.tmp`, path);
    return path;
  }

  it('serves the flags from the file, and an edit is visible within the 5 s poll + 1 s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-service-flagd-'));
    try {
      const path = flagFile(dir, 'Hello from flagd', false);
      const svc = await startInProcess({ FLAGS_PROVIDER: 'flagd', FLAGD_RESOLVER: 'in-process', FLAGD_OFFLINE_FLAG_SOURCE_PATH: path, ENABLE_METRICS: 'true' });
      running.push(svc);
      expect((await request(svc.port, '/')).json).toEqual({ message: 'Hello from flagd' });
      expect((await request(svc.port, '/metrics')).status).toBe(404);

      await new Promise((r) => setTimeout(r, 1100)); // a new mtime second, so the file watcher sees the change
      flagFile(dir, 'Edited in flagd', true);
      const edited = performance.now();
      let message: unknown;
      while (performance.now() - edited < 6000) {
        message = (await request(svc.port, '/')).json;
        if ((message as { message: string }).message === 'Edited in flagd') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(message).toEqual({ message: 'Edited in flagd' });
      expect((await request(svc.port, '/metrics')).status).toBe(200);
      expect(svc.logs.some((l) => l.msg === 'flags_changed' && l.provider === 'flagd')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
