import { CST, Composer, LineCounter, Parser, isAlias, isCollection, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, Node, Scalar, YAMLMap } from 'yaml';
import { parseSetterMarker, setterValue } from './image-setters.ts';
import type { SetterMarker } from './image-setters.ts';
import type { ImageTarget } from './bump-targets.ts';
import { sameRepository, splitReference } from './bump-targets.ts';

/**
 * Edits image tags (and digests) in Flux HelmRelease / Helm values / kustomize files by changing
 * the bytes of the target scalars and nothing else.
 *
 * Why not `Document.toString()`: re-serialising reformats files (flow spacing, comment placement,
 * escapes, CRLF, final newline; see docs/gitops.md, "Editing files"). Instead the file is parsed
 * into CST tokens (`yaml` `Parser`), composed with `keepSourceTokens` so every node points at its
 * token, the target tokens are changed with `CST.setScalarValue`, and the output is
 * `CST.stringify` of the original token stream. Afterwards the output is parsed again and every
 * value is compared with the input: only the targets may differ (`assertOnlyTargetsChanged`).
 */

/** Where to look: `helmrelease` = only `spec.values` of `kind: HelmRelease` documents. */
export type BumpKind = 'auto' | 'helmrelease' | 'values';

/** How a file spells an image. */
export type ImageForm =
  /** `{registry?, repository|image, tag, digest?}` mapping (Helm chart convention). */
  | 'map'
  /** One string `repo:tag[@digest]` under a key ending in `image`. */
  | 'string'
  /** kustomize `images: [{name, newName?, newTag, digest?}]`. */
  | 'kustomize';

/** An image seen in a file (matched or not), for outputs and for "no match" messages. */
export interface FoundImage {
  repository: string;
  tag?: string;
  digest?: string;
  form: ImageForm;
  /** Dotted path from the document root, sequence items as `[i]` (`spec.values.image`). */
  path: string;
  /** 1-based line of the image's tag (or of the reference string). */
  line: number;
  /** 0-based index of the YAML document in the file. */
  document: number;
  /** Set when the image cannot be bumped in place (no tag key to edit, ...). */
  unbumpable?: string;
}

/** One scalar the bump changed (or would change). */
export interface ScalarEdit {
  /** Dotted path of the scalar; for an alias target, the anchored scalar's own path. */
  path: string;
  /** 1-based line of the scalar in the input. */
  line: number;
  /** What the scalar holds: a tag (maybe `tag@digest`), a digest, or a whole reference. */
  role: 'tag' | 'digest' | 'reference' | 'name';
  repository: string;
  oldValue: string;
  newValue: string;
  /** The tag part of the old value (`1.2.3` for `1.2.3@sha256:…`), when the scalar holds one. */
  oldTag?: string;
}

export interface SpliceRequest {
  kind: BumpKind;
  targets: readonly ImageTarget[];
  /** Dotted key path (numeric segments index sequences) relative to the values root. */
  keyPath?: string;
  /**
   * Flux ImagePolicy `namespace:name` (one target only). A file carrying any `$imagepolicy`
   * setter marker is edited only at markers naming this policy, whatever it is set to.
   */
  imagePolicy?: string;
}

export interface SpliceResult {
  /** The new file text; identical to the input when nothing changed. */
  text: string;
  changed: boolean;
  /** Scalars whose value changed. */
  edits: ScalarEdit[];
  /** Images that matched a target (changed or already up to date). */
  matched: FoundImage[];
  /** Every image seen where the bump looked (for error messages). */
  found: FoundImage[];
  /** Repositories of `targets` matched at least once in this file (canonical as given). */
  matchedTargets: string[];
  /** Things a reviewer should know (an anchor shared with non-target places, a digest not written). */
  warnings: string[];
  /** HelmReleases whose `spec.values` was searched although their values come from `valuesFrom`. */
  valuesFrom: string[];
  /** Kinds of documents that `auto` skipped (Kubernetes objects other than HelmRelease/Kustomization). */
  skippedKinds: string[];
}

/** A file the bump cannot edit safely (parse error, stale digest, missing key path, ...). */
export class BumpTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BumpTargetError';
  }
}

type FlowScalarToken = CST.FlowScalar;
type EditableScalar = Scalar & { srcToken: FlowScalarToken };

interface Candidate {
  found: FoundImage;
  tagNode?: EditableScalar;
  digestNode?: EditableScalar;
  refNode?: EditableScalar;
  /** Paths of the tag/digest/reference scalars as reached (the alias position when via an alias). */
  paths: Map<Scalar, string>;
  inFlow: Map<Scalar, boolean>;
}

interface WalkContext {
  doc: Document.Parsed;
  docIndex: number;
  lines: LineCounter;
  candidates: Candidate[];
  /** Scalars used as the repository of a map candidate (not string candidates themselves). */
  repositoryScalars: Set<Node>;
  /** Collections on the current walk path, to stop at recursive aliases. */
  stack: Set<Node>;
  /** Alias nodes crossed while reaching target scalars. */
  aliasesUsed: Map<Node, Set<Node>>;
  currentAliases: Node[];
}

