// action-sign: inputs → sign stage (export, sign, verify, gated push, cosign signature, re-verify)
// or verify stage → outputs and job summary.
import * as core from '@actions/core';
import { runAction } from '@trunkline/core/door/action';
import { parseImageRef } from '@trunkline/core/domain/image-ref';
import { runSignAndPush } from '@trunkline/core/stages/sign';
import { runVerify } from '@trunkline/core/stages/verify';
import { readContext } from './context.ts';

await runAction('sign', async (log) => {
  const ctx = readContext();
  if (ctx.mode === 'verify') return runVerify(ctx.verify, log);
  const result = await runSignAndPush(ctx.sign, log);
  // The stage logs docker in only after a verified push; the post step logs out of that registry.
  if (result.status === 'passed' && ctx.sign.dockerLogin && ctx.sign.push !== false) {
    core.saveState('logout-registry', parseImageRef(ctx.sign.repository, 'repository').registry ?? '');
  }
  return result;
});
