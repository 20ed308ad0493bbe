// What the parser returns (families, samples, values, OpenMetrics mapping) and how it reports
// errors; the accept/reject agreement with promtool is in exposition-corpus.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExpositionError, decodeExposition, formatSeries, parseExposition, parseGoFloat } from '../../src/domain/exposition.ts';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

function errorOf(text: string, options?: Parameters<typeof parseExposition>[1]): ExpositionError {
  try {
    parseExposition(text, options);
  } catch (error) {
    if (error instanceof ExpositionError) return error;
    throw error;
  }
  throw new Error('expected a parse error');
}

describe('parseExposition: text 0.0.4', () => {
  it('reads the docs example into typed families and samples with lines', () => {
    const exp = parseExposition(fixture('accept-docs-example.prom'));
    expect(exp.format).toBe('text');
    expect(exp.families.map((f) => [f.name, f.type])).toEqual([
      ['http_requests_total', 'counter'],
      ['msdos_file_access_time_seconds', 'untyped'],
      ['metric_without_timestamp_and_labels', 'untyped'],
      ['something_weird', 'untyped'],
      ['http_request_duration_seconds', 'histogram'],
      ['rpc_duration_seconds', 'summary'],
    ]);
    expect(exp.families[0]!.help).toBe('The total number of HTTP requests.');
    const msdos = exp.samples.find((s) => s.name === 'msdos_file_access_time_seconds')!;
    expect({ ...msdos.labels }).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(msdos.value).toBe(1.458255915e9);
    expect(msdos.line).toBe(7);
    const weird = exp.samples.find((s) => s.name === 'something_weird')!;
    expect(weird.value).toBe(Infinity);
    expect(weird.timestamp).toBe(-3982045);
    const bucket = exp.samples.find((s) => s.name === 'http_request_duration_seconds_bucket' && s.labels.le === '+Inf')!;
    expect(bucket.family).toBe('http_request_duration_seconds');
    expect(bucket.value).toBe(144320);
    expect(exp.samples.filter((s) => s.family === 'rpc_duration_seconds')).toHaveLength(7);
    expect(exp.samples).toHaveLength(20);
  });

  it('keeps labelled histogram series apart (the bug of parse-prometheus-text-format)', () => {
    const exp = parseExposition(fixture('accept-prom-client-no-defaults.prom'));
    const counts = exp.samples.filter((s) => s.name === 'http_request_duration_seconds_count');
    expect(counts.map((s) => [s.labels.handler, s.labels.method, s.value])).toEqual([
      ['/', 'GET', 3], ['/readyz', 'GET', 1], ['/metrics', 'GET', 1], ['unmatched', 'GET', 1], ['/', 'HEAD', 1],
    ]);
  });

  it('parses Go ParseFloat values and rejects what Go rejects', () => {
    expect(parseGoFloat('NaN')).toBeNaN();
    expect(parseGoFloat('nan')).toBeNaN();
    expect(parseGoFloat('-Inf')).toBe(-Infinity);
    expect(parseGoFloat('+infinity')).toBe(Infinity);
    expect(parseGoFloat('1.5e-3')).toBe(0.0015);
    expect(parseGoFloat('.5')).toBe(0.5);
    expect(parseGoFloat('5.')).toBe(5);
    for (const bad of ['', '.', 'e5', '1e', '0x10', '1_000', '+NaN', '1e400', 'infin', '1,5']) expect(parseGoFloat(bad), bad).toBeUndefined();
  });

  it('treats __proto__ as an ordinary label name', () => {
    const exp = parseExposition('m{__proto__="x"} 1\n');
    expect(exp.samples[0]!.labels.__proto__).toBe('x');
    expect(formatSeries('m', exp.samples[0]!.labels)).toBe('m{__proto__="x"}');
  });

  it('names the offending line and keeps its text', () => {
    const error = errorOf('# HELP ok x\nok 1\n\nok{a="1" 2\n');
    expect(error.line).toBe(4);
    expect(error.kind).toBe('syntax');
    expect(error.reason).toBe('unexpected end of label value "1"');
    expect(error.text).toBe('ok{a="1" 2');
  });

  it('reports duplicates regardless of label order', () => {
    const error = errorOf('m{a="1",b="2"} 1\nm{b="2",a="1"} 1\n');
    expect(error).toMatchObject({ kind: 'duplicate', line: 2, reason: 'duplicate series m{a="1",b="2"}' });
  });

  it('rejects quoted UTF-8 names as unsupported', () => {
    expect(errorOf('{"my.metric"} 1\n')).toMatchObject({ kind: 'unsupported', reason: 'quoted metric names are not supported' });
  });

  it('rejects bytes that are not UTF-8, naming the line', () => {
    const bytes = Buffer.concat([Buffer.from('ok 1\nm{a="'), Buffer.from([0xff, 0xfe]), Buffer.from('"} 1\n')]);
    expect(() => decodeExposition(bytes)).toThrow(ExpositionError);
    try { decodeExposition(bytes); } catch (e) { expect((e as ExpositionError).line).toBe(2); }
    expect(decodeExposition(Buffer.from('grüße 1\n'))).toBe('grüße 1\n');
  });
});

describe('parseExposition: OpenMetrics', () => {
  it('maps _total/_created to the counter family and skips exemplars', () => {
    const exp = parseExposition(fixture('om-prom-client-exemplars.txt'));
    expect(exp.format).toBe('openmetrics');
    const family = exp.families.find((f) => f.name === 'http_requests')!;
    expect(family.type).toBe('counter');
    const s = exp.samples.find((x) => x.name === 'http_requests_total' && x.labels.handler === '/' && x.labels.method === 'GET')!;
    expect(s.family).toBe('http_requests');
    expect(s.value).toBe(3);
    expect(Object.keys(s.labels)).toEqual(['handler', 'method', 'status']);
  });

  it('reads UNIT, info families and float-second timestamps', () => {
    const exp = parseExposition(fixture('om-spec-example.txt'));
    expect(exp.families.find((f) => f.name === 'acme_http_router_request_seconds')).toMatchObject({ type: 'summary', unit: 'seconds' });
    expect(exp.samples.find((s) => s.name === 'acme_build_info')).toMatchObject({ family: 'acme_build', value: 1 });
    const om = parseExposition(fixture('om-eof-without-newline.txt'));
    expect(om.samples[0]).toMatchObject({ name: 'foo_total', value: 17, timestamp: 1520879607789 });
  });

  it('requires # EOF when the Content-Type says OpenMetrics', () => {
    expect(errorOf(fixture('om-missing-eof.txt'), { format: 'openmetrics' }).reason).toBe('OpenMetrics exposition does not end with "# EOF"');
  });

  it('stays strict about everything else', () => {
    expect(errorOf('# TYPE foo counter\nfoo_total 1 # trace 1\n# EOF\n').line).toBe(2);
    expect(errorOf('# TYPE foo counter\nfoo_total 1\nfoo_total 2\n# EOF\n').kind).toBe('duplicate');
  });
});