const FLOW_SCALAR_TYPES = new Set(['scalar', 'single-quoted-scalar', 'double-quoted-scalar']);

function isEditable(node: unknown): node is EditableScalar {
  if (!isScalar(node)) return false;
  const token = (node as Scalar).srcToken;
  return !!token && FLOW_SCALAR_TYPES.has(token.type);
}

/** The scalar's source value before tag resolution (`16` stays "16", `"1.10"` is "1.10"). */
function sourceValue(node: EditableScalar): string {
  return CST.resolveAsScalar(node.srcToken)?.value ?? String(node.value);
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(root)';
}

function resolveNode(node: unknown, ctx: WalkContext): unknown {
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc);
    if (target) ctx.currentAliases.push(node);
    return target;
  }
  return node;
}

/** Value node of `key` in a map (alias resolved), or undefined. */
function mapGet(map: YAMLMap, key: string, ctx: WalkContext, aliases?: Node[]): unknown {
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? pair.key.value : pair.key;
    if (k === key) {
      if (isAlias(pair.value)) {
        const target = pair.value.resolve(ctx.doc);
        if (target && aliases) aliases.push(pair.value);
        return target;
      }
      return pair.value;
    }
  }
  return undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key) && (typeof key.value === 'string' || typeof key.value === 'number' || typeof key.value === 'boolean')) return String(key.value);
  return undefined;
}

function lineOf(node: Node, ctx: WalkContext): number {
  return ctx.lines.linePos(node.range?.[0] ?? 0).line;
}

function stringScalar(node: unknown): EditableScalar | undefined {
  return isEditable(node) && typeof node.value === 'string' ? node : undefined;
}

function recordAliases(ctx: WalkContext, node: Scalar, aliases: readonly Node[]): void {
  if (!aliases.length) return;
  const set = ctx.aliasesUsed.get(node) ?? new Set<Node>();
  for (const a of aliases) set.add(a);
  ctx.aliasesUsed.set(node, set);
}

/** Makes `node` the candidate's tag or digest scalar, found at `path` in a block or flow map; a non-empty digest also goes to `found`. */
function attach(c: Candidate, role: 'tagNode' | 'digestNode', node: EditableScalar, path: (string | number)[], inFlow: boolean): void {
  c[role] = node;
  c.paths.set(node, formatPath(path));
  c.inFlow.set(node, inFlow);
  if (role === 'digestNode' && sourceValue(node)) c.found.digest = sourceValue(node);
}

/** Detects the Helm-style image mapping `{registry?, repository|image, tag, digest?}`. */
function mapCandidate(map: YAMLMap, path: (string | number)[], ctx: WalkContext, key?: string): Candidate | undefined {
  const repoKey = isEditable(mapGet(map, 'repository', ctx)) ? 'repository' : 'image';
  const repoNode = stringScalar(mapGet(map, repoKey, ctx));
  if (!repoNode) return undefined;
  const tagAliases: Node[] = [];
  const tagValue = mapGet(map, 'tag', ctx, tagAliases);
  const hasTagKey = map.items.some((p) => keyText(p.key) === 'tag');
  // A `repository` with no sibling `tag` is not an image (e.g. volsync's restic `repository:`)
  // unless the map sits under an `…image` key; then it is listed but cannot be bumped.
  if (!hasTagKey && repoKey === 'repository' && !(key !== undefined && /image$/i.test(key))) return undefined;
  const registryNode = stringScalar(mapGet(map, 'registry', ctx));
  const repoText = sourceValue(repoNode);
  const registry = registryNode ? sourceValue(registryNode).replace(/\/+$/, '') : '';
  const repository = registry ? `${registry}/${repoText}` : repoText;
  const parts = splitReference(repository);
  if (!parts || parts.tag !== undefined || parts.digest !== undefined) return undefined;
  ctx.repositoryScalars.add(repoNode);
  const candidate: Candidate = {
    found: { repository, form: 'map', path: formatPath(path), line: lineOf(repoNode, ctx), document: ctx.docIndex },
    paths: new Map(),
    inFlow: new Map(),
  };
  if (!hasTagKey) {
    candidate.found.unbumpable = 'no tag key (a bump never creates keys)';
    return candidate;
  }
  if (!isEditable(tagValue)) {
    candidate.found.unbumpable = 'its tag is not a single-line scalar';
    return candidate;
  }
  attach(candidate, 'tagNode', tagValue, [...path, 'tag'], !!map.flow);
  recordAliases(ctx, tagValue, tagAliases);
  candidate.found.line = lineOf(tagValue, ctx);
  const tagText = sourceValue(tagValue);
  const at = tagText.indexOf('@');
  candidate.found.tag = at >= 0 ? tagText.slice(0, at) : tagText;
  if (at >= 0) candidate.found.digest = tagText.slice(at + 1);
  const digestAliases: Node[] = [];
  const digestNode = mapGet(map, 'digest', ctx, digestAliases);
  if (isEditable(digestNode)) {
    attach(candidate, 'digestNode', digestNode, [...path, 'digest'], !!map.flow);
    recordAliases(ctx, digestNode, digestAliases);
  }
  return candidate;
}

