#!/usr/bin/env node
/* global process, console -- plain Node ESM: the only globals this file uses */
// The `trunkline` command. Plain JavaScript on purpose: a Node older than 24 cannot even load the
// TypeScript sources (it stops with ERR_UNKNOWN_FILE_EXTENSION), so this file must run on any Node
// and say which version Trunkline needs before it loads them.
const REQUIRED_MAJOR = 24; // type stripping, import.meta.main and the APIs core/ uses (package.json "engines")

const major = Number(process.versions.node.split('.')[0]);
if (!(major >= REQUIRED_MAJOR)) {
  console.error([
    `trunkline needs Node ${REQUIRED_MAJOR} or newer; this is Node ${process.version} (${process.execPath}).`,
    `Get Node ${REQUIRED_MAJOR}: run \`npm ci\` in the Trunkline checkout (the node@${REQUIRED_MAJOR} dev dependency installs it`,
    'under node_modules/.bin), then use `npm run trunkline -- <command>` or the `make` targets, which run it.',
  ].join('\n'));
  process.exit(1);
}
// Node caches the compiled (type-stripped) modules on disk: halves start-up on the next run.
(await import('node:module')).enableCompileCache();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
