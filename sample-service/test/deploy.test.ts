/**
 * Deployment artefacts (README.md, "Deployment"): the Helm chart rendered with a
 * Go-template subset renderer (Helm cannot be installed here), the Flux objects, and the alert rules
 * checked by promtool. The central check: the values CI's GitOps bump edits — `image.repository`,
 * `image.tag`, `image.digest` in the HelmRelease's `spec.values` or in values.yaml — are exactly what
 * the Deployment's container image is made of.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, parseDocument, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { loadChart, renderChart } from './support/helm-template.ts';
import { promtoolAvailable } from './support/promtool.ts';
import { packageDir } from './support/service.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- rendered Kubernetes objects

const chartDir = join(packageDir, 'deploy', 'chart');
const fluxDir = join(packageDir, 'deploy', 'flux');
const monitoringDir = join(packageDir, 'monitoring');
const helmReleaseText = readFileSync(join(fluxDir, 'helmrelease.yaml'), 'utf8');
const chart = loadChart(chartDir);

/** Renders the chart and returns every object, checking each template's output is valid YAML. */
function objects(values: Obj = {}): Obj[] {
  const out: Obj[] = [];
  for (const [file, text] of renderChart(chart, values)) {
    expect(text, file).not.toContain('<no value>');
    for (const doc of parseAllDocuments(text)) {
      expect(doc.errors, `${file}: ${doc.errors.join('; ')}`).toEqual([]);
      const obj = doc.toJS() as Obj | null;
      if (obj) out.push(obj);
    }
  }
  return out;
}

function one(objs: Obj[], kind: string, name?: string): Obj {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found.map((o) => `${o.kind}/${o.metadata.name}`)).toHaveLength(1);
  return found[0]!;
}

function helmReleaseValues(text = helmReleaseText): Obj {
  return (parse(text) as Obj).spec.values as Obj;
}

function containerImage(objs: Obj[]): string {
  return one(objs, 'Deployment').spec.template.spec.containers[0].image as string;
}