/** Detects `key: repo[:tag][@digest]` under a key ending in `image` (Renovate's helm-values rule). */
function stringCandidate(node: EditableScalar, path: (string | number)[], inFlow: boolean, ctx: WalkContext): Candidate | undefined {
  const parts = splitReference(sourceValue(node));
  if (!parts) return undefined;
  const candidate: Candidate = {
    found: { repository: parts.repository, form: 'string', path: formatPath(path), line: lineOf(node, ctx), document: ctx.docIndex },
    paths: new Map([[node, formatPath(path)]]),
    inFlow: new Map([[node, inFlow]]),
  };
  if (parts.tag !== undefined) candidate.found.tag = parts.tag;
  if (parts.digest !== undefined) candidate.found.digest = parts.digest;
  if (parts.tag === undefined && parts.digest === undefined) candidate.found.unbumpable = 'the reference has no tag or digest to replace';
  else candidate.refNode = node;
  recordAliases(ctx, node, ctx.currentAliases);
  return candidate;
}

/** Walks a values tree collecting image candidates; aliases are followed to their anchors. */
function walk(node: unknown, path: (string | number)[], ctx: WalkContext, key: string | undefined, inFlow: boolean): void {
  const aliasMark = ctx.currentAliases.length;
  const resolved = resolveNode(node, ctx);
  try {
    if (isCollection(resolved)) {
      if (ctx.stack.has(resolved)) return;
      ctx.stack.add(resolved);
      try {
        if (isMap(resolved)) {
          const c = mapCandidate(resolved, path, ctx, key);
          if (c) ctx.candidates.push(c);
          for (const pair of resolved.items) {
            const k = keyText(pair.key);
            if (k === undefined) continue;
            walk(pair.value, [...path, k], ctx, k, !!resolved.flow);
          }
        } else if (isSeq(resolved)) {
          resolved.items.forEach((item, i) => walk(item, [...path, i], ctx, key, !!resolved.flow));
        }
      } finally {
        ctx.stack.delete(resolved);
      }
    } else if (key !== undefined && /image$/i.test(key) && stringScalar(resolved) && !ctx.repositoryScalars.has(resolved as Node)) {
      const c = stringCandidate(resolved as EditableScalar, path, inFlow, ctx);
      if (c) ctx.candidates.push(c);
    }
  } finally {
    ctx.currentAliases.length = aliasMark;
  }
}

/** kustomize `images:` entries of a `kustomize.config.k8s.io` Kustomization. */
function kustomizeCandidates(doc: Document.Parsed, ctx: WalkContext): void {
  const images = resolveNode(isMap(doc.contents) ? mapGet(doc.contents, 'images', ctx) : undefined, ctx);
  if (!isSeq(images)) return;
  images.items.forEach((item, i) => {
    const entry = resolveNode(item, ctx);
    if (!isMap(entry)) return;
    const name = stringScalar(mapGet(entry, 'newName', ctx)) ?? stringScalar(mapGet(entry, 'name', ctx));
    if (!name) return;
    const path: (string | number)[] = ['images', i];
    const candidate: Candidate = {
      found: { repository: sourceValue(name), form: 'kustomize', path: formatPath(path), line: lineOf(name, ctx), document: ctx.docIndex },
      paths: new Map(),
      inFlow: new Map(),
    };
    const tag = mapGet(entry, 'newTag', ctx);
    if (isEditable(tag)) {
      attach(candidate, 'tagNode', tag, [...path, 'newTag'], !!entry.flow);
      candidate.found.tag = sourceValue(tag);
      candidate.found.line = lineOf(tag, ctx);
    } else {
      candidate.found.unbumpable = 'no newTag key (a bump never creates keys)';
    }
    const digest = mapGet(entry, 'digest', ctx);
    if (isEditable(digest)) attach(candidate, 'digestNode', digest, [...path, 'digest'], !!entry.flow);
    ctx.candidates.push(candidate);
  });
}

