/**
 * Recognises Amazon ECR registry hosts and reads the account and region out of them, so the ECR
 * client always gets an explicit region (the JS SDK ignores `AWS_DEFAULT_REGION`: the classic
 * "Region is missing", aws-actions/amazon-ecr-login#620).
 *
 * Host forms (AWS "Amazon ECR registries" and "Making requests to Amazon ECR registries", and the
 * pattern in awslabs/amazon-ecr-credential-helper `ecr-login/api/client.go`, extended and anchored):
 * - `<account>.dkr.ecr.<region>.amazonaws.com`            (commercial)
 * - `<account>.dkr.ecr-fips.<region>.amazonaws.com`       (FIPS endpoint)
 * - `<account>.dkr.ecr.<region>.amazonaws.com.cn`         (China)
 * - `<account>.dkr.ecr.<region>.amazonaws.eu`             (European Sovereign Cloud)
 * - `<account>.dkr.ecr.<region>.c2s.ic.gov`, `.sc2s.sgov.gov`, `.cloud.adc-e.uk`, `.csp.hci.ic.gov` (isolated partitions)
 * - `<account>.dkr-ecr.<region>.on.aws`, `<account>.dkr-ecr-fips.<region>.on.aws` (dual-stack IPv4/IPv6)
 * - `public.ecr.aws`                                       (ECR Public: a different API, not handled here)
 */

export interface EcrHost {
  /** The 12-digit AWS account that owns the registry (the `registryId` of API calls). */
  accountId: string;
  region: string;
  fips: boolean;
  dualStack: boolean;
  /** DNS suffix after the region, e.g. `amazonaws.com`, `amazonaws.com.cn`, `on.aws`. */
  domain: string;
  /** The host as given, lower-cased, without scheme or path. */
  host: string;
}

const REGION = '[a-z]{2,4}(?:-[a-z]+)+-\\d{1,2}';
const DOMAINS = ['amazonaws\\.com\\.cn', 'amazonaws\\.com', 'amazonaws\\.eu', 'c2s\\.ic\\.gov', 'sc2s\\.sgov\\.gov', 'cloud\\.adc-e\\.uk', 'csp\\.hci\\.ic\\.gov'];
const PRIVATE = new RegExp(`^(\\d{12})\\.dkr\\.ecr(-fips)?\\.(${REGION})\\.(${DOMAINS.join('|')})$`);
const DUAL_STACK = new RegExp(`^(\\d{12})\\.dkr-ecr(-fips)?\\.(${REGION})\\.(on\\.aws)$`);
const REGION_NAME = new RegExp(`^${REGION}$`);

/** True for an AWS region name such as `eu-west-1`, `us-gov-west-1` or `eusc-de-east-1` (the region part of an ECR host). */
export function isAwsRegion(value: string): boolean {
  return REGION_NAME.test(value);
}

/** Strips `https://`, a path and a `:443` port; lower-cases. `https://1.dkr.ecr.x.amazonaws.com/` → host. */
export function normalizeHost(value: string): string {
  return value.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').replace(/:443$/, '').toLowerCase();
}

/**
 * Parses a private ECR registry host (or a proxy endpoint URL such as GetAuthorizationToken's
 * `https://<host>`). Returns `undefined` for anything else — including `public.ecr.aws`, which
 * `isEcrPublicHost` recognises — rather than guessing.
 */
export function parseEcrHost(value: string): EcrHost | undefined {
  const host = normalizeHost(value);
  const m = PRIVATE.exec(host) ?? DUAL_STACK.exec(host);
  if (!m) return undefined;
  return { accountId: m[1]!, fips: m[2] === '-fips', region: m[3]!, domain: m[4]!, dualStack: m[4] === 'on.aws', host };
}

/** True for ECR Public (`public.ecr.aws`), whose auth lives in `us-east-1` and a separate client. */
export function isEcrPublicHost(value: string): boolean {
  return normalizeHost(value) === 'public.ecr.aws';
}

/** The IAM actions a push role needs on the repository (plus `ecr:GetAuthorizationToken` on `*`). */
export const ECR_PUSH_ACTIONS = [
  'ecr:GetAuthorizationToken',
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:DescribeRepositories',
] as const;

/** Extra IAM actions when the action may create the repository. */
export const ECR_CREATE_ACTIONS = ['ecr:CreateRepository', 'ecr:TagResource'] as const;

/**
 * ECR tag-mutability filter match: `*` matches any run of characters, everything else is literal
 * (filter charset `[0-9a-zA-Z._*-]`, per `ImageTagMutabilityExclusionFilter`).
 */
export function matchesTagFilter(tag: string, filter: string): boolean {
  const pattern = filter.split('*').map((s) => s.replace(/[.]/g, '\\.')).join('.*');
  return new RegExp(`^${pattern}$`).test(tag);
}

/** The filter that keeps cosign's signature tags writable in an otherwise immutable repository. */
export const COSIGN_SIG_TAG_FILTER = 'sha256-*.sig';
