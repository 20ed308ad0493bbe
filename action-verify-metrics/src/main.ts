// action-verify-metrics: inputs → verify-metrics stage (run, ready, probe, scrape, lint, stop) → outputs and job summary.
import * as core from '@actions/core';
import { runAction } from '@trunkline/core/door/action';
import { runVerifyMetrics } from '@trunkline/core/stages/verify-metrics';
import { readContext } from './context.ts';

await runAction('verify-metrics', async (log) => {
  const cfg = readContext();
  // Saved before the container exists: a cancelled job still leaves the post step its name.
  if (cfg.image && cfg.containerName) core.saveState('container-name', cfg.containerName);
  if (cfg.keepContainer) core.saveState('keep-container', 'true');
  return runVerifyMetrics(cfg, log);
});
