// action-build: inputs → build stage (lint, tags, labels, image) → outputs and job summary.
import { runAction } from '@trunkline/core/door/action';
import { runBuild } from '@trunkline/core/stages/build';
import { readContext } from './context.ts';

await runAction('build', async (log) => runBuild(await readContext(), log));
