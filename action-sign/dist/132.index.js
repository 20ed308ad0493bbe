export const id = 132;
export const ids = [132];
export const modules = {

/***/ 5132:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   DEFAULT_CREATE_SETTINGS: () => (/* binding */ DEFAULT_CREATE_SETTINGS),
/* harmony export */   createEcrApi: () => (/* binding */ createEcrApi)
/* harmony export */ });
/* unused harmony exports ECR_TIMEOUTS, ecrEndpoint, EcrAccessError, isRetryableEcrError, accessDeniedMessage */
/* harmony import */ var _domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(515);
/* harmony import */ var _retry_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3052);


/**
 * Per-attempt limits of every ECR API call (small JSON requests that normally answer within a
 * second). An API that never answers then costs at most `attempts × (connect + request)` plus the
 * backoff waits, instead of hanging the job: with `DEFAULT_RETRY` (5 attempts, waits of at most
 * 0.5 + 1 + 2 + 4 s) that is 5 × 20 s + 7.5 s ≈ 110 s.
 */
const ECR_TIMEOUTS = { connectTimeoutMs: 5_000, requestTimeoutMs: 15_000 };
/** The API endpoint a call goes to, for error messages: the override, or the regional default. */
function ecrEndpoint(region, endpoint) {
    return endpoint ?? `https://api.ecr.${region}.amazonaws.com`;
}
const DEFAULT_CREATE_SETTINGS = { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: [_domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__/* .COSIGN_SIG_TAG_FILTER */ .cG], scanOnPush: true };
/** ECR refused the call for lack of permission or credentials; retrying cannot help. */
class EcrAccessError extends Error {
    constructor(message) {
        super(message);
        this.name = 'EcrAccessError';
    }
}
const THROTTLING = new Set(['ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown', 'ProvisionedThroughputExceededException']);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'InvalidClientTokenId', 'NotAuthorized']);
/** Throttling, 5xx, or a transport failure: worth another attempt. */
function isRetryableEcrError(error) {
    const e = error;
    if (!(error instanceof Error))
        return false;
    if (DENIED.has(e.name) || e.$metadata?.httpStatusCode === 403)
        return false;
    if (THROTTLING.has(e.name) || e.$retryable)
        return true;
    const status = e.$metadata?.httpStatusCode;
    if (status !== undefined && (status >= 500 || status === 429))
        return true;
    return (0,_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .isTransientNetworkError */ .l)(error);
}
/** The sentence for a refused call: what was refused and every IAM action the role needs. */
function accessDeniedMessage(operation, error, creating) {
    const actions = [..._domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__/* .ECR_PUSH_ACTIONS */ .q5, ...(creating ? _domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__/* .ECR_CREATE_ACTIONS */ .Wt : [])];
    return `ECR refused ${operation} (${error.name}: ${error.message}). The role needs these IAM actions on the repository (ecr:GetAuthorizationToken on "*"): ${actions.join(', ')}. Not retried: more attempts cannot fix a permission.`;
}
function mutabilityOf(repo) {
    return {
        mode: repo.imageTagMutability ?? 'MUTABLE',
        filters: (repo.imageTagMutabilityExclusionFilters ?? []).flatMap((f) => (f.filter ? [f.filter] : [])),
    };
}
/**
 * Creates the ECR API wrapper (loading the SDK now). Calls are retried per `retry`
 * (default 5 attempts) and translated: permission errors → `EcrAccessError` listing IAM actions;
 * missing credentials → an `EcrAccessError` saying how to provide them.
 */
