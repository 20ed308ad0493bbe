import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { bumpConfigFromInputs } from '../../src/domain/bump-config.ts';
import { MAX_ALIAS_COUNT, spliceImageTags } from '../../src/domain/yaml-splice.ts';
import { runBump } from '../../src/stages/bump.ts';
import { scratchDirs } from '../support/scratch.ts';

// Unbounded YAML: an alias bomb and an oversized file fail fast, naming the file and the limit.
const tempDir = scratchDirs();

/** A "billion laughs" values file: 9 levels of 9 aliases each (9^9 nodes expanded), under 600 bytes. */
function aliasBomb(): string {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]`);
  lines.push('image:', '  repository: ghcr.io/acme/app', '  tag: 1.0.0', '');
  return lines.join('\n');
}

function bumpIn(dir: string, raw: Record<string, string> = {}): ReturnType<typeof runBump> {
  return runBump(bumpConfigFromInputs({ path: dir, files: 'values.yaml', image: 'ghcr.io/acme/app', tag: '2.0.0', ...raw }), createMemoryLogger());
}

describe('YAML limits', () => {
  it('refuses an alias bomb with the file name and the alias limit, leaving the file alone', async () => {
    const dir = tempDir('bump-bomb-');
    const bomb = aliasBomb();
    expect(bomb.length).toBeLessThan(600);
    writeFileSync(join(dir, 'values.yaml'), bomb);
    const result = await bumpIn(dir);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(new RegExp(`^values\\.yaml: expands YAML aliases beyond the limit of ${MAX_ALIAS_COUNT} \\(maxAliasCount\\)`));
    expect(readFileSync(join(dir, 'values.yaml'), 'utf8')).toBe(bomb);
  });

  it('still follows a few aliases (an anchored tag shared by two images)', () => {
    const text = 'base: &t 1.0.0\napp:\n  image:\n    repository: ghcr.io/acme/app\n    tag: *t\n';
    const result = spliceImageTags(text, { kind: 'values', targets: [{ repository: 'ghcr.io/acme/app', tag: '2.0.0' }] });
    expect(result.text).toBe('base: &t 2.0.0\napp:\n  image:\n    repository: ghcr.io/acme/app\n    tag: *t\n');
  });

  it('refuses a file over max-file-size before parsing it, naming the file and the limit', async () => {
    const dir = tempDir('bump-big-');
    const big = `image:\n  repository: ghcr.io/acme/app\n  tag: 1.0.0\n${Array.from({ length: 8_000 }, (_, i) => `key${i}: value-${i}-padding`).join('\n')}\n`;
    const size = Buffer.byteLength(big);
    writeFileSync(join(dir, 'values.yaml'), big);
    const result = await bumpIn(dir, { 'max-file-size': '100000' });
    expect(result.status).toBe('failed');
    expect(result.error).toBe(`values.yaml: ${size} bytes is more than the limit of 100000 bytes (input "max-file-size"); refusing to parse it`);
    const raised = await bumpIn(dir, { 'max-file-size': String(size) });
    expect(raised.status, raised.error).toBe('passed');
    expect(raised.outputs).toMatchObject({ changed: true, 'old-tag': '1.0.0', 'new-tag': '2.0.0' });
  });

  it('the default limit is 1 MiB', () => {
    expect(bumpConfigFromInputs({ files: 'v.yaml', image: 'ghcr.io/acme/app', tag: '1' }).maxFileSize).toBe(1048576);
  });

  it('still refuses duplicate keys (checked in linear time, not by the parser)', () => {
    expect(() => spliceImageTags('image:\n  repository: ghcr.io/acme/app\n  tag: 1\n  tag: 2\n', { kind: 'values', targets: [{ repository: 'ghcr.io/acme/app', tag: '3' }] }))
      .toThrow('does not parse as YAML (line 4): Map keys must be unique ("tag" repeats)');
  });

  it('bounds max-file-size itself', () => {
    expect(() => bumpConfigFromInputs({ files: 'v.yaml', image: 'ghcr.io/acme/app', tag: '1', 'max-file-size': '0' })).toThrow('Input "max-file-size" must be a whole number from 1 to 67108864 (got "0")');
  });
});
