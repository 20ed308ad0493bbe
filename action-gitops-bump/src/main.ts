// action-gitops-bump: inputs → BumpConfig → runBump → outputs and job summary (see action.yml).
import { runAction } from '@trunkline/core/door/action';
import { runBump } from '@trunkline/core/stages/bump';
import { readContext } from './context.ts';

await runAction('gitops-bump', async (log) => runBump(readContext(), log));
