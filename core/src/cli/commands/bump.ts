import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import type { BumpConfig } from '../../domain/bump-config.ts';
import { BUMP_INPUTS, bumpConfigFromInputs } from '../../domain/bump-config.ts';
import { flagsFromTable, rawInputsFromFlags } from '../../domain/raw-inputs.ts';
import { runBump } from '../../stages/bump.ts';

const flags = flagsFromTable(BUMP_INPUTS);

/**
 * The `BumpConfig` for `trunkline bump` argv: flags carry the action's input names (`--files`
 * and `--labels` repeat; positional arguments are more files) and go through the bump's one
 * resolver. The door fills what the runner fills for the action: the token from `GITHUB_TOKEN`
 * (never from argv), `repository` and `api-url` from `GITHUB_REPOSITORY` / `GITHUB_API_URL`, and
 * `GITHUB_EVENT_NAME` for the privileged-event guard.
 */
export function bumpConfigFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env): BumpConfig {
  const { values, positionals } = parseFlags(argv, flags);
  const raw = rawInputsFromFlags(BUMP_INPUTS, values);
  if (positionals.length) raw.files = [raw.files, ...positionals].filter((f) => f !== undefined).join('\n');
  raw.repository ??= env.GITHUB_REPOSITORY;
  raw['api-url'] ??= env.GITHUB_API_URL;
  raw.token = env.GITHUB_TOKEN;
  return bumpConfigFromInputs(raw, env.GITHUB_EVENT_NAME ? { eventName: env.GITHUB_EVENT_NAME } : {});
}

/** `trunkline bump`: set an image tag in a GitOps repository, then commit/push/PR by `--mode`. */
export const command: CliCommand = {
  name: 'bump',
  summary: 'Set an image tag (and digest) in Flux HelmRelease/values files; commit, push or open a PR',
  usage: `Usage: trunkline bump --files PATH --image REPOSITORY --tag TAG [options]

  --path DIR            the checked-out GitOps repository (default .)
  --files PATH|GLOB     relative to --path; repeatable (or give them as arguments)
  --kind K              auto | helmrelease | values (default auto)
  --image REPO          repository to match, e.g. 127.0.0.1:5000/sample-service
  --tag TAG             new tag (always written as a string)
  --digest sha256:...   written to a digest key or after @ where the file keeps one
  --images REF          more targets as repo:tag[@digest]; repeatable, one commit for all
  --key-path a.b.c      pin the target (relative to spec.values / the document)
  --image-policy NS:NAME Flux ImagePolicy: files with $imagepolicy markers change only there
  --mode M              none | push | pr | api (default none: edit in place)
  --branch NAME         push: target branch (default: checked out); pr/api: PR branch
                        (default trunkline/bump/<repository>)
  --remote NAME         git remote (default origin)
  --commit-message MSG  default "chore(gitops): bump <image> to <tag>"
  --author "N <e>"      commit author (default github-actions[bot])
  --max-retries N       retries when the branch moved meanwhile (default 5)
  --max-file-size BYTES largest file read (default 1048576)
  --title, --body       pull request text (pr/api)
  --labels NAME         repeatable (pr/api)
  --base BRANCH         PR base (default: the repository's default branch)
  --auto-merge true     enable auto-merge (a refusal only warns; default false)
  --merge-method M      merge | squash | rebase (default squash)
  --repository O/N      GitHub repository (default $GITHUB_REPOSITORY)
  --api-url URL         default $GITHUB_API_URL or https://api.github.com
  --allow-privileged-event true
                        run on pull_request_target / workflow_run / issue_comment ($GITHUB_EVENT_NAME)
Environment: GITHUB_TOKEN (modes pr and api; also used for git over HTTPS).`,
  run: (argv, log) => runBump(bumpConfigFromArgv(argv), log),
};
