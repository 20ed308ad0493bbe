// Validates action.yml files against action.schema.json with ajv and points each error at the
// YAML line it concerns (ajv reports JSON pointers; the YAML document maps them back to nodes).
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Node } from 'yaml';
import type { Finding } from './finding.ts';
import type { YamlSource } from './yaml-source.ts';
import { pair } from './yaml-source.ts';

const schemaPath = new URL('./action.schema.json', import.meta.url);
let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, discriminator: true, strict: true, strictRequired: false, allowUnionTypes: true });
    compiled = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
  }
  return compiled;
}

function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The YAML node at a JSON pointer (the deepest existing ancestor when part of the path is missing). */
function nodeAt(source: YamlSource, segments: string[]): Node | undefined {
  let node = source.doc.contents as Node | undefined;
  for (const seg of segments) {
    const next = (node as unknown as { get?: (k: unknown, keep: boolean) => Node | undefined })?.get?.(/^\d+$/.test(seg) ? Number(seg) : seg, true);
    if (!next) break;
    node = next;
  }
  return node ?? undefined;
}

function describe(e: ErrorObject, path: string): string | undefined {
  const at = path || '(root)';
  switch (e.keyword) {
    case 'if':
    case 'oneOf':
      return undefined; // the nested error says what is wrong; these only repeat it
    case 'required':
      return `${at}: missing required key "${String(e.params.missingProperty)}"`;
    case 'additionalProperties':
      return `${at}: unknown key "${String(e.params.additionalProperty)}"`;
    case 'const':
      return `${at}: must be "${String(e.params.allowedValue)}"${path.endsWith('using') ? ' (JavaScript actions run on node24: node20 is deprecated on hosted runners, P-41)' : ''}`;
    case 'enum':
      return `${at}: must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
    case 'discriminator':
      return `${at}.using: must be node24 (JavaScript actions, P-41), composite or docker (got ${JSON.stringify(e.params.tagValue)})`;
    case 'not':
      return e.schemaPath.includes('/then/')
        ? `${at}: a step has either run: (with shell:) or uses:, not both`
        : `${at}: shell:/working-directory: apply only to run: steps`;
    case 'propertyNames':
      return `${at}: name "${String(e.params.propertyName)}" must match [A-Za-z_][A-Za-z0-9_-]*`;
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

/**
 * Validates one parsed action.yml. Errors become findings (tool `schema`, rule = ajv keyword)
 * on the line of the offending key, or of the parent mapping when a key is missing.
 */
export function validateActionSchema(source: YamlSource): Finding[] {
  const validate = validator();
  if (validate(source.doc.toJS())) return [];
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const segments = pointerSegments(e.instancePath);
    const path = segments.join('.');
    const message = describe(e, path);
    if (!message || e.propertyName) continue;
    let node = nodeAt(source, segments);
    if (e.keyword === 'additionalProperties') node = pair(node, String(e.params.additionalProperty))?.key ?? node;
    // A missing key is reported on the line of the mapping's own key (`path:`), not its first child.
    const last = segments[segments.length - 1];
    if (e.keyword === 'required' && last !== undefined && !/^\d+$/.test(last)) node = pair(nodeAt(source, segments.slice(0, -1)), last)?.key ?? node;
    if (e.keyword === 'discriminator') node = pair(node, String(e.params.tag))?.value ?? node;
    const p = source.pos(node);
    const key = `${p.line}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ file: source.file, line: p.line, column: p.column, rule: `schema/${e.keyword}`, message, tool: 'schema' });
  }
  return out;
}