describe('Flux HelmRelease and its source', () => {
  const release = parse(helmReleaseText) as Obj;
  const source = parse(readFileSync(join(fluxDir, 'gitrepository.yaml'), 'utf8')) as Obj;

  it('is a helm.toolkit.fluxcd.io/v2 HelmRelease with interval 10m and 3 remediation retries', () => {
    expect(release).toMatchObject({
      apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease',
      spec: { interval: '10m', install: { remediation: { retries: 3 } }, upgrade: { remediation: { retries: 3 } } },
    });
  });

  it('takes the chart from the GitRepository it ships with, at a path that holds this chart', () => {
    const ref = release.spec.chart.spec.sourceRef;
    expect(source).toMatchObject({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' });
    expect(ref).toEqual({ kind: source.kind, name: source.metadata.name, namespace: source.metadata.namespace });
    const chartPath = String(release.spec.chart.spec.chart);
    expect(existsSync(join(packageDir, '..', chartPath, 'Chart.yaml'))).toBe(true);
    expect(source.spec.ignore).toContain(`!/${chartPath.replace(/^\.\//, '')}/`);
  });

  it('names the image with image.repository, image.tag and image.digest, tag as a string', () => {
    const image = helmReleaseValues().image as Obj;
    expect(Object.keys(image).sort()).toEqual(['digest', 'repository', 'tag']);
    expect(typeof image.tag).toBe('string');
    expect(parseDocument(helmReleaseText).getIn(['spec', 'values', 'image', 'tag'], true)).toMatchObject({ type: 'QUOTE_DOUBLE' });
  });

  it('kustomization lists every Flux object in the directory', () => {
    const kustomization = parse(readFileSync(join(fluxDir, 'kustomization.yaml'), 'utf8')) as Obj;
    expect([...kustomization.resources].sort()).toEqual(['gitrepository.yaml', 'helmrelease.yaml', 'namespace.yaml']);
  });
});

describe('the values the GitOps bump edits are the ones the Deployment runs', () => {
  it('renders repository:tag from the HelmRelease spec.values', () => {
    const values = helmReleaseValues();
    expect(containerImage(objects(values))).toBe(`${values.image.repository}:${values.image.tag}`);
  });

  it('renders repository:tag from values.yaml alone', () => {
    const defaults = chart.values as Obj;
    expect(containerImage(objects())).toBe(`${defaults.image.repository}:${defaults.image.tag}`);
  });

  it('follows a bump of the tag and the digest made in the HelmRelease text (YAML Document API, as the bump edits it)', () => {
    const doc = parseDocument(helmReleaseText);
    const digest = `sha256:${'ab'.repeat(32)}`;
    doc.setIn(['spec', 'values', 'image', 'tag'], 'sha-0123abc');
    doc.setIn(['spec', 'values', 'image', 'digest'], digest);
    const bumped = helmReleaseValues(doc.toString());
    expect(containerImage(objects(bumped))).toBe(`${bumped.image.repository}:sha-0123abc@${digest}`);
  });

  it.each(['repository', 'tag', 'digest'])('changing only image.%s changes the Deployment image (no other key feeds it)', (key) => {
    const values = helmReleaseValues();
    const before = containerImage(objects(values));
    const changed = { ...values, image: { ...values.image, [key]: key === 'digest' ? `sha256:${'cd'.repeat(32)}` : key === 'tag' ? '9.9.9' : 'registry.example/other' } };
    const after = containerImage(objects(changed));
    expect(after).not.toBe(before);
    expect(after).toContain(changed.image[key] as string);
  });
});

describe('chart objects', () => {
  const all = objects(helmReleaseValues());

  it('renders the expected set of objects with the HelmRelease values (HPA, ServiceMonitor and PrometheusRule on)', () => {
    expect(all.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/sample-service', 'HorizontalPodAutoscaler/sample-service', 'NetworkPolicy/sample-service-allow',
      'NetworkPolicy/sample-service-default-deny', 'PodDisruptionBudget/sample-service', 'PrometheusRule/sample-service',
      'Service/sample-service', 'ServiceAccount/sample-service', 'ServiceMonitor/sample-service',
    ]);
    for (const o of all) expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'sample-service', 'app.kubernetes.io/instance': 'sample-service' });
  });

  it('Deployment: restricted security context, UID 65532, read-only root, no token, no volumes', () => {
    const pod = one(all, 'Deployment').spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod.containers[0];
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsUser: 65532, runAsNonRoot: true });
    expect(pod.volumes).toBeUndefined();
    expect(container.volumeMounts).toBeUndefined();
  });

  it('Deployment: probes, resources, port and the grace period that covers the shutdown deadline', () => {
    const pod = one(all, 'Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.startupProbe).toEqual({ httpGet: { path: '/livez', port: 'http' }, periodSeconds: 2, failureThreshold: 15 });
    expect(c.livenessProbe).toEqual({ httpGet: { path: '/livez', port: 'http' }, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 });
    expect(c.readinessProbe).toEqual({ httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 2 });
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
    const env = Object.fromEntries((c.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ ENABLE_METRICS: 'true', ADMIN_FLAGS_ENABLED: 'false', PORT: '8080' });
    const config = loadConfig(env); // the service itself accepts what the chart renders
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Math.ceil(config.shutdownTimeoutMs / 1000) + 5);
    expect(c.lifecycle).toBeUndefined(); // in-app drain, not preStop as well
  });

  it('rejects nothing the service would: every env value rendered from values.yaml passes its validation', () => {
    const c = one(objects(), 'Deployment').spec.template.spec.containers[0];
    expect(() => loadConfig(Object.fromEntries((c.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value])))).not.toThrow();
  });

  it('selectors of the Service, PDB, NetworkPolicies and ServiceMonitor all match the pods; the HPA targets the Deployment', () => {
    const deployment = one(all, 'Deployment');
    const podLabels = deployment.spec.template.metadata.labels as Obj;
    expect(deployment.spec.selector.matchLabels).toEqual(podLabels);
    expect(deployment.spec.replicas).toBeUndefined(); // the HPA owns the count
    const service = one(all, 'Service');
    expect(service.spec.selector).toEqual(podLabels);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    expect(one(all, 'PodDisruptionBudget').spec).toEqual({ minAvailable: 1, selector: { matchLabels: podLabels } });
    for (const np of all.filter((o) => o.kind === 'NetworkPolicy')) expect(np.spec.podSelector.matchLabels).toEqual(podLabels);
    const monitor = one(all, 'ServiceMonitor');
    expect(monitor.spec.selector.matchLabels).toEqual(podLabels);
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    expect(one(all, 'HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
  });

  it('has a default-deny NetworkPolicy, and the allow policy opens only the http port and DNS', () => {
    expect(one(all, 'NetworkPolicy', 'sample-service-default-deny').spec).toEqual({
      podSelector: expect.any(Object), policyTypes: ['Ingress', 'Egress'],
    });
    const allow = one(all, 'NetworkPolicy', 'sample-service-allow').spec;
    expect(allow.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }], from: [{ podSelector: {} }] }]);
    expect(allow.egress).toHaveLength(1);
    expect(allow.egress[0].ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
  });

  it('with chart defaults: 2 replicas, PDB, no HPA and no Prometheus Operator objects', () => {
    const defaults = objects();
    expect(one(defaults, 'Deployment').spec.replicas).toBe(2);
    expect(defaults.map((o) => o.kind)).not.toEqual(expect.arrayContaining(['HorizontalPodAutoscaler']));
    expect(defaults.some((o) => o.kind === 'ServiceMonitor' || o.kind === 'PrometheusRule')).toBe(false);
    expect(defaults.some((o) => o.kind === 'PodDisruptionBudget')).toBe(true);
    expect(objects({ replicaCount: 1 }).some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
  });

  it('renders numbers the way Helm does (float64 %v), so a large value in values.yaml is caught by the service\'s validation', () => {
    const c = one(objects({ config: { shutdownTimeoutMs: 1_000_000 } }), 'Deployment').spec.template.spec.containers[0];
    const value = (c.env as Array<{ name: string; value: string }>).find((e) => e.name === 'SHUTDOWN_TIMEOUT_MS')!.value;
    expect(value).toBe('1e+06');
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: value })).toThrow(/SHUTDOWN_TIMEOUT_MS/);
  });
});

