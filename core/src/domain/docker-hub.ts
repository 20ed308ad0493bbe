/**
 * The one Docker Hub name normaliser. Docker Hub answers to several host names and puts official
 * images under `library/` (distribution/reference `normalize.go`: `docker.io` is the default
 * domain, `index.docker.io` its legacy alias, `library/` the official-images namespace;
 * `registry-1.docker.io` is the registry endpoint behind both). Everything that compares image
 * names (the bump's target matching, the scan gate's report check) uses this one form.
 */

/** Host names that mean Docker Hub. */
export const DOCKER_HUB_HOSTS: readonly string[] = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/** True when a name's first component is a registry host (`.` or `:` inside, or `localhost`), as distribution/reference decides. */
export function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/**
 * The canonical full name of a repository written `[registry/]path` (no tag, no digest): Docker
 * Hub's aliases become `docker.io`, a one-segment Docker Hub path gets `library/`, and the host is
 * lowercased (host names are case-insensitive; paths are not). `redis`, `library/redis`,
 * `index.docker.io/redis` and `registry-1.docker.io/library/redis` are all
 * `docker.io/library/redis`; `GHCR.io/org/app` is `ghcr.io/org/app`;
 * `public.ecr.aws/docker/library/redis` stays itself.
 */
export function canonicalRepositoryName(name: string): string {
  const parts = name.split('/');
  let host = 'docker.io';
  if (parts.length > 1 && isRegistryHost(parts[0]!)) host = parts.shift()!.toLowerCase();
  if (DOCKER_HUB_HOSTS.includes(host)) {
    if (parts.length === 1) parts.unshift('library');
    return `docker.io/${parts.join('/')}`;
  }
  return `${host}/${parts.join('/')}`;
}