function docString(doc: Document.Parsed, key: string): string | undefined {
  const v = isMap(doc.contents) ? doc.contents.get(key) : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** Describes `spec.valuesFrom` entries: `ConfigMap spegel-helm-values`. */
function describeValuesFrom(spec: YAMLMap): string[] {
  const from = spec.get('valuesFrom');
  if (!isSeq(from)) return [];
  return from.items.map((item) => (isMap(item) ? `${String(item.get('kind') ?? '?')} ${String(item.get('name') ?? '?')}` : '?'));
}

interface KeyPathMiss { depth: number; reached: string; keys: string[]; missing: string }

/**
 * Follows a dotted key path from `root`. Returns the node and its path, or a miss describing the
 * deepest level reached and the keys (or indices) that exist there.
 */
function followKeyPath(root: unknown, segments: readonly string[], base: (string | number)[], ctx: WalkContext):
  { node: unknown; path: (string | number)[]; parent: unknown; inFlow: boolean } | { miss: KeyPathMiss } {
  let node = resolveNode(root, ctx);
  let parent: unknown;
  let inFlow = false;
  const path = [...base];
  for (const [depth, seg] of segments.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === seg);
      if (!pair) return { miss: { depth, reached: formatPath(path), keys: node.items.map((p) => keyText(p.key) ?? '?'), missing: seg } };
      parent = node;
      inFlow = !!node.flow;
      node = resolveNode(pair.value, ctx);
      path.push(seg);
    } else if (isSeq(node) && /^\d+$/.test(seg) && Number(seg) < node.items.length) {
      parent = node;
      inFlow = !!node.flow;
      node = resolveNode(node.items[Number(seg)], ctx);
      path.push(Number(seg));
    } else {
      const keys = isSeq(node) ? node.items.map((_, i) => String(i)) : [];
      return { miss: { depth, reached: formatPath(path), keys, missing: seg } };
    }
  }
  return { node, path, parent, inFlow };
}

interface PlannedEdit {
  node: EditableScalar;
  edit: ScalarEdit;
  inFlow: boolean;
}

/** A Flux post-build substitution (`${VAR}`, `${VAR:=default}`): the value is filled in by the kustomize-controller, not written here. */
const FLUX_SUBSTITUTION = /\$\{[^}]*\}/;

/** The `tag@digest` / `digest` / reference text for one candidate and target (throws on a stale digest or a Flux substitution). */
function planCandidate(c: Candidate, target: ImageTarget, warnings: string[]): PlannedEdit[] {
  const plans: PlannedEdit[] = [];
  const stale = (where: string): BumpTargetError => new BumpTargetError(
    `${c.found.path} (line ${c.found.line}) pins image ${c.found.repository} to a digest in ${where}; give input "digest" too `
    + '(a new tag with the old digest would keep deploying the old image)');
  const add = (node: EditableScalar, role: ScalarEdit['role'], newValue: string, oldTag?: string): void => {
    const edit: ScalarEdit = { path: c.paths.get(node) ?? c.found.path, line: c.found.line, role, repository: c.found.repository, oldValue: sourceValue(node), newValue };
    if (oldTag !== undefined) edit.oldTag = oldTag;
    plans.push({ node, edit, inFlow: c.inFlow.get(node) ?? false });
  };
  if (c.refNode) {
    const parts = splitReference(sourceValue(c.refNode))!;
    if (parts.digest && !target.digest) throw stale('the reference string');
    let text = parts.repository;
    if (parts.tag !== undefined) text += `:${target.tag}`;
    if (parts.digest) text += `@${target.digest}`;
    add(c.refNode, 'reference', text, parts.tag);
    return plans;
  }
  if (!c.tagNode) return plans;
  const oldTagText = sourceValue(c.tagNode);
  if (FLUX_SUBSTITUTION.test(oldTagText)) {
    throw new BumpTargetError(`${c.found.path} (line ${c.found.line}) sets the tag of ${c.found.repository} from a Flux substitution ("${oldTagText}"); `
      + 'refusing to overwrite it: change the variable in its postBuild.substitute / substituteFrom source instead');
  }
  const glued = oldTagText.includes('@');
  const digestKeyValue = c.digestNode ? sourceValue(c.digestNode) : '';
  if (!target.digest && glued) throw stale('its tag (tag@digest)');
  if (!target.digest && digestKeyValue) throw stale(`its digest key`);
  add(c.tagNode, 'tag', glued ? `${target.tag}@${target.digest}` : target.tag, glued ? oldTagText.slice(0, oldTagText.indexOf('@')) : oldTagText);
  if (target.digest && c.digestNode) add(c.digestNode, 'digest', target.digest);
  if (target.digest && !c.digestNode && !glued) {
    warnings.push(`${c.found.path}: digest not written (no digest key and the tag carries none; a bump never creates keys)`);
  }
  return plans;
}

const YAML11_NON_STRINGS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|)$/;

/**
 * True when `text` written as a plain scalar loads back as that same string under both the YAML 1.2
 * core schema and YAML 1.1 (Helm reads values with a YAML 1.1 parser): `1.10`, `16`, `1e5`,
 * `2024-06-27`, `0777`, `yes` do not.
 */
export function loadsAsString(text: string): boolean {
  if (YAML11_NON_STRINGS.test(text)) return false;
  for (const version of ['1.2', '1.1'] as const) {
    const doc = parseDocument(text, { version });
    if (doc.errors.length || !isScalar(doc.contents) || doc.contents.value !== text) return false;
  }
  return true;
}

