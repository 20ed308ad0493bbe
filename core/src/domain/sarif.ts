import type { Severity, TrivyFinding, TrivyReport } from './trivy-report.ts';

/**
 * SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/) from the findings the gate
 * kept, shaped like Trivy's own `--format sarif` (aquasecurity/trivy `pkg/report/sarif.go`) so that
 * `github/codeql-action/upload-sarif` shows the same alerts it would for Trivy:
 * - one rule per finding id (first occurrence sets its index), `name` from the result class;
 * - level: CRITICAL/HIGH → `error`, MEDIUM → `warning`, LOW/UNKNOWN → `note`;
 * - `properties.security-severity`: the CVSS v3 score of the severity source, else 9.5/8.0/5.5/2.0/0.0
 *   (GitHub sorts code-scanning alerts by it);
 * - each result points at the artifact or file with `uriBaseId` ROOTPATH and a region (lines from
 *   the finding, else 1:1, since code scanning requires a region).
 * Because it is built from the gate's `kept` findings, ignore rules and `ignore-unfixed` apply to
 * the SARIF exactly as to the verdict (unlike trivy-action, where SARIF ignored the filters).
 */

const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifLog {
  version: '2.1.0';
  $schema: string;
  runs: SarifRun[];
}

export interface SarifRun {
  tool: { driver: { name: string; fullName: string; informationUri: string; version?: string; rules: SarifRule[] } };
  results: SarifResult[];
  columnKind: 'utf16CodeUnits';
  originalUriBaseIds?: Record<string, { uri: string }>;
  properties?: Record<string, unknown>;
}

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  defaultConfiguration: { level: SarifLevel };
  helpUri?: string;
  help: { text: string; markdown: string };
  properties: { precision: 'very-high'; 'security-severity': string; tags: string[] };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations: Array<{
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId: 'ROOTPATH' };
      region: { startLine: number; startColumn: number; endLine: number; endColumn: number };
    };
    message: { text: string };
  }>;
}

export type SarifLevel = 'error' | 'warning' | 'note';

/** Trivy's severity → SARIF level mapping (pkg/report/sarif.go toSarifErrorLevel). */
function sarifLevel(severity: Severity): SarifLevel {
  if (severity === 'CRITICAL' || severity === 'HIGH') return 'error';
  if (severity === 'MEDIUM') return 'warning';
  return 'note';
}

const FALLBACK_SCORE: Record<Severity, string> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0', UNKNOWN: '0.0' };

/** `security-severity` for GitHub: CVSS v3 score with one decimal, else a fixed score per severity. */
export function securitySeverity(f: TrivyFinding): string {
  return f.cvssScore !== undefined ? f.cvssScore.toFixed(1) : FALLBACK_SCORE[f.severity];
}

function ruleName(f: TrivyFinding): string {
  switch (f.resultClass) {
    case 'os-pkgs': return 'OsPackageVulnerability';
    case 'lang-pkgs': return 'LanguageSpecificPackageVulnerability';
    case 'config': return 'Misconfiguration';
    case 'secret': return 'Secret';
    default: return f.kind === 'secret' ? 'Secret' : f.kind === 'misconfiguration' ? 'Misconfiguration' : 'UnknownIssue';
  }
}

/**
 * The artifact URI of a result. OS results are titled "<artifact> (<os> <version>)": keep the
 * artifact, and for an image reference keep only its repository path (no registry, tag or digest),
 * as Trivy does; every other target is already a path. Backslashes become slashes.
 */
export function artifactUri(f: TrivyFinding): string {
  let target = f.kind === 'vulnerability' && f.pkgPath ? f.pkgPath : f.target;
  if (f.resultClass === 'os-pkgs' && !(f.kind === 'vulnerability' && f.pkgPath)) {
    target = target.replace(/\s*\([^()]*\)\s*$/, '');
    const isPathLike = target.startsWith('/') || target.startsWith('.') || /\.(tar|tgz|gz|zst)$/.test(target);
    if (!isPathLike) {
      target = target.replace(/@sha256:[0-9a-f]{64}$/, '');
      const slash = target.lastIndexOf('/');
      const colon = target.lastIndexOf(':');
      if (colon > slash) target = target.slice(0, colon);
      const first = target.split('/')[0]!;
      if (target.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) target = target.slice(first.length + 1);
    }
  }
  return target.replace(/\\/g, '/') || '.';
}

