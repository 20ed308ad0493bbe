import type { IgnoreRule } from './trivyignore.ts';
import { findIgnoreRule, isExpired } from './trivyignore.ts';
import type { FindingKind, Severity, TrivyFinding, TrivyReport } from './trivy-report.ts';
import { FINDING_KINDS, SEVERITIES, atOrAbove, isSeverity, isUnfixed } from './trivy-report.ts';
import { InputError } from './errors.ts';

/**
 * The Trivy gate: one pure function from a parsed report and a policy to a verdict.
 *
 * Policy (issue "action-scan: a Trivy gate that is correct, explains itself and fails closed"):
 * - `failOn` is a threshold: a finding trips the gate when its severity is the same as or above it
 *   (`HIGH` trips on HIGH and CRITICAL). It is kept apart from what is *reported*: the report and
 *   the SARIF keep every severity.
 * - `ignoreUnfixed` drops vulnerabilities without a fix (Trivy's `--ignore-unfixed`, see `isUnfixed`).
 * - ignore rules (`.trivyignore`, `.trivyignore.yaml`) drop what they cover while in force.
 * - the policy applies to every kind: vulnerabilities, secrets and FAILed misconfigurations.
 */

export type SeverityCounts = Record<Severity, number>;

export interface GateOptions {
  /** Threshold: CRITICAL | HIGH | MEDIUM | LOW | UNKNOWN. */
  failOn: Severity;
  /** Drop vulnerabilities that have no fix (default false). */
  ignoreUnfixed?: boolean;
  /** Parsed `.trivyignore` / `.trivyignore.yaml` rules. */
  ignoreRules?: readonly IgnoreRule[];
  /** Clock for rule expiry (default: now). */
  now?: Date;
  /** Kinds that can trip the gate (default: all). Findings of other kinds are still counted. */
  kinds?: readonly FindingKind[];
}

/** A finding the policy set aside, and why. */
export interface Suppressed {
  finding: TrivyFinding;
  reason: 'ignored' | 'unfixed';
  /** The ignore rule, when `reason` is `ignored`. */
  rule?: IgnoreRule;
}

export interface GateResult {
  passed: boolean;
  failOn: Severity;
  /** Vulnerability entries after filters, one per `Results[].Vulnerabilities[]` item, by severity. */
  counts: SeverityCounts;
  /** Every kind after filters, by severity. */
  countsByKind: Record<FindingKind, SeverityCounts>;
  /** Findings left after filters, every severity, in report order (what the SARIF shows). */
  kept: TrivyFinding[];
  /** Kept findings at or above `failOn` of a gated kind, most severe first: why the gate failed. */
  tripped: TrivyFinding[];
  suppressed: Suppressed[];
  /** Expired ignore rules whose id still occurs among the kept findings (worth telling the user). */
  expiredRules: IgnoreRule[];
}

/** A record with all five severities at zero. */
export function zeroCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
}

/**
 * Validates a `fail-on` value (case-insensitive, trimmed) and returns the severity. Throws
 * `InputError` naming `inputName` and listing the allowed values, e.g.
 * `Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")`.
 */
export function parseFailOn(value: string, inputName = 'fail-on'): Severity {
  const v = value.trim().toUpperCase();
  if (isSeverity(v)) return v;
  throw new InputError(inputName, `must be one of ${SEVERITIES.join(', ')} (got "${value}")`);
}

/**
 * Applies the policy to `report` and returns the verdict with its evidence. Pure and total: it
 * never throws for a parsed report. `passed` is true exactly when `tripped` is empty.
 */
export function gateReport(report: TrivyReport, options: GateOptions): GateResult {
  const now = options.now ?? new Date();
  const rules = options.ignoreRules ?? [];
  const gatedKinds = options.kinds ?? FINDING_KINDS;
  const counts = zeroCounts();
  const countsByKind = { vulnerability: zeroCounts(), secret: zeroCounts(), misconfiguration: zeroCounts() } as Record<FindingKind, SeverityCounts>;
  const kept: TrivyFinding[] = [];
  const tripped: TrivyFinding[] = [];
  const suppressed: Suppressed[] = [];
  for (const finding of report.findings) {
    const rule = rules.length ? findIgnoreRule(rules, finding, now) : undefined;
    if (rule) {
      suppressed.push({ finding, reason: 'ignored', rule });
      continue;
    }
    if (options.ignoreUnfixed && isUnfixed(finding)) {
      suppressed.push({ finding, reason: 'unfixed' });
      continue;
    }
    kept.push(finding);
    countsByKind[finding.kind][finding.severity]++;
    if (finding.kind === 'vulnerability') counts[finding.severity]++;
    if (gatedKinds.includes(finding.kind) && atOrAbove(finding.severity, options.failOn)) tripped.push(finding);
  }
  // Most severe first; report order within a severity (Array.prototype.sort is stable).
  tripped.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  const keptIds = new Set(kept.map((f) => f.id));
  const expiredRules = rules.filter((r) => isExpired(r, now) && keptIds.has(r.id));
  return { passed: tripped.length === 0, failOn: options.failOn, counts, countsByKind, kept, tripped, suppressed, expiredRules };
}

/** One line for a user: "2 findings at or above HIGH: CVE-2019-1549 (CRITICAL, libssl1.1), …". */
export function gateVerdictLine(result: GateResult, maxIds = 5): string {
  if (result.passed) return `no findings at or above ${result.failOn}`;
  const n = result.tripped.length;
  const ids = result.tripped.slice(0, maxIds).map((f) => `${f.id} (${f.severity}${f.pkgName ? `, ${f.pkgName}` : f.kind === 'vulnerability' ? '' : `, ${f.kind} in ${f.target}`})`);
  return `${n} finding${n === 1 ? '' : 's'} at or above ${result.failOn}: ${ids.join(', ')}${n > maxIds ? `, and ${n - maxIds} more` : ''}`;
}
