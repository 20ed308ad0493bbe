import picomatch from 'picomatch';
import { REPO_CONFIG_FILE } from './repo-config.ts';

/**
 * Which services a change delivers: a service is changed when any changed file matches one of
 * its `paths` globs and none of its `!`-prefixed ones (picomatch syntax, dot-files included: a
 * changed `.npmrc` counts). A change of
 * `trunkline.yaml` itself delivers every service, since any service's settings may have changed.
 */

export interface ServicePaths {
  name: string;
  /** Globs relative to the config file's directory. */
  paths: readonly string[];
}

export interface ChangedService {
  name: string;
  /** Why, for the log: the first matching file, or that the config changed. */
  reason: string;
}

/**
 * The services to deliver for `changedFiles` (POSIX paths relative to the config file's
 * directory, as `git diff --relative` prints them), in the order of `services`.
 */
export function changedServices(changedFiles: readonly string[], services: readonly ServicePaths[]): ChangedService[] {
  if (changedFiles.includes(REPO_CONFIG_FILE)) return services.map((s) => ({ name: s.name, reason: `${REPO_CONFIG_FILE} changed` }));
  return services.flatMap((service) => {
    const matches = pathsMatcher(service.paths);
    const file = changedFiles.find((f) => matches(f));
    return file ? [{ name: service.name, reason: `${file} changed` }] : [];
  });
}

/** Any positive glob and no `!glob`: picomatch ORs a list, and a lone negation would match everything else. */
function pathsMatcher(paths: readonly string[]): (file: string) => boolean {
  const include = paths.filter((p) => !p.startsWith('!'));
  const exclude = paths.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const included = include.length ? picomatch(include, { dot: true }) : () => false;
  const excluded = exclude.length ? picomatch(exclude, { dot: true }) : () => false;
  return (file) => included(file) && !excluded(file);
}
