import { createRequire } from 'node:module';

/**
 * Real webhook payloads recorded by GitHub and published in `@octokit/webhooks-examples`
 * (api.github.com set). `example('pull_request', 'opened')` returns a deep copy of the first
 * example with that `action` (or the first example at all when `action` is omitted).
 */
interface Definition { name: string; examples: Array<Record<string, unknown>> }
const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as Definition[];

export function examples(event: string): Array<Record<string, unknown>> {
  const def = definitions.find((d) => d.name === event);
  if (!def) throw new Error(`@octokit/webhooks-examples has no ${event} payload`);
  return def.examples.map((e) => structuredClone(e));
}

export function example(event: string, match: string | ((p: Record<string, unknown>) => boolean) = () => true): Record<string, unknown> {
  const test = typeof match === 'string' ? (p: Record<string, unknown>) => p.action === match : match;
  const found = examples(event).find(test);
  if (!found) throw new Error(`no ${event} example matches`);
  return found;
}

/**
 * The `schedule` payload is not a webhook, so the examples package has none. This is the whole
 * file GitHub writes to GITHUB_EVENT_PATH for a scheduled run (as captured by
 * docker/metadata-action's __tests__/fixtures/event_schedule.json); GITHUB_REF is the default branch.
 */
export const schedulePayload = { schedule: '*/10 * * * *' };
