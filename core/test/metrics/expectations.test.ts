// The expectation language (docs/verify-metrics.md, "Expectation language"): syntax, PromQL-like matching and the verdict rules, against
// real recorded expositions (prom-client and the Prometheus server's own /metrics).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../src/domain/exposition.ts';
import {
  ExpectationSyntaxError, evaluateAll, evaluateExpectation, formatExpectation, parseExpectation, parseExpectations, presentSeries,
} from '../../src/domain/expectations.ts';

const scrape = (name: string) => parseExposition(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));
const promClient = scrape('accept-prom-client-no-defaults.prom');
const check = (text: string, exp = promClient) => evaluateExpectation(parseExpectation(text), exp.samples);

describe('parseExpectation', () => {
  it('reads the full grammar', () => {
    expect(parseExpectation('!http_requests_total{handler!~"/|/livez", method = "GET" ,}')).toEqual({
      source: '!http_requests_total{handler!~"/|/livez", method = "GET" ,}', line: 1, absent: true, metric: 'http_requests_total',
      matchers: [{ label: 'handler', op: '!~', value: '/|/livez' }, { label: 'method', op: '=', value: 'GET' }],
    });
    expect(parseExpectation('x_bucket{le="+Inf"} >= 5').comparison).toEqual({ op: '>=', value: 5 });
    expect(parseExpectation('x != NaN').comparison!.value).toBeNaN();
    expect(parseExpectation('x < -Inf').comparison!.value).toBe(-Infinity);
    expect(parseExpectation('m{a="q\\"uote\\\\"}').matchers[0]!.value).toBe('q"uote\\');
  });

  it.each([
    ['{a="b"} > 1', 'expected a metric name'],
    ['m{a=b}', 'expected a double-quoted value for label a'],
    ['m{a~"b"}', 'expected =, !=, =~ or !~ after label a'],
    ['m{a="b"', 'expected "," or "}" after the value of label a'],
    ['m{a="b}', 'unterminated quoted value'],
    ['m >= five', 'expected a number after >='],
    ['m => 1', 'expected a comparison'],
    ['m{a=~"("}', 'invalid regex for label a'],
    ['!m > 1', 'cannot be combined with a comparison'],
    ['m 1', 'expected a comparison'],
  ])('rejects %s', (text, reason) => {
    expect(() => parseExpectation(text, 3)).toThrow(ExpectationSyntaxError);
    try { parseExpectation(text, 3); } catch (e) {
      expect((e as ExpectationSyntaxError).reason).toContain(reason);
      expect((e as ExpectationSyntaxError).line).toBe(3);
    }
  });

  it('skips comments and blank lines but counts them in line numbers', () => {
    const list = parseExpectations('# what we check\n\nup == 1 # trailing comment\nm{a="#not a comment"}\n');
    expect(list.map((e) => [e.line, e.source])).toEqual([[3, 'up == 1'], [4, 'm{a="#not a comment"}']]);
    expect(() => parseExpectations(['ok', '', 'bad{'])).toThrow(/line 3/);
  });

  it('formats back to canonical syntax', () => {
    expect(formatExpectation(parseExpectation('! m { a = "x\\n" , b=~"y" }'))).toBe('!m{a="x\\n",b=~"y"}');
    expect(formatExpectation(parseExpectation('m>=+Inf'))).toBe('m >= +Inf');
  });
});

describe('evaluateExpectation', () => {
  it('sums the matched samples and compares', () => {
    expect(check('http_requests_total{handler="/",method="GET",status="200"} >= 3')).toEqual({
      expectation: 'http_requests_total{handler="/",method="GET",status="200"} >= 3', matched: 1, value: 3, pass: true,
    });
    expect(check('http_requests_total{handler="/"} == 4')).toMatchObject({ matched: 2, value: 4, pass: true });
    expect(check('http_requests_total > 7')).toMatchObject({ matched: 5, value: 7, pass: false });
    expect(check('http_request_duration_seconds_bucket{handler="/",method="GET",le="+Inf"} >= 3').pass).toBe(true);
    expect(check('http_request_duration_seconds_bucket{handler="/",method="GET",le="0.005"} == 2').pass).toBe(true);
    expect(check('promhttp_metric_handler_errors_total{cause="gathering"} == 0')).toMatchObject({ matched: 1, value: 0, pass: true });
  });

  it('matches the sample name exactly', () => {
    expect(check('http_request_duration_seconds')).toMatchObject({ matched: 0, pass: false, value: null });
    expect(check('http_request_duration_seconds_count').matched).toBe(5);
  });

  it('anchors regexes and treats missing labels as empty, as PromQL does', () => {
    expect(check('http_requests_total{handler=~"/"}').matched).toBe(2);
    expect(check('http_requests_total{handler=~"/.*"}').matched).toBe(4);
    expect(check('http_requests_total{handler=~"read"}').matched).toBe(0);
    expect(check('http_requests_total{nope=""}').matched).toBe(5);
    expect(check('http_requests_total{nope!=""}').matched).toBe(0);
    expect(check('http_requests_total{status!="200"}').matched).toBe(1);
  });

  it('passes a cardinality guard only when nothing matches', () => {
    const guard = '!http_requests_total{handler!~"/|/livez|/readyz|/metrics|/admin/flags|/admin/flags/reset|unmatched"}';
    expect(check(guard)).toMatchObject({ pass: true, matched: 0 });
    expect(check('!http_requests_total{handler="unmatched"}')).toMatchObject({ pass: false, matched: 1, value: 1 });
  });

  it('requires a match for comparisons, so == 0 cannot pass on an absent series', () => {
    expect(check('no_such_metric == 0')).toMatchObject({ matched: 0, value: null, pass: false });
  });

  it('never lets NaN satisfy a comparison and reports non-finite values as strings', () => {
    const exp = parseExposition('# TYPE g gauge\ng{k="nan"} NaN\ng{k="inf"} +Inf\n');
    expect(check('g{k="nan"} != 1', exp)).toMatchObject({ pass: false, value: 'NaN' });
    expect(check('g{k="nan"} == NaN', exp).pass).toBe(false);
    expect(check('g{k="inf"} > 1e308', exp)).toMatchObject({ pass: true, value: '+Inf' });
  });

  it('works on any exporter: the Prometheus server’s own metrics', () => {
    const prom = scrape('accept-prometheus-2.42-self.prom');
    const results = evaluateAll(parseExpectations([
      'prometheus_build_info{version="2.42.0+ds"} == 1',
      'prometheus_http_requests_total{handler="/metrics",code="200"} >= 1',
      'go_goroutines > 0',
      '!prometheus_build_info{goversion!~"go1\\\\..*"}',
    ]), prom);
    expect(results.map((r) => r.pass)).toEqual([true, true, true, true]);
  });

  it('lists what is present instead of a missing series', () => {
    expect(presentSeries('http_requests_total', promClient.samples, 2)).toEqual([
      'http_requests_total{handler="/",method="GET",status="200"} 3',
      'http_requests_total{handler="/readyz",method="GET",status="200"} 1',
    ]);
  });
});
