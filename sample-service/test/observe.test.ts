/**
 * `npm run observe`: the service and a real Prometheus on loopback. Checks Prometheus scrapes the
 * service, loaded the five alert rules, and that Ctrl-C (SIGINT) stops both and cleans up.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { request } from './support/http.ts';
import { freePort, packageDir } from './support/service.ts';

const prometheus = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

describe.runIf(existsSync(prometheus))('npm run observe', () => {
  it('runs Prometheus scraping the service on loopback with the alert rules, and cleans up on SIGINT', async () => {
    const [port, promPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [join(packageDir, 'scripts', 'observe.ts'), '--port', String(port), '--prometheus-port', String(promPort), '--scrape-interval', '1s', '--duration', '90'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', () => undefined);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 45_000;
      while (!out.includes('(target up)') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      expect(out).toContain('(target up)');
      expect(out).toContain(`http://127.0.0.1:${promPort}/targets`);

      const query = async (expr: string) => {
        const reply = await request(promPort, `/api/v1/query?query=${encodeURIComponent(expr)}`);
        return (reply.json as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
      };
      expect((await query('up{job="sample-service"}'))[0]?.value[1]).toBe('1');
      expect((await query('sample_service_build_info'))[0]?.metric).toMatchObject({ version: 'observe', job: 'sample-service' });
      // The observe command sends traffic to /, so the request counter grows between scrapes.
      let served = 0;
      for (let i = 0; i < 20 && served === 0; i++) {
        served = Number((await query('http_requests_total{handler="/",method="GET",status="200"}'))[0]?.value[1] ?? 0);
        if (served === 0) await new Promise((r) => setTimeout(r, 500));
      }
      expect(served).toBeGreaterThan(0);
      const rules = (await request(promPort, '/api/v1/rules')).json as { data: { groups: Array<{ rules: Array<{ name: string; type: string }> }> } };
      expect(rules.data.groups.flatMap((g) => g.rules).filter((r) => r.type === 'alerting').map((r) => r.name)).toHaveLength(5);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const work = /temp files removed \((.+)\)/.exec(out)?.[1];
    expect(work).toBeDefined();
    expect(existsSync(work!)).toBe(false);
    await expect(request(port, '/livez')).rejects.toThrow();
  });
});