/** Quote style for the new text: keep quotes; plain stays plain only when it still loads as a string. */
function scalarType(node: EditableScalar, newValue: string): Scalar.Type {
  if (node.srcToken.type === 'single-quoted-scalar') return 'QUOTE_SINGLE';
  if (node.srcToken.type === 'double-quoted-scalar') return 'QUOTE_DOUBLE';
  return loadsAsString(newValue) ? 'PLAIN' : 'QUOTE_DOUBLE';
}

interface ParsedFile {
  tokens: CST.Token[];
  docs: Document.Parsed[];
  lines: LineCounter;
}

/**
 * Most aliases a file may expand to (the `yaml` library's `maxAliasCount`, its own default): a
 * 583-byte "billion laughs" file otherwise keeps the walk busy for minutes.
 */
export const MAX_ALIAS_COUNT = 100;

/** Throws `BumpTargetError` when a document expands aliases beyond `MAX_ALIAS_COUNT` (checked by loading it once). */
function refuseAliasBombs(docs: readonly Document.Parsed[]): void {
  for (const doc of docs) {
    try {
      doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      throw new BumpTargetError(`expands YAML aliases beyond the limit of ${MAX_ALIAS_COUNT} (maxAliasCount): refusing it as a possible alias bomb (${(error as Error).message})`);
    }
  }
}

/**
 * Parses and composes `text`. The library's own duplicate-key check (`uniqueKeys`) compares each
 * key with every earlier one, which made a 50 MB values file take minutes; it is off here and
 * `refuseDuplicateKeys` does the same check with a set per map.
 */
function parseFile(text: string, keepSourceTokens: boolean): ParsedFile {
  const lines = new LineCounter();
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const docs = Array.from(new Composer({ keepSourceTokens, uniqueKeys: false }).compose(tokens));
  return { tokens, docs, lines };
}

/** Throws `BumpTargetError` at the first repeated scalar key of a map (YAML 1.2 §3.2.1.1: keys are unique). */
function refuseDuplicateKeys(doc: Document.Parsed, lines: LineCounter): void {
  visit(doc, {
    Map: (_k, map) => {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const id = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (seen.has(id)) {
          throw new BumpTargetError(`does not parse as YAML (line ${lines.linePos(pair.key.range?.[0] ?? 0).line}): Map keys must be unique ("${String(pair.key.value)}" repeats)`);
        }
        seen.add(id);
      }
    },
  });
}

/**
 * A flat fingerprint of every node in document order: scalars as their loaded value, collections
 * and aliases as markers. Aliases are not expanded, so an anchored scalar appears once.
 */
function fingerprint(doc: Document.Parsed): Array<{ node: Node; value: unknown }> {
  const out: Array<{ node: Node; value: unknown }> = [];
  visit(doc, {
    Scalar: (_k, node) => { out.push({ node, value: node.value }); },
    Map: (_k, node) => { out.push({ node, value: `map:${node.items.length}` }); },
    Seq: (_k, node) => { out.push({ node, value: `seq:${node.items.length}` }); },
    Alias: (_k, node) => { out.push({ node, value: `alias:${node.source}` }); },
  });
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return Object.is(a, b) || (typeof a === 'object' && a !== null && JSON.stringify(a) === JSON.stringify(b));
}

/**
 * Re-parses `newText` and checks that it loads like `before` except the target scalars, which must
 * now load as their new strings. Throws `BumpTargetError` (a bug guard: it should never fire).
 */
function assertOnlyTargetsChanged(before: ParsedFile, newText: string, targets: Map<Node, string>): void {
  const after = parseFile(newText, false);
  if (after.docs.length !== before.docs.length) throw new BumpTargetError(`internal check failed: the edit changed the number of documents`);
  after.docs.forEach((doc, i) => {
    const oldDoc = before.docs[i]!;
    if (doc.errors.length > oldDoc.errors.length) throw new BumpTargetError(`internal check failed: the edited text does not parse (${doc.errors[0]?.message})`);
    const a = fingerprint(oldDoc);
    const b = fingerprint(doc);
    if (a.length !== b.length) throw new BumpTargetError(`internal check failed: the edit changed the structure of document ${i}`);
    a.forEach((entry, j) => {
      const now = b[j]!.value;
      const want = targets.get(entry.node);
      if (want !== undefined ? now !== want : !sameValue(entry.value, now)) {
        throw new BumpTargetError(`internal check failed: value ${j} of document ${i} changed unexpectedly (${String(entry.value)} → ${String(now)})`);
      }
    });
  });
}

