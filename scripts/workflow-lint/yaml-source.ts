// One parsed YAML file with the means to turn any node or offset back into a 1-based line and
// column, so every finding can name the exact place a reviewer has to look.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

export interface YamlSource {
  /** Path as printed in findings (repository-relative when the caller gives one). */
  file: string;
  text: string;
  doc: Document.Parsed;
  /** The text of each line, without its newline (index 0 is line 1). */
  lines: string[];
  /** 1-based line and column of a character offset. */
  at(offset: number): Position;
  /** 1-based position of a node's first character (line 1 when the node has no range). */
  pos(node: Node | null | undefined): Position;
}

/**
 * Parses `text` with the `yaml` package (YAML 1.2: `on:` stays the string "on", unlike PyYAML)
 * keeping a LineCounter. Syntax errors are returned, not thrown, as `{ message, line, column }`.
 */
export function parseYamlSource(file: string, text: string): { source: YamlSource; errors: Array<Position & { message: string }> } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const source: YamlSource = {
    file,
    text,
    doc,
    lines: text.split(/\r?\n/),
    at,
    pos: (node) => (node?.range ? at(node.range[0]) : { line: 1, column: 1 }),
  };
  const errors = doc.errors.map((e) => ({ message: e.message.split('\n')[0] ?? e.message, ...at(e.pos[0]) }));
  return { source, errors };
}

/** The value node stored under `key` in a mapping node, or undefined. */
export function child(node: unknown, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  const value = (node as YAMLMap).get(key, true) as Node | undefined;
  return value ?? undefined;
}

/** The key/value pair for `key` (its key node gives the line of `key:` even when the value is empty). */
export function pair(node: unknown, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(node)) return undefined;
  for (const item of (node as YAMLMap<unknown, unknown>).items) {
    if (isScalar(item.key) && String(item.key.value) === key) return item as Pair<Node, Node | null>;
  }
  return undefined;
}

/** The string value of a scalar node (numbers and booleans stringified), else undefined. */
export function str(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return v === null || v === undefined ? undefined : String(v);
}

/** Entries of a mapping node as `[key, valueNode, pair]`. Non-maps give none. */
export function entries(node: unknown): Array<[string, Node | null, Pair<Node, Node | null>]> {
  if (!isMap(node)) return [];
  return (node as YAMLMap<Node, Node | null>).items.map((p) => [isScalar(p.key) ? String(p.key.value) : String(p.key), p.value, p]);
}

/** Items of a sequence node. Non-sequences give none. */
export function items(node: unknown): Node[] {
  return isSeq(node) ? (node.items as Node[]) : [];
}

/** The comment text after `#` on a given 1-based line, outside quotes (good enough for `uses:` lines). */
export function trailingComment(source: YamlSource, line: number): string | undefined {
  const text = source.lines[line - 1] ?? '';
  const m = /\s#\s?(.*)$/.exec(text);
  return m?.[1]?.trim();
}