function vulnTexts(f: TrivyFinding): { message: string; helpText: string; helpMarkdown: string } {
  const fixed = f.fixedVersion ?? '';
  const link = `[${f.id}](${f.url ?? ''})`;
  return {
    message: `Package: ${f.pkgName}\nInstalled Version: ${f.installedVersion}\nVulnerability ${f.id}\nSeverity: ${f.severity}\nFixed Version: ${fixed}\nLink: ${link}`,
    helpText: `Vulnerability ${f.id}\nSeverity: ${f.severity}\nPackage: ${f.pkgName}\nFixed Version: ${fixed}\nLink: ${link}\n${f.description ?? ''}`,
    helpMarkdown: `**Vulnerability ${f.id}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n|${f.severity}|${f.pkgName}|${fixed}|${link}|\n\n${f.description ?? ''}`,
  };
}

function otherTexts(f: TrivyFinding): { message: string; helpText: string; helpMarkdown: string } {
  const what = f.kind === 'secret' ? 'Secret' : 'Misconfiguration';
  const title = f.title ?? f.id;
  const detail = f.detail ?? '';
  return {
    message: `Artifact: ${f.target}\nType: ${f.resultType ?? f.resultClass}\n${what} ${title}\nSeverity: ${f.severity}\n${f.kind === 'secret' ? 'Match' : 'Message'}: ${detail}`,
    helpText: `${what} ${title}\nSeverity: ${f.severity}\n${f.kind === 'secret' ? 'Match' : 'Message'}: ${detail}`,
    helpMarkdown: `**${what} ${title}**\n| Severity | ${f.kind === 'secret' ? 'Match' : 'Message'} |\n| --- | --- |\n|${f.severity}|${detail.replace(/\|/g, '\\|')}|`,
  };
}

/**
 * Builds a SARIF 2.1.0 log with one run for `findings` (normally `GateResult.kept`) of `report`.
 * `rootUri` (a `file:///…/` URI of the scanned directory) becomes `originalUriBaseIds.ROOTPATH`
 * for filesystem scans, so code scanning can resolve lockfile paths.
 */
export function toSarif(report: TrivyReport, findings: readonly TrivyFinding[], options: { rootUri?: string } = {}): SarifLog {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const results: SarifResult[] = [];
  for (const f of findings) {
    const level = sarifLevel(f.severity);
    const texts = f.kind === 'vulnerability' ? vulnTexts(f) : otherTexts(f);
    let index = ruleIndex.get(f.id);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(f.id, index);
      const rule: SarifRule = {
        id: f.id,
        name: ruleName(f),
        shortDescription: { text: f.title ?? f.id },
        fullDescription: { text: f.description ?? f.title ?? f.detail ?? f.id },
        defaultConfiguration: { level },
        help: { text: texts.helpText, markdown: texts.helpMarkdown },
        properties: { precision: 'very-high', 'security-severity': securitySeverity(f), tags: [f.kind, 'security', f.severity] },
      };
      if (f.url) rule.helpUri = f.url;
      rules.push(rule);
    }
    const uri = artifactUri(f);
    const startLine = f.startLine && f.startLine > 0 ? f.startLine : 1;
    const endLine = f.endLine && f.endLine >= startLine ? f.endLine : startLine;
    results.push({
      ruleId: f.id,
      ruleIndex: index,
      level,
      message: { text: texts.message },
      locations: [{
        physicalLocation: {
          artifactLocation: { uri, uriBaseId: 'ROOTPATH' },
          region: { startLine, startColumn: 1, endLine, endColumn: 1 },
        },
        message: { text: f.kind === 'vulnerability' ? `${uri}: ${f.pkgName}@${f.installedVersion}` : uri },
      }],
    });
  }
  const run: SarifRun = {
    tool: {
      driver: {
        name: 'Trivy',
        fullName: 'Trivy Vulnerability Scanner',
        informationUri: 'https://github.com/aquasecurity/trivy',
        ...(report.trivyVersion ? { version: report.trivyVersion } : {}),
        rules,
      },
    },
    results,
    columnKind: 'utf16CodeUnits',
  };
  if (options.rootUri) run.originalUriBaseIds = { ROOTPATH: { uri: options.rootUri } };
  if (report.artifactType === 'container_image') {
    run.properties = { imageName: report.artifactName, repoTags: report.repoTags, repoDigests: report.repoDigests, ...(report.imageId ? { imageID: report.imageId } : {}) };
  }
  return { version: '2.1.0', $schema: SARIF_SCHEMA_URI, runs: [run] };
}
