import { GateError } from './errors.ts';

/**
 * The one guard for events that run with the base repository's secrets while their input can come
 * from a fork (GitHub's "Keeping your GitHub Actions and workflows secure: preventing pwn
 * requests"): `pull_request_target`, `workflow_run` and `issue_comment`. Every action that
 * publishes or pushes (action-sign, action-gitops-bump) refuses them unless the workflow opts in
 * with the same input, and says so with the same message (docs/errors.md, `privileged-event`).
 */

export const PRIVILEGED_EVENTS = ['pull_request_target', 'workflow_run', 'issue_comment'] as const;

/** The opt-in input, the same name in every action that has the guard. */
export const ALLOW_PRIVILEGED_EVENT = 'allow-privileged-event';

/** The refusal for `eventName` (`GITHUB_EVENT_NAME`, or undefined/`local` off GitHub), or undefined when allowed. */
export function privilegedEventRefusal(eventName: string | undefined, allowed: boolean | undefined, what: string): string | undefined {
  if (!eventName || !(PRIVILEGED_EVENTS as readonly string[]).includes(eventName) || allowed) return undefined;
  return `refusing to ${what} on a ${eventName} event: it runs with the base repository's secrets while its input can come from a fork. `
    + `Set ${ALLOW_PRIVILEGED_EVENT}: true only if this workflow never runs code or data from the triggering fork.`;
}

/** Throws `GateError` with `privilegedEventRefusal`'s message when the event is refused. */
export function assertEventAllowed(eventName: string | undefined, allowed: boolean | undefined, what: string): void {
  const refusal = privilegedEventRefusal(eventName, allowed, what);
  if (refusal) throw new GateError(refusal);
}