async function createEcrApi(options) {
    const sdk = await __webpack_require__.e(/* import() */ 249).then(__webpack_require__.t.bind(__webpack_require__, 8249, 19));
    const connectTimeoutMs = options.connectTimeoutMs ?? ECR_TIMEOUTS.connectTimeoutMs;
    const requestTimeoutMs = options.requestTimeoutMs ?? ECR_TIMEOUTS.requestTimeoutMs;
    const client = options.client ?? new sdk.ECRClient({
        region: options.region,
        maxAttempts: 1,
        // The SDK's handler has no timeouts by default: an endpoint that accepts and never answers hangs forever.
        requestHandler: { connectionTimeout: connectTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
    const log = options.log;
    const registryId = options.registryId;
    const endpoint = ecrEndpoint(options.region, options.endpoint);
    let creating = false;
    async function call(operation, send) {
        const policy = options.retry ?? _retry_js__WEBPACK_IMPORTED_MODULE_1__/* .DEFAULT_RETRY */ .vI;
        let attempts = 0;
        try {
            return await (0,_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .withRetry */ .bD)(() => {
                attempts++;
                // A hard bound per attempt as well, whatever the handler does with its own timeouts.
                return send(AbortSignal.timeout(connectTimeoutMs + requestTimeoutMs));
            }, { ...policy, what: `ECR ${operation}`, isRetryable: isRetryableEcrError, log });
        }
        catch (error) {
            const e = error;
            if ((0,_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .isTransientNetworkError */ .l)(error)) {
                throw new Error(`ECR ${operation} at ${endpoint} got no answer after ${attempts} attempt(s), each limited to ${connectTimeoutMs} ms to connect and ${requestTimeoutMs} ms in all (${e.name}: ${e.message}). Check the network path to the endpoint (proxy, VPC endpoint, firewall) and AWS_ENDPOINT_URL_ECR.`, { cause: error });
            }
            if (e.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
                throw new EcrAccessError(`no AWS credentials for ECR ${operation}: configure a role for the job (aws-actions/configure-aws-credentials with OIDC, \`permissions: id-token: write\`) or run on an instance/container with a role (${e.message})`);
            }
            if (DENIED.has(e.name) || e.$metadata?.httpStatusCode === 403)
                throw new EcrAccessError(accessDeniedMessage(operation, e, creating));
            throw error;
        }
    }
    async function describeRepository(name) {
        try {
            const out = await call('DescribeRepositories', (abortSignal) => client.send(new sdk.DescribeRepositoriesCommand({ repositoryNames: [name], ...(registryId ? { registryId } : {}) }), { abortSignal }));
            const r = out.repositories?.[0];
            if (!r)
                return undefined;
            return { name, uri: r.repositoryUri ?? '', registryId: r.registryId ?? registryId ?? '', mutability: mutabilityOf(r), scanOnPush: r.imageScanningConfiguration?.scanOnPush ?? false };
        }
        catch (error) {
            if (error.name === 'RepositoryNotFoundException')
                return undefined;
            throw error;
        }
    }
    return {
        async login() {
            const out = await call('GetAuthorizationToken', (abortSignal) => client.send(new sdk.GetAuthorizationTokenCommand({}), { abortSignal }));
            const data = out.authorizationData?.[0];
            if (!data?.authorizationToken || !data.proxyEndpoint)
                throw new Error('ECR GetAuthorizationToken returned no authorization data');
            // Mask both forms before anything can print them (the runner only hides exact matches).
            log.secret(data.authorizationToken);
            const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
            const colon = decoded.indexOf(':');
            if (colon <= 0)
                throw new Error('ECR authorization token is not base64 of "user:password"');
            const password = decoded.slice(colon + 1);
            log.secret(password);
            log.secret(decoded);
            return { username: decoded.slice(0, colon), password, proxyEndpoint: data.proxyEndpoint, expiresAt: data.expiresAt };
        },
        describeRepository,
        async ensureRepository(name, create) {
            const found = await describeRepository(name);
            if (found)
                return { repository: found, created: false };
            if (!create) {
                throw new Error(`ECR repository "${name}" does not exist in ${registryId ? `account ${registryId}, ` : ''}region ${options.region}: create it, or set create-repository: true`);
            }
            creating = true;
            try {
                const out = await call('CreateRepository', (abortSignal) => client.send(new sdk.CreateRepositoryCommand({
                    repositoryName: name,
                    ...(registryId ? { registryId } : {}),
                    imageTagMutability: create.mutability,
                    ...(create.exclusionFilters.length && create.mutability.endsWith('_WITH_EXCLUSION')
                        ? { imageTagMutabilityExclusionFilters: create.exclusionFilters.map((filter) => ({ filterType: 'WILDCARD', filter })) }
                        : {}),
                    imageScanningConfiguration: { scanOnPush: create.scanOnPush },
                    encryptionConfiguration: { encryptionType: 'AES256' },
                }), { abortSignal }));
                const r = out.repository;
                log.info(`created ECR repository ${r?.repositoryUri ?? name} (${create.mutability}${create.exclusionFilters.length ? ` except ${create.exclusionFilters.join(', ')}` : ''}, scan on push ${create.scanOnPush})`);
                return {
                    repository: { name, uri: r?.repositoryUri ?? '', registryId: r?.registryId ?? registryId ?? '', mutability: r ? mutabilityOf(r) : { mode: create.mutability, filters: create.exclusionFilters }, scanOnPush: create.scanOnPush },
                    created: true,
                };
            }
            catch (error) {
                // Another job created it between our describe and create: use what is there.
                if (error.name === 'RepositoryAlreadyExistsException') {
                    const again = await describeRepository(name);
                    if (again)
                        return { repository: again, created: false };
                }
                throw error;
            }
            finally {
                creating = false;
            }
        },
    };
}


/***/ })

};