/** The candidates in one document, honouring `kind` and `keyPath`. */
function documentCandidates(doc: Document.Parsed, docIndex: number, request: SpliceRequest, parsed: ParsedFile,
  info: { valuesFrom: string[]; skippedKinds: string[]; helmReleases: number; misses: KeyPathMiss[]; keyPathHits: number },
  aliasesUsed: Map<Node, Set<Node>>): Candidate[] {
  const ctx: WalkContext = {
    doc, docIndex, lines: parsed.lines, candidates: [], repositoryScalars: new Set(), stack: new Set(), aliasesUsed, currentAliases: [],
  };
  const kindValue = docString(doc, 'kind');
  const apiVersion = docString(doc, 'apiVersion') ?? '';
  const isHelmRelease = kindValue === 'HelmRelease';
  const isKustomization = kindValue === 'Kustomization' && apiVersion.startsWith('kustomize.config.k8s.io/');
  let root: unknown = doc.contents;
  let base: (string | number)[] = [];
  if (request.kind === 'helmrelease' || (request.kind === 'auto' && isHelmRelease)) {
    if (!isHelmRelease) return [];
    info.helmReleases++;
    const spec = resolveNode(isMap(doc.contents) ? mapGet(doc.contents, 'spec', ctx) : undefined, ctx);
    if (!isMap(spec)) return [];
    const from = describeValuesFrom(spec);
    const name = isMap(doc.contents) ? String((doc.contents.get('metadata') as YAMLMap | undefined)?.get?.('name') ?? '?') : '?';
    if (from.length) info.valuesFrom.push(`HelmRelease "${name}" (valuesFrom: ${from.join(', ')})`);
    root = mapGet(spec, 'values', ctx);
    base = ['spec', 'values'];
    if (root === undefined) return [];
  } else if (request.kind === 'auto' && isKustomization) {
    if (request.keyPath) return [];
    kustomizeCandidates(doc, ctx);
    return ctx.candidates;
  } else if (request.kind === 'auto' && kindValue && apiVersion) {
    info.skippedKinds.push(kindValue);
    return [];
  }
  if (request.keyPath) {
    const hit = followKeyPath(root, request.keyPath.split('.'), base, ctx);
    if ('miss' in hit) {
      info.misses.push(hit.miss);
      return [];
    }
    info.keyPathHits++;
    if (isCollection(hit.node)) {
      walk(hit.node, hit.path, ctx, undefined, hit.inFlow);
      return ctx.candidates;
    }
    // A scalar: the tag of the parent image map, or a reference string under any key.
    if (isMap(hit.parent)) {
      const c = mapCandidate(hit.parent, hit.path.slice(0, -1), ctx, String(hit.path.at(-2) ?? ''));
      if (c && (c.tagNode === hit.node || c.digestNode === hit.node)) return [c];
    }
    const scalar = stringScalar(hit.node);
    const c = scalar ? stringCandidate(scalar, hit.path, hit.inFlow, ctx) : undefined;
    if (c) return [c];
    throw new BumpTargetError(`Input "key-path" "${request.keyPath}" points at ${formatPath(hit.path)}, which is neither an image mapping, an image tag nor an image reference`);
  }
  walk(root, base, ctx, undefined, false);
  return ctx.candidates;
}

/**
 * Sets the tag (and digest) of every image in `text` whose repository matches a target.
 *
 * - `kind`: `helmrelease` searches only `spec.values` of `kind: HelmRelease` documents; `values`
 *   searches every document as Helm values; `auto` does HelmRelease → `spec.values`, kustomize
 *   Kustomization → `images[].newTag`, documents without `apiVersion`+`kind` → values, and skips
 *   other Kubernetes objects.
 * - Image forms: `{registry?, repository|image, tag, digest?}` maps, `repo:tag[@digest]` strings
 *   under keys ending in `image`, kustomize `images` entries. Repositories compare exactly after
 *   Docker Hub canonicalisation (`sameRepository`).
 * - Digests: written to a sibling `digest` key, and after `@` where the tag or reference already
 *   carries one. A file that pins a digest and a target without one is refused (stale pin).
 * - Aliases are followed to the anchored scalar, which is edited once.
 * - Flux setter markers (`# {"$imagepolicy": "ns:name[:tag|:name|:digest]"}`, image-setters.ts):
 *   a file carrying any marker is edited only at markers naming `imagePolicy` (any `kind`, no
 *   repository matching; docs/gitops.md, "Flux setter markers and repository matching").
 * - A new plain value that would load as a non-string (`1.10`, `16`) is written double-quoted;
 *   quoted scalars keep their quote style. Keys are never created.
 *
 * Throws `BumpTargetError` for a file that does not parse, one whose aliases expand beyond
 * `MAX_ALIAS_COUNT`, a missing `keyPath` (listing the keys
 * at the deepest level reached) or a stale digest. A file without a match is not an error here:
 * `matched` is empty and `found`/`valuesFrom` let the caller explain (see `describeNoMatch`).
 */
