// Credentials in base-url: what the doors mask and what messages show (issue 15 item 9).
import { describe, expect, it } from 'vitest';
import { redactUrl, urlCredentials } from '../../src/domain/url-credentials.ts';
import { bodyExcerpt, describeResponse } from '../../src/domain/response-excerpt.ts';

describe('url credentials', () => {
  it('masks the password as written and decoded, never the user name', () => {
    expect(urlCredentials('http://probe:p%40ss@127.0.0.1:9090/')).toEqual(['p%40ss', 'p@ss']);
    expect(urlCredentials(' https://user:plain@host/ ')).toEqual(['plain']);
    expect(urlCredentials('http://user@host/')).toEqual([]);
    expect(urlCredentials('not a url')).toEqual([]);
  });

  it('removes user name and password from a URL shown in a message', () => {
    expect(redactUrl('http://probe:secret@127.0.0.1:9090/metrics')).toBe('http://***:***@127.0.0.1:9090/metrics');
    expect(redactUrl('http://127.0.0.1:9090/metrics')).toBe('http://127.0.0.1:9090/metrics');
    expect(redactUrl('garbage')).toBe('garbage');
  });
});

describe('response excerpt', () => {
  it('quotes the first 2 KB of a body and says how long it was', () => {
    expect(bodyExcerpt(Buffer.from(''))).toBe('(empty body)');
    expect(bodyExcerpt(Buffer.from('short\n'))).toBe('short');
    const long = bodyExcerpt(Buffer.from('x'.repeat(5000)));
    expect(long).toBe(`${'x'.repeat(2048)}\n… (5000 bytes in all)`);
  });

  it('names the URL without credentials, the status and the body', () => {
    expect(describeResponse('http://u:pw@h:1/x', 500, Buffer.from('boom'), ' (hint)')).toBe('GET http://***:***@h:1/x returned 500 (hint)\nboom');
  });
});