describe('alert rules', () => {
  const rulesFile = join(monitoringDir, 'prometheus-rules.yaml');

  it('the chart\'s PrometheusRule holds exactly the rules of monitoring/prometheus-rules.yaml', () => {
    const rendered = one(objects(helmReleaseValues()), 'PrometheusRule');
    expect(rendered.spec).toEqual(parse(readFileSync(rulesFile, 'utf8')));
  });

  it('defines the five alerts with severity, service label and runbook', () => {
    const rules = (parse(readFileSync(rulesFile, 'utf8')) as Obj).groups[0].rules as Obj[];
    expect(rules.map((r) => [r.alert, r.labels.severity, r.for])).toEqual([
      ['SampleServiceTargetDown', 'critical', '2m'], ['SampleServiceHighErrorRate', 'warning', '5m'],
      ['SampleServiceHighLatencyP95', 'warning', '5m'], ['SampleServiceNoTraffic', 'info', '10m'],
      ['SampleServiceMetricsHandlerErrors', 'warning', undefined],
    ]);
    for (const r of rules) {
      expect(r.labels.service).toBe('sample-service');
      expect(r.annotations.runbook_url).toMatch(/RUNBOOK\.md#/);
      const anchor = String(r.annotations.runbook_url).split('#')[1];
      expect(readFileSync(join(monitoringDir, 'RUNBOOK.md'), 'utf8').toLowerCase()).toContain(`## ${anchor}`);
    }
  });

  describe.runIf(promtoolAvailable())('promtool', () => {
    const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: monitoringDir, encoding: 'utf8' });

    it('check rules passes on the rule file', () => {
      const result = promtool('check', 'rules', 'prometheus-rules.yaml');
      expect(result.stdout + result.stderr).toContain('SUCCESS: 5 rules found');
      expect(result.status).toBe(0);
    });

    it('test rules passes: a firing and a silent case per alert', () => {
      const result = promtool('test', 'rules', 'prometheus-rules.test.yaml');
      expect(result.stdout + result.stderr).toContain('SUCCESS');
      expect(result.status).toBe(0);
      const tests = (parse(readFileSync(join(monitoringDir, 'prometheus-rules.test.yaml'), 'utf8')) as Obj).tests as Obj[];
      const cases = tests.flatMap((t) => t.alert_rule_test as Obj[]);
      for (const name of ['SampleServiceTargetDown', 'SampleServiceHighErrorRate', 'SampleServiceHighLatencyP95', 'SampleServiceNoTraffic', 'SampleServiceMetricsHandlerErrors']) {
        expect(cases.some((c) => c.alertname === name && c.exp_alerts.length > 0), `${name} fires`).toBe(true);
        expect(cases.some((c) => c.alertname === name && c.exp_alerts.length === 0), `${name} stays silent`).toBe(true);
      }
    });

    it('check rules passes on the chart-rendered rules with another job selector', () => {
      const rendered = one(objects({ prometheusRule: { enabled: true, jobSelector: 'prod/sample-service' } }), 'PrometheusRule');
      expect(JSON.stringify(rendered.spec)).toContain('job=~\\"prod/sample-service\\"');
      const dir = mkdtempSync(join(tmpdir(), 'sample-service-rules-'));
      try {
        writeFileSync(join(dir, 'rules.yaml'), stringify(rendered.spec));
        const result = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
        expect(result.status, result.stderr).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