export function spliceImageTags(text: string, request: SpliceRequest): SpliceResult {
  const parsed = parseFile(text, true);
  for (const doc of parsed.docs) {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      throw new BumpTargetError(`does not parse as YAML (line ${parsed.lines.linePos(e.pos[0]).line}): ${e.message.split('\n')[0]}`);
    }
    refuseDuplicateKeys(doc, parsed.lines);
  }
  refuseAliasBombs(parsed.docs);
  const marked = markedScalars(parsed);
  if (marked.length) return spliceMarked(text, parsed, marked, request);
  const info = { valuesFrom: [] as string[], skippedKinds: [] as string[], helmReleases: 0, misses: [] as KeyPathMiss[], keyPathHits: 0 };
  const aliasesUsed = new Map<Node, Set<Node>>();
  const candidates = parsed.docs.flatMap((doc, i) => documentCandidates(doc, i, request, parsed, info, aliasesUsed));
  if (request.kind === 'helmrelease' && info.helmReleases === 0) {
    throw new BumpTargetError('has no HelmRelease document (input "kind" is helmrelease)');
  }
  if (request.keyPath && info.keyPathHits === 0 && info.misses.length) {
    const deepest = info.misses.reduce((a, b) => (b.depth > a.depth ? b : a));
    throw new BumpTargetError(`Input "key-path" "${request.keyPath}" not found: no "${deepest.missing}" under ${deepest.reached}; `
      + `keys there: ${deepest.keys.length ? deepest.keys.join(', ') : '(none)'}`);
  }

  const warnings: string[] = [];
  const planned = new Map<Node, PlannedEdit>();
  const matched: FoundImage[] = [];
  const matchedTargets = new Set<string>();
  const unbumpable: FoundImage[] = [];
  for (const c of candidates) {
    const target = request.targets.find((t) => sameRepository(t.repository, c.found.repository));
    if (!target) continue;
    if (c.found.unbumpable) {
      unbumpable.push(c.found);
      continue;
    }
    matchedTargets.add(target.repository);
    matched.push(c.found);
    for (const plan of planCandidate(c, target, warnings)) {
      const prior = planned.get(plan.node);
      if (prior && prior.edit.newValue !== plan.edit.newValue) {
        throw new BumpTargetError(`${plan.edit.path} is shared (anchor/alias) by two images that want different values ("${prior.edit.newValue}" and "${plan.edit.newValue}")`);
      }
      if (!prior) planned.set(plan.node, plan);
    }
  }

  for (const u of unbumpable) {
    const message = `${u.path} (line ${u.line}) names image ${u.repository} but cannot be bumped: ${u.unbumpable}`;
    if (![...matchedTargets].some((t) => sameRepository(t, u.repository))) throw new BumpTargetError(message);
    warnings.push(`${message}; left unchanged`);
  }

  // An anchored scalar also used where no image points would change there too: say so.
  for (const plan of planned.values()) {
    const anchor = plan.node.anchor;
    if (!anchor) continue;
    const used = aliasesUsed.get(plan.node) ?? new Set();
    for (const doc of parsed.docs) {
      visit(doc, { Alias: (_k, alias) => {
        if (alias.source === anchor && !used.has(alias) && alias.resolve(doc) === plan.node) {
          warnings.push(`${plan.edit.path}: the value is anchor &${anchor} (line ${parsed.lines.linePos(plan.node.range?.[0] ?? 0).line}), `
            + `also used at line ${parsed.lines.linePos(alias.range?.[0] ?? 0).line}, which changes too`);
        }
      } });
    }
  }

  const { out, edits } = applyEdits(text, parsed, planned);
  return {
    text: out,
    changed: out !== text,
    edits,
    matched,
    found: candidates.map((c) => c.found),
    matchedTargets: [...matchedTargets],
    warnings,
    valuesFrom: info.valuesFrom,
    skippedKinds: [...new Set(info.skippedKinds)],
  };
}

/** Writes the planned edits into the token stream (byte-preserving) and checks nothing else changed. */
function applyEdits(text: string, parsed: ParsedFile, planned: Map<Node, PlannedEdit>): { out: string; edits: ScalarEdit[] } {
  const edits: ScalarEdit[] = [];
  const targetsAfter = new Map<Node, string>();
  for (const plan of planned.values()) {
    plan.edit.line = parsed.lines.linePos(plan.node.range?.[0] ?? 0).line;
    if (plan.edit.oldValue === plan.edit.newValue) continue;
    CST.setScalarValue(plan.node.srcToken, plan.edit.newValue, { type: scalarType(plan.node, plan.edit.newValue), inFlow: plan.inFlow });
    edits.push(plan.edit);
    targetsAfter.set(plan.node, plan.edit.newValue);
  }
  const out = edits.length ? parsed.tokens.map((t) => CST.stringify(t)).join('') : text;
  // The composed nodes still hold the values read before the tokens were edited.
  if (edits.length) assertOnlyTargetsChanged(parsed, out, targetsAfter);
  edits.sort((a, b) => a.line - b.line);
  return { out, edits };
}

