import { InputError } from '../domain/errors.ts';
import { changedServices } from '../domain/changed-services.ts';
import type { RepoConfig, ServiceSettings } from '../domain/repo-config.ts';

/**
 * Which of a repository's services `trunkline pipeline` delivers: all of them, the ones named
 * with `--service`, or — with `--changed-since REF` — those whose `paths` match a file changed
 * since REF (see domain/changed-services.ts). Both narrow together: named and changed.
 */

export interface ServiceSelection {
  /** In file order. */
  services: ServiceSettings[];
  /** One sentence per decision, for the log and the summary notes. */
  notes: string[];
}

/**
 * Selects services of `cfg`. `names`: `--service` values (each must name a service, else
 * `InputError("service")` listing the names there are). `changedFiles`: the output of
 * `changedFilesSince` (relative to the config's directory), or undefined when not narrowing by
 * change. An empty selection is not an error: nothing changed means nothing to deliver.
 */
export function selectServices(cfg: RepoConfig, names: readonly string[] = [], changedFiles?: readonly string[]): ServiceSelection {
  const known = cfg.services.map((s) => s.name);
  for (const name of names) {
    if (!known.includes(name)) throw new InputError('service', `must name a service of ${cfg.file}: ${known.join(', ')} (got "${name}")`);
  }
  let services = names.length ? cfg.services.filter((s) => names.includes(s.name)) : [...cfg.services];
  const notes = [names.length ? `services named: ${services.map((s) => s.name).join(', ')}` : `all ${services.length} service(s) of ${cfg.file}`];
  if (changedFiles) {
    const changed = changedServices(changedFiles, services);
    for (const c of changed) notes.push(`${c.name}: ${c.reason}`);
    const unchanged = services.filter((s) => !changed.some((c) => c.name === s.name)).map((s) => s.name);
    if (unchanged.length) notes.push(`unchanged, not delivered: ${unchanged.join(', ')}`);
    services = services.filter((s) => changed.some((c) => c.name === s.name));
  }
  return { services, notes };
}
