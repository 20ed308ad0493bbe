// Each action README carries an inputs/outputs table generated from its action.yml; these tests
// fail the moment the two drift apart, and prove the drift check itself can fail.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/test/support/paths.ts';
import { actionDirs, END_MARKER, renderActionDocs, START_MARKER, syncActionDocs } from '../gen-action-docs.ts';

const demoAction = join(repoRoot, 'scripts', 'workflow-lint', 'fixtures', 'good', 'action-demo', 'action.yml');
const temps: string[] = [];
afterEach(() => { for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true }); });

/** A throwaway repository holding one action-demo copied from the checker fixture. */
function tempRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-docs-'));
  temps.push(dir);
  cpSync(demoAction, join(dir, 'action-demo', 'action.yml'));
  return dir;
}

describe('action README tables', () => {
  it('renders one row per input and output of action.yml, with required flag and default', () => {
    const section = renderActionDocs(readFileSync(demoAction, 'utf8'));
    expect(section.startsWith(START_MARKER)).toBe(true);
    expect(section.endsWith(END_MARKER)).toBe(true);
    expect(section).toContain('| `name` | yes |  | Who to greet. |');
    expect(section).toContain('| `greeting` | no | `Hello` | The greeting word. |');
    expect(section).toContain('| `message` | The greeting that was printed. |');
  });

  it('escapes pipes and folds newlines so a description cannot break the table', () => {
    const section = renderActionDocs('name: x\ndescription: y\ninputs:\n  mode:\n    description: "a | b\\nc"\n    default: "x|y"\nruns: { using: node24, main: dist/index.js }\n');
    expect(section).toContain('| `mode` | no | `x\\|y` | a \\| b c |');
  });

  it('detects drift: a README generated before an input was added is reported stale, then fixed', () => {
    const repo = tempRepo();
    expect(syncActionDocs(repo, { write: false })).toEqual([{ action: 'action-demo', state: 'missing-readme' }]);
    expect(syncActionDocs(repo, { write: true })).toEqual([{ action: 'action-demo', state: 'written' }]);
    expect(syncActionDocs(repo, { write: false })).toEqual([{ action: 'action-demo', state: 'ok' }]);
    const yml = join(repo, 'action-demo', 'action.yml');
    writeFileSync(yml, readFileSync(yml, 'utf8').replace('inputs:\n', 'inputs:\n  shout:\n    description: Upper-case the greeting.\n    default: "false"\n'));
    expect(syncActionDocs(repo, { write: false })).toEqual([{ action: 'action-demo', state: 'stale' }]);
    syncActionDocs(repo, { write: true });
    expect(readFileSync(join(repo, 'action-demo', 'README.md'), 'utf8')).toContain('| `shout` | no | `false` | Upper-case the greeting. |');
  });

  it('keeps hand-written text around the markers and refuses a README without markers', () => {
    const repo = tempRepo();
    const readme = join(repo, 'action-demo', 'README.md');
    writeFileSync(readme, `# Demo\n\nIntro.\n\n${START_MARKER}\nold\n${END_MARKER}\n\n## Notes\n\nKept.\n`);
    syncActionDocs(repo, { write: true });
    const text = readFileSync(readme, 'utf8');
    expect(text.startsWith('# Demo\n\nIntro.\n\n')).toBe(true);
    expect(text.endsWith('\n\n## Notes\n\nKept.\n')).toBe(true);
    expect(text).not.toContain('\nold\n');
    writeFileSync(readme, '# Demo\n');
    expect(syncActionDocs(repo, { write: true })).toEqual([{ action: 'action-demo', state: 'missing-markers' }]);
  });

  it('every action in this repository has a README whose tables match its action.yml', () => {
    const actions = actionDirs(repoRoot);
    for (const s of syncActionDocs(repoRoot, { write: false })) expect(s, `${s.action}: run npm run docs:actions`).toEqual({ action: s.action, state: 'ok' });
    // Every declared input and output is named in the README (a second, independent reading).
    for (const action of actions) {
      const meta = parse(readFileSync(join(repoRoot, action, 'action.yml'), 'utf8')) as { inputs?: object; outputs?: object };
      const readme = readFileSync(join(repoRoot, action, 'README.md'), 'utf8');
      for (const name of [...Object.keys(meta.inputs ?? {}), ...Object.keys(meta.outputs ?? {})]) expect(readme, `${action}: ${name}`).toContain(`| \`${name}\` |`);
    }
  });
});