interface MarkedScalar {
  node: EditableScalar;
  marker: SetterMarker;
  path: string;
  inFlow: boolean;
  docIndex: number;
}

/** Every flow scalar followed by a `$imagepolicy` line comment, with its dotted path. */
function markedScalars(parsed: ParsedFile): MarkedScalar[] {
  const out: MarkedScalar[] = [];
  parsed.docs.forEach((doc, docIndex) => {
    visit(doc, { Scalar: (_key, node, ancestry) => {
      if (!isEditable(node)) return;
      const comment = node.srcToken.end?.find((t) => t.type === 'comment');
      const marker = comment ? parseSetterMarker(comment.source) : undefined;
      if (!marker) return;
      const path: (string | number)[] = [];
      let inFlow = false;
      const chain = [...ancestry, node];
      chain.forEach((a, i) => {
        if (isPair(a)) path.push(keyText(a.key) ?? '?');
        else if (isSeq(a) && chain[i + 1]) path.push(a.items.indexOf(chain[i + 1] as Node));
        if (isCollection(a)) inFlow = !!a.flow;
      });
      out.push({ node, marker, path: formatPath(path), inFlow, docIndex });
    } });
  });
  return out;
}

/**
 * Setter-marker mode: only scalars whose marker names `request.imagePolicy` change, each to the
 * part of the first target its marker asks for (`setterValue`); repository matching is off.
 */
function spliceMarked(text: string, parsed: ParsedFile, marked: readonly MarkedScalar[], request: SpliceRequest): SpliceResult {
  const target = request.targets[0];
  const planned = new Map<Node, PlannedEdit>();
  const matched: FoundImage[] = [];
  const found: FoundImage[] = [];
  const warnings: string[] = [];
  for (const m of marked) {
    const old = sourceValue(m.node);
    const line = parsed.lines.linePos(m.node.range?.[0] ?? 0).line;
    const parts = m.marker.field === 'image' ? splitReference(old) : undefined;
    const image: FoundImage = { repository: parts?.repository ?? `(${m.marker.field} of policy ${m.marker.policy})`, form: 'string', path: m.path, line, document: m.docIndex };
    const oldTag = m.marker.field === 'tag' ? old : parts?.tag;
    if (oldTag !== undefined) image.tag = oldTag;
    found.push(image);
    if (!target || !request.imagePolicy || m.marker.policy !== request.imagePolicy) continue;
    if (FLUX_SUBSTITUTION.test(old)) {
      throw new BumpTargetError(`${m.path} (line ${line}) is set from a Flux substitution ("${old}"); refusing to overwrite it`);
    }
    const newValue = setterValue(m.marker.field, target);
    if (newValue === undefined) {
      throw new BumpTargetError(`${m.path} (line ${line}) is marked as the digest of policy ${m.marker.policy}; give input "digest" too (the old digest would keep deploying the old image)`);
    }
    image.repository = target.repository;
    matched.push(image);
    const role = ({ image: 'reference', tag: 'tag', name: 'name', digest: 'digest' } as const)[m.marker.field];
    const edit: ScalarEdit = { path: m.path, line, role, repository: target.repository, oldValue: old, newValue };
    if (oldTag !== undefined) edit.oldTag = oldTag;
    planned.set(m.node, { node: m.node, edit, inFlow: m.inFlow });
    if (m.node.anchor && old !== newValue) warnings.push(`${m.path}: the value is anchor &${m.node.anchor} (line ${line}); its aliases change too`);
  }
  const { out, edits } = applyEdits(text, parsed, planned);
  return {
    text: out, changed: out !== text, edits, matched, found,
    matchedTargets: matched.length && target ? [target.repository] : [],
    warnings, valuesFrom: [], skippedKinds: [],
  };
}

/**
 * The message for a file where no target matched: the images that are there (with path and
 * line), the HelmReleases that take their values from `valuesFrom`, and skipped document kinds.
 */
export function describeNoMatch(file: string, targets: readonly ImageTarget[], result: Pick<SpliceResult, 'found' | 'valuesFrom' | 'skippedKinds'>): string {
  const wanted = targets.map((t) => t.repository).join(', ');
  const parts = [`${file}: no image ${wanted} found`];
  if (result.found.length) {
    const list = result.found.map((f) => `${f.repository}${f.tag ? `:${f.tag}` : ''} (${f.path}, line ${f.line})`);
    parts.push(`images in the file: ${list.join('; ')}`);
  } else {
    parts.push('the file names no images');
  }
  if (result.valuesFrom.length) {
    parts.push(`${result.valuesFrom.join('; ')} takes its values from valuesFrom, which a bump cannot follow: bump the file that holds those values instead`);
  }
  if (result.skippedKinds.length) parts.push(`skipped documents of kind ${result.skippedKinds.join(', ')}`);
  return parts.join('; ');
}
