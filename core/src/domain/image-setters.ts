import { InputError } from './errors.ts';
import type { ImageTarget } from './bump-targets.ts';

/**
 * Flux image-automation setter markers: a line comment `# {"$imagepolicy": "<ns>:<policy>[:tag|:name|:digest]"}`
 * after a scalar says which ImagePolicy owns it and which part of the image it holds (the whole
 * reference, the tag, the repository name or the digest). Source: Flux image-automation-controller,
 * internal/update/setters.go (setter names `ns:name`, `ns:name:tag`, `ns:name:name`, `ns:name:digest`).
 */

/** What a marked scalar holds. */
export type SetterField = 'image' | 'tag' | 'name' | 'digest';

export interface SetterMarker {
  /** `namespace:name` of the ImagePolicy. */
  policy: string;
  field: SetterField;
}

const MARKER = /^#\s*\{\s*"\$imagepolicy"\s*:\s*"([^"]*)"\s*\}\s*$/;
/** Kubernetes object name (RFC 1123 subdomain), as namespaces and ImagePolicy names are. */
const K8S_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Parses one comment's source text (`# {...}`); `undefined` when it is not a setter marker. */
export function parseSetterMarker(comment: string): SetterMarker | undefined {
  const m = MARKER.exec(comment.trim());
  if (!m) return undefined;
  const parts = m[1]!.split(':');
  if (parts.length === 2) return { policy: parts.join(':'), field: 'image' };
  if (parts.length === 3 && ['tag', 'name', 'digest'].includes(parts[2]!)) return { policy: `${parts[0]}:${parts[1]}`, field: parts[2] as SetterField };
  return undefined;
}

/**
 * Validates the `image-policy` input: `namespace:name` of a Flux ImagePolicy (both RFC 1123
 * names). Throws `InputError(inputName)`.
 */
export function validateImagePolicy(text: string, inputName = 'image-policy'): string {
  const parts = text.split(':');
  if (parts.length !== 2 || !parts.every((p) => K8S_NAME.test(p))) {
    throw new InputError(inputName, `must be namespace:name of a Flux ImagePolicy, e.g. flux-system:app (got "${text}")`);
  }
  return text;
}

/**
 * The new text of a scalar marked with `field` for `target`: `image` → `repo:tag[@digest]`,
 * `tag` → the tag, `name` → the repository, `digest` → the digest. Returns `undefined` for a
 * `digest` marker when the target has no digest (the caller refuses: an old digest would stay).
 */
export function setterValue(field: SetterField, target: ImageTarget): string | undefined {
  switch (field) {
    case 'image': return `${target.repository}:${target.tag}${target.digest ? `@${target.digest}` : ''}`;
    case 'tag': return target.tag;
    case 'name': return target.repository;
    case 'digest': return target.digest;
  }
}
