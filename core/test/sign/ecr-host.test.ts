import { describe, expect, it } from 'vitest';
import { isAwsRegion, isEcrPublicHost, matchesTagFilter, normalizeHost, parseEcrHost } from '../../src/domain/ecr-host.ts';

describe('parseEcrHost: every ECR host form', () => {
  const table: [string, { accountId: string; region: string; fips: boolean; dualStack: boolean; domain: string }][] = [
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', { accountId: '123456789012', region: 'eu-west-1', fips: false, dualStack: false, domain: 'amazonaws.com' }],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', { accountId: '123456789012', region: 'us-gov-west-1', fips: true, dualStack: false, domain: 'amazonaws.com' }],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', { accountId: '123456789012', region: 'cn-north-1', fips: false, dualStack: false, domain: 'amazonaws.com.cn' }],
    ['123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu', { accountId: '123456789012', region: 'eusc-de-east-1', fips: false, dualStack: false, domain: 'amazonaws.eu' }],
    ['123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov', { accountId: '123456789012', region: 'us-iso-east-1', fips: false, dualStack: false, domain: 'c2s.ic.gov' }],
    ['123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov', { accountId: '123456789012', region: 'us-isob-east-1', fips: false, dualStack: false, domain: 'sc2s.sgov.gov' }],
    ['123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk', { accountId: '123456789012', region: 'eu-isoe-west-1', fips: false, dualStack: false, domain: 'cloud.adc-e.uk' }],
    ['123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov', { accountId: '123456789012', region: 'us-isof-south-1', fips: false, dualStack: false, domain: 'csp.hci.ic.gov' }],
    ['123456789012.dkr-ecr.ap-southeast-2.on.aws', { accountId: '123456789012', region: 'ap-southeast-2', fips: false, dualStack: true, domain: 'on.aws' }],
    ['123456789012.dkr-ecr-fips.us-east-1.on.aws', { accountId: '123456789012', region: 'us-east-1', fips: true, dualStack: true, domain: 'on.aws' }],
    ['https://123456789012.dkr.ecr.us-east-1.amazonaws.com', { accountId: '123456789012', region: 'us-east-1', fips: false, dualStack: false, domain: 'amazonaws.com' }],
    ['123456789012.DKR.ECR.US-EAST-2.AMAZONAWS.COM:443', { accountId: '123456789012', region: 'us-east-2', fips: false, dualStack: false, domain: 'amazonaws.com' }],
  ];
  it.each(table)('%s', (host, want) => {
    expect(parseEcrHost(host)).toMatchObject(want);
  });

  it.each([
    '127.0.0.1:5000',
    'ghcr.io',
    'public.ecr.aws',
    '12345678901.dkr.ecr.us-east-1.amazonaws.com', // 11 digits
    '123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example', // unanchored suffix
    'evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com',
    '123456789012.dkr.ecr.amazonaws.com', // no region
    '123456789012.dkr.ecr.us-east-1.on.aws', // dual-stack uses dkr-ecr
  ])('rejects %s', (host) => {
    expect(parseEcrHost(host)).toBeUndefined();
  });

  it('recognises ECR Public separately', () => {
    expect(isEcrPublicHost('public.ecr.aws')).toBe(true);
    expect(isEcrPublicHost('https://public.ecr.aws/')).toBe(true);
    expect(isEcrPublicHost('123456789012.dkr.ecr.us-east-1.amazonaws.com')).toBe(false);
  });
  it('normalizes scheme, path and :443', () => {
    expect(normalizeHost('https://Example.com:443/v2/')).toBe('example.com');
  });
});

describe('isAwsRegion (the aws-region input)', () => {
  it.each(['eu-west-1', 'us-gov-west-1', 'eusc-de-east-1', 'us-isob-east-1', 'ap-southeast-12'])('accepts %s', (region) => {
    expect(isAwsRegion(region)).toBe(true);
  });
  it.each(['', 'eu-west', 'EU-WEST-1', 'eu-west-1 ', 'eu-west-123', 'europe-west-1', '1-west-1'])('rejects %j', (region) => {
    expect(isAwsRegion(region)).toBe(false);
  });
});

describe('matchesTagFilter (ECR wildcard)', () => {
  it.each([
    ['sha256-abc.sig', 'sha256-*.sig', true],
    ['sha256-abc.att', 'sha256-*.sig', false],
    ['latest', 'latest', true],
    ['latestX', 'latest', false],
    ['release-1.2', 'release-*', true],
    ['sha256xabc.sig', 'sha256-*.sig', false],
    ['sha256-abcXsig', 'sha256-*.sig', false], // "." is literal
  ])('%s ~ %s → %s', (tag, filter, want) => {
    expect(matchesTagFilter(tag, filter)).toBe(want);
  });
});
