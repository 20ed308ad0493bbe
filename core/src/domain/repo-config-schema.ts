import AjvModule from 'ajv';
import type { ErrorObject } from 'ajv';
import { isMap, isPair, isScalar } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import schema from '../../../schema/trunkline.schema.json' with { type: 'json' };

/**
 * Validation of a parsed `trunkline.yaml` against `schema/trunkline.schema.json` (JSON Schema
 * draft-07, validated with ajv), with every problem placed on the line of the YAML source where it
 * is and told with the allowed form (the schema's `description` of the key).
 */

/** One problem: 1-based line and column in the file, the dotted key path and the message. */
export interface ConfigProblem {
  line: number;
  col: number;
  /** `services.api.verify-metrics.container-port`, or `(top level)`. */
  at: string;
  message: string;
}

// useDefaults fills the schema's `default`s in place, so the schema is the one place they live.
const ajv = new AjvModule.default({ allErrors: true, useDefaults: true, allowUnionTypes: true, verbose: true });
const validate = ajv.compile(schema);

/** The published schema, for tests and documentation. */
export const REPO_CONFIG_SCHEMA = schema;

/**
 * Validates `data` (mutated: defaults filled) and returns its problems, sorted by line, located
 * through `doc` and `lines` (from the same parse). Empty when valid.
 */
export function schemaProblems(data: unknown, doc: Document, lines: LineCounter): ConfigProblem[] {
  if (validate(data)) return [];
  const problems = (validate.errors ?? []).flatMap((e) => problem(e, doc, lines));
  const unique = new Map(problems.map((p) => [`${p.line}:${p.col}:${p.message}`, p]));
  return [...unique.values()].sort((a, b) => a.line - b.line || a.col - b.col);
}

function segments(instancePath: string): string[] {
  return instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The node of the key that names `path` (the key `api:` for `services/api`); the document for the root. */
function keyNode(doc: Document, path: string[]): Node | undefined {
  if (!path.length) return doc.contents ?? undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === path[path.length - 1]);
  return (pair?.key as Node | undefined) ?? undefined;
}

/** 1-based line of the key that names `path` in the document (1 when not found). */
export function keyLine(doc: Document, lines: LineCounter, path: string[]): number {
  return position(keyNode(doc, path), lines).line;
}

function position(node: Node | undefined, lines: LineCounter): { line: number; col: number } {
  const offset = node?.range?.[0] ?? 0;
  return lines.linePos(offset);
}

function describe(e: ErrorObject): string {
  const description = (e.parentSchema as { description?: string } | undefined)?.description;
  return description ? ` (allowed: ${description})` : '';
}

function problem(e: ErrorObject, doc: Document, lines: LineCounter): ConfigProblem[] {
  const path = segments(e.instancePath);
  const at = path.join('.') || '(top level)';
  const where = (node: Node | undefined, message: string): ConfigProblem[] => [{ ...position(node, lines), at, message }];
  const valueNode = (doc.getIn(path, true) as Node | undefined) ?? keyNode(doc, path);
  switch (e.keyword) {
    case 'if':
      return []; // the `then` branch's own error says what is missing
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return where(keyNode(doc, [...path, key]), `unknown key "${key}" in ${at}${allowed.length ? ` (allowed keys: ${allowed.join(', ')})` : ''}`);
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      const sub = (e.parentSchema as { properties?: Record<string, { description?: string }> }).properties?.[key]?.description;
      return where(keyNode(doc, path), `${at} has no "${key}"${sub ? ` (required: ${sub})` : describe(e)}`);
    }
    case 'propertyNames':
      return [];
    case 'pattern':
      if (e.propertyName !== undefined || /propertyName/.test(e.schemaPath)) {
        return where(keyNode(doc, [...path, String(e.propertyName)]), `the name "${e.propertyName}" in ${at} is not allowed (allowed: ${(e.parentSchema as { description?: string }).description ?? e.message})`);
      }
      return where(valueNode, `${at} ${e.message}${describe(e)}`);
    case 'enum':
      return where(valueNode, `${at} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`);
    default:
      return where(valueNode, `${at} ${e.message}${describe(e)}`);
  }
}
