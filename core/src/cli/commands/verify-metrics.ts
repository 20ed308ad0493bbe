import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { VERIFY_METRICS_INPUTS, verifyMetricsConfigFromInputs } from '../../domain/verify-metrics-config.ts';
import type { VerifyMetricsConfig } from '../../domain/verify-metrics-config.ts';
import { flagsFromTable, rawInputsFromFlags } from '../../domain/raw-inputs.ts';
import { runVerifyMetrics } from '../../stages/verify-metrics.ts';
import { removeContainer } from '../../adapters/docker-run.ts';

const flags = flagsFromTable(VERIFY_METRICS_INPUTS);

/**
 * The `VerifyMetricsConfig` for `trunkline verify-metrics` argv. Flags carry the action's input
 * names (`--base-url`, `--expect`, ...; `--env`, `--expect` and `--lint-ignore` repeat; the first
 * positional argument is the image) and go through the stage's one resolver. The run id is
 * `GITHUB_RUN_ID` (else `local`) and the attempt this process's id, so parallel runs never share
 * a container name.
 */
export function verifyMetricsConfigFromArgv(argv: string[]): VerifyMetricsConfig {
  const { values, positionals } = parseFlags(argv, flags);
  const raw = rawInputsFromFlags(VERIFY_METRICS_INPUTS, values);
  if (!raw.image && !raw['base-url'] && positionals[0]) raw.image = positionals[0];
  return verifyMetricsConfigFromInputs(raw, { runId: process.env.GITHUB_RUN_ID ?? 'local', runAttempt: String(process.pid) });
}

export const command: CliCommand = {
  name: 'verify-metrics',
  summary: 'Run an image (or probe a base URL), scrape /metrics and check expectations',
  usage: `Usage: trunkline verify-metrics (--image IMAGE | --base-url URL) [options]

Starts the container (or uses a running service), waits for readiness, sends probe requests,
scrapes the metrics endpoint until every expectation holds, lints with promtool, checks that
SIGTERM stops the container with exit code 0, and removes the container.

Options (the same names, forms and defaults as action-verify-metrics' inputs):
  --image IMAGE               image to run (or give it as the first positional argument)
  --base-url URL              verify an already running service instead (no Docker)
  --network bridge|host       bridge publishes 127.0.0.1::PORT; host passes a free port as PORT (default bridge)
  --container-port N          port inside the container (default 8080)
  --env KEY=VALUE             container environment, repeatable (default ENABLE_METRICS=true)
  --docker-args "ARGS"        extra docker run arguments (default --read-only --cap-drop=ALL --security-opt=no-new-privileges)
  --readiness-path PATH       polled until 200 (default /readyz)
  --readiness-timeout S       seconds (default 30)
  --probe-path PATH           requested before scraping (default /)
  --probe-count N             sequential probe requests (default 5)
  --probe-expect-status S     200 or a class such as 2xx (default 2xx)
  --metrics-path PATH         (default /metrics)
  --expect EXPR               expectation, repeatable, e.g. 'http_requests_total{handler="/"} >= 1'
  --expect-timeout S          seconds of re-scraping until all hold (default 10)
  --max-series N              fail above this many samples (default 2000)
  --lint off|warn|error       promtool check metrics (default warn)
  --promtool-path PATH        promtool binary (default: promtool on PATH)
  --lint-ignore NAME          metric whose lint problems are tolerated, repeatable ('' = none)
  --check-shutdown true|false docker stop and require exit code 0 (default true)
  --shutdown-timeout S        seconds (default 15)
  --log-lines N               container log lines shown (default 200)
  --keep-container true|false leave the container for debugging (default false)
  --output-dir DIR            where the final scrape is saved (default: the temp dir)`,
  async run(argv, log) {
    const cfg = verifyMetricsConfigFromArgv(argv);
    if (!cfg.image) return runVerifyMetrics(cfg, log);
    // Ctrl-C or a killed CI job must not leave the container behind: it is named up front, and on
    // SIGINT/SIGTERM removed before exiting (130/143, as a shell reports those signals).
    const onSignal = (signal: NodeJS.Signals): void => {
      log.warning(`${signal}: removing container ${cfg.containerName}`);
      void removeContainer(cfg.containerName).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      return await runVerifyMetrics(cfg, log);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
