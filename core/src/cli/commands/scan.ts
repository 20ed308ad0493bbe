import type { CliCommand } from '../command.ts';
import { parseFlags } from '../command.ts';
import { InputError } from '../../domain/errors.ts';
import { checkRawSizes, flagsFromTable, rawInputsFromFlags } from '../../domain/raw-inputs.ts';
import type { ScanConfig } from '../../domain/scan-config.ts';
import { resolveScanConfig, SCAN_INPUTS_TABLE, TRIVY_DEFAULT_VERSION } from '../../domain/scan-config.ts';
import { defaultIgnoreFiles, runScan } from '../../stages/scan.ts';

/**
 * The `ScanConfig` for `trunkline scan` argv: flags named like action-scan's inputs, resolved by the
 * same `resolveScanConfig` (same defaults, same errors naming the input). A positional argument is
 * the target (`scan-ref`, or `image-ref` with `--scan-type image`); `TRUNKLINE_TRIVY` names a Trivy
 * binary when `--trivy` does not.
 */
export function scanConfigFromArgv(argv: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): ScanConfig {
  const { values, positionals } = parseFlags(argv, flagsFromTable(SCAN_INPUTS_TABLE));
  if (positionals.length > 1) throw new InputError('scan-ref', `takes one path or image reference (got ${positionals.join(' ')})`);
  const raw = rawInputsFromFlags(SCAN_INPUTS_TABLE, values);
  if (positionals[0] !== undefined && raw['scan-ref'] === undefined && raw['image-ref'] === undefined) {
    raw[raw['scan-type'] === 'image' ? 'image-ref' : 'scan-ref'] = positionals[0];
  }
  if (raw.trivy === undefined && env.TRUNKLINE_TRIVY) raw.trivy = env.TRUNKLINE_TRIVY;
  checkRawSizes(raw);
  return resolveScanConfig(raw, { cwd, defaultOutputDir: '.trunkline/scan', defaultIgnoreFiles: defaultIgnoreFiles(cwd) });
}

/** `trunkline scan`: the Trivy gate from argv. */
export const command: CliCommand = {
  name: 'scan',
  summary: 'Run Trivy once (or read a Trivy JSON report) and gate it on a severity threshold',
  usage: `Usage: trunkline scan [TARGET] [options]

Options (the same names, forms and defaults as action-scan's inputs):
  --scan-type fs|image        fs scans a directory, image an image reference or --input tarball
                              (default: image when --image-ref or --input is given, else fs)
  --scan-ref DIR              directory to scan (default .; or give it as TARGET)
  --image-ref REF             image to scan (or, with --report, the image the report must be about)
  --input FILE                image tarball from docker save (image mode)
  --report FILE               gate this Trivy JSON report instead of running Trivy
  --fail-on SEVERITY          CRITICAL | HIGH | MEDIUM | LOW | UNKNOWN: fail at or above it (default HIGH)
  --ignore-unfixed true|false drop vulnerabilities that have no fix (default false)
  --ignore-files FILE         .trivyignore or .trivyignore.yaml (repeatable; default ./.trivyignore if present)
  --scanners LIST             vuln,secret,misconfig (default vuln,secret)
  --skip-dirs DIR             repeatable or comma-separated
  --output-dir DIR            where the report and SARIF go (default .trunkline/scan)
  --scan-policy required|optional  without Trivy: fail (required, default) or skip marked "not scanned"
  --trivy PATH                a Trivy binary to run (default $TRUNKLINE_TRIVY); turns --install-trivy off
  --install-trivy true|false  install Trivy ${TRIVY_DEFAULT_VERSION} (checksum-verified) into the tool cache (default true)
  --trivy-version V           install this version instead (needs --trivy-sha256 unless pinned)
  --trivy-sha256 HEX          sha256 of the release archive, from its checksums.txt
  --cache-dir DIR             Trivy cache (vulnerability DB)
  --db-repositories REPO      DB repositories in fallback order (default: mirrors, then ghcr.io)
  --java-db-repositories R    Java DB repositories in fallback order
  --skip-db-update true|false use the cached DB as is (default false)
  --timeout DURATION          Trivy --timeout (default 10m)
  --summary-max-findings N    rows of the findings table in the summary (default 20)`,
  async run(argv, log) {
    return runScan(scanConfigFromArgv(argv), log);
  },
};
