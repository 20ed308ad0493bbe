import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALLOW_PRIVILEGED_EVENT, PRIVILEGED_EVENTS, privilegedEventRefusal } from '../../src/domain/privileged-event.ts';
import { bumpConfigFromInputs } from '../../src/domain/bump-config.ts';
import { runBump } from '../../src/stages/bump.ts';
import { trustGuard } from '../../src/stages/sign.ts';
import { createMemoryLogger } from '../../src/report/logger.ts';
import { repoRoot } from '../support/paths.ts';
import { scratchDirs } from '../support/scratch.ts';

const tempDir = scratchDirs();
const VALUES = 'image:\n  repository: ghcr.io/acme/app\n  tag: 1.0.0\n';
const SUFFIX = 'it runs with the base repository\'s secrets while its input can come from a fork. Set allow-privileged-event: true only if this workflow never runs code or data from the triggering fork.';

function actionInput(action: string): { description: string; default: string } {
  return (parse(readFileSync(join(repoRoot, action, 'action.yml'), 'utf8')) as { inputs: Record<string, { description: string; default: string }> }).inputs[ALLOW_PRIVILEGED_EVENT]!;
}

describe('privileged-event guard', () => {
  it.each(PRIVILEGED_EVENTS)('refuses %s unless opted in', (event) => {
    expect(privilegedEventRefusal(event, false, 'publish')).toBe(`refusing to publish on a ${event} event: ${SUFFIX}`);
    expect(privilegedEventRefusal(event, true, 'publish')).toBeUndefined();
  });

  it.each(['push', 'pull_request', 'workflow_dispatch', 'local', undefined])('lets %s through', (event) => {
    expect(privilegedEventRefusal(event, false, 'publish')).toBeUndefined();
  });

  it('action-sign and action-gitops-bump have the same opt-in input with the same text and default', () => {
    expect(actionInput('action-gitops-bump')).toEqual(actionInput('action-sign'));
    expect(actionInput('action-sign').default).toBe('false');
    expect(() => trustGuard('workflow_run', false, 'sign and push')).toThrow(`refusing to sign and push on a workflow_run event: ${SUFFIX}`);
  });

  it('the bump refuses a pull_request_target run before touching a file, and runs when opted in', async () => {
    const dir = tempDir('bump-guard-');
    writeFileSync(join(dir, 'values.yaml'), VALUES);
    const raw = { path: dir, files: 'values.yaml', image: 'ghcr.io/acme/app', tag: '2.0.0' };
    const refused = await runBump(bumpConfigFromInputs(raw, { eventName: 'pull_request_target' }), createMemoryLogger());
    expect(refused.status).toBe('failed');
    expect(refused.error).toBe(`refusing to bump GitOps files on a pull_request_target event: ${SUFFIX}`);
    expect(readFileSync(join(dir, 'values.yaml'), 'utf8')).toBe(VALUES);

    const allowed = await runBump(bumpConfigFromInputs({ ...raw, [ALLOW_PRIVILEGED_EVENT]: 'true' }, { eventName: 'pull_request_target' }), createMemoryLogger());
    expect(allowed.status, allowed.error).toBe('passed');
    expect(readFileSync(join(dir, 'values.yaml'), 'utf8')).toContain('tag: 2.0.0');
  });
});
