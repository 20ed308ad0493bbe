import { basename, join, relative, resolve } from 'node:path';
import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { InputError } from '../../domain/errors.ts';
import { guessRepoConfig } from '../../domain/init-detect.ts';
import { parseRepoConfig, REPO_CONFIG_FILE } from '../../domain/repo-config.ts';
import { findGitRoot, listRepoFiles, readSmallText, writeNewFile } from '../../adapters/repo-files.ts';
import { runStage } from '../../report/result.ts';

/**
 * `trunkline init [--dir DIR]`: writes a starting `trunkline.yaml` at the git root of DIR (default
 * the current directory) from the Dockerfiles and Flux/Helm files found there, prints each guess,
 * and refuses to overwrite an existing file (`InputError("config")`, exit 2).
 */
export const command: CliCommand = {
  name: 'init',
  summary: 'Write a starting trunkline.yaml from the Dockerfiles and Flux/Helm files found',
  usage: `Usage: trunkline init [--dir DIR]

Looks for Dockerfiles (one service each), EXPOSE ports, package.json lint scripts, Flux
HelmReleases and Helm values files, and writes trunkline.yaml at the git root of DIR (default:
the current directory), listing what it guessed. Never overwrites an existing trunkline.yaml.

Options:
  --dir DIR   a directory inside the repository (default .)`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { dir: { type: 'string' } });
    if (positionals.length) throw new InputError(positionals[0]!, 'is not understood: init takes no arguments (use --dir DIR)');
    const dir = resolve(values.dir ?? '.');
    const root = findGitRoot(dir) ?? dir;
    const file = join(root, REPO_CONFIG_FILE);
    return runStage('init', async () => {
      const guess = guessRepoConfig({ files: listRepoFiles(root), read: (path) => readSmallText(root, path), repoName: basename(root) });
      // Fail closed: a guess that would not load is never written.
      parseRepoConfig(guess.text, REPO_CONFIG_FILE, root);
      writeNewFile(file, guess.text);
      console.log(`wrote ${relative(process.cwd(), file) || file}; what it guessed:`);
      for (const line of guess.guesses) console.log(`  - ${line}`);
      return { status: 'passed', outputs: { file }, findings: [], notes: guess.guesses };
    });
  },
};
