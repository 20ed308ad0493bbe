/**
 * Why a branch update was refused, and whether trying again can help. Only a lost race (the
 * branch moved between reading and updating it) is retried; a protected branch, a repository
 * rule, a pre-receive hook or a missing permission will refuse every retry the same way, so the
 * bump stops at once, quotes the server and names the setting (docs/errors.md, `push-refused`).
 *
 * Sources: git-push(1) "OUTPUT" (porcelain status lines, `[rejected] (non-fast-forward)`,
 * `(fetch first)`, `(stale info)`, `[remote rejected] (<hook reason>)`); GitHub's "About
 * protected branches" and "Troubleshooting rules" (`GH006`, `GH013` messages); the REST "Update a
 * reference" endpoint (422 "Update is not a fast forward").
 */

export type PushRejection =
  /** The branch moved meanwhile: re-read, re-apply and try again. */
  | { race: true }
  /** The server will refuse again: `message` quotes it and says what to change. */
  | { race: false; message: string };

const RACE = /non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref|incorrect old value|is at [0-9a-f]+ but expected/i;

/** What to change for a known kind of refusal (the setting or permission), by the server's words. */
const REMEDIES: ReadonlyArray<[RegExp, string]> = [
  [/GH006|protected branch/i, 'the branch is protected (repository Settings → Branches / Rules): let the token\'s identity bypass the rule, or use mode pr so the change goes through a pull request'],
  [/GH013|repository rule/i, 'a repository ruleset refuses the update (Settings → Rules → Rulesets): add the token\'s identity to the bypass list, or use mode pr'],
  [/permission|denied|forbidden|403|not accessible/i, 'the token may not write to this repository: it needs contents: write (a GitHub App installation token or a PAT with access to it)'],
  [/pre-receive hook declined|hook declined/i, 'a server-side pre-receive hook declined the push: its message is quoted above; fix what it names (nothing is retried)'],
];

function remedy(text: string): string {
  return REMEDIES.find(([pattern]) => pattern.test(text))?.[1] ?? 'the server refused the update for a reason other than a moved branch, so it is not retried';
}

/**
 * Classifies the output of a failed `git push --porcelain` (stdout and stderr joined) to
 * `branch` on `where`. Returns undefined when the output shows no ref rejection at all (a
 * network or authentication failure, which the caller reports as it is).
 */
export function classifyGitPushRejection(output: string, branch: string, where: string): PushRejection | undefined {
  const lines = output.split(/\r?\n/);
  // Porcelain: `!<TAB><from>:<to><TAB><summary> (<reason>)`.
  const status = lines.map((l) => /^!\t[^\t]*\t(.*)$/.exec(l)?.[1]).find((s) => s !== undefined)
    ?? lines.find((l) => /\[(remote )?rejected\]/.test(l));
  if (status === undefined) return undefined;
  const server = lines.filter((l) => l.startsWith('remote:')).map((l) => l.slice('remote:'.length).trim()).filter(Boolean);
  if (RACE.test(status) && !server.some((l) => /GH006|GH013|protected branch/i.test(l))) return { race: true };
  const quoted = [...server, status.trim()].join(' / ');
  return { race: false, message: `${where} refused the update of ${branch}: "${quoted}" — ${remedy(quoted)}` };
}

/**
 * Classifies a refused REST ref update (`status`, the API's `message`) to `branch` on `where`.
 * 422 "not a fast forward" / "Reference already exists" / "Reference update failed" and 409 are
 * races; anything else (403, a 422 naming a protected branch or a rule) is not.
 */
export function classifyApiRefRejection(status: number | undefined, apiMessage: string, branch: string, where: string): PushRejection | undefined {
  if (status !== 409 && status !== 422 && status !== 403) return undefined;
  if (status === 409 || (status === 422 && /fast.forward|already exists|reference update failed/i.test(apiMessage) && !/protected|rule/i.test(apiMessage))) return { race: true };
  return { race: false, message: `${where} refused the update of ${branch} (HTTP ${status}): "${apiMessage}" — ${remedy(`${status} ${apiMessage}`)}` };
}
