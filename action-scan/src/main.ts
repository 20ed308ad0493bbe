// action-scan: inputs → scan stage (install Trivy, run it once, gate the JSON) → outputs and job summary.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { runAction } from '@trunkline/core/door/action';
import { runScan } from '@trunkline/core/stages/scan';
import { readContext } from './context.ts';

await runAction('scan', async (log) => {
  const cfg = readContext();
  const result = await runScan(cfg, log);
  // For the composite's cache-save step: save the DB only when Trivy left a complete one.
  const cacheDir = cfg.trivy?.cacheDir;
  if (!cfg.report && cacheDir && existsSync(join(cacheDir, 'db', 'metadata.json')) && existsSync(join(cacheDir, 'db', 'trivy.db'))) {
    core.setOutput('trivy-db', 'ready');
  }
  return result;
});
