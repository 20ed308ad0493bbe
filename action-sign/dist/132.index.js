export const id = 132;
export const ids = [132];
export const modules = {

/***/ 5132:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   DEFAULT_CREATE_SETTINGS: () => (/* binding */ DEFAULT_CREATE_SETTINGS),
/* harmony export */   createEcrApi: () => (/* binding */ createEcrApi)
/* harmony export */ });
/* unused harmony exports EcrAccessError, isRetryableEcrError, accessDeniedMessage */
/* harmony import */ var _domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(515);
/* harmony import */ var _retry_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3052);


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
    const client = options.client ?? new sdk.ECRClient({ region: options.region, maxAttempts: 1, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
    const log = options.log;
    const registryId = options.registryId;
    let creating = false;
    async function call(operation, fn) {
        try {
            return await (0,_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .withRetry */ .bD)(fn, { ...(options.retry ?? _retry_js__WEBPACK_IMPORTED_MODULE_1__/* .DEFAULT_RETRY */ .vI), what: `ECR ${operation}`, isRetryable: isRetryableEcrError, log });
        }
        catch (error) {
            const e = error;
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
            const out = await call('DescribeRepositories', () => client.send(new sdk.DescribeRepositoriesCommand({ repositoryNames: [name], ...(registryId ? { registryId } : {}) })));
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
            const out = await call('GetAuthorizationToken', () => client.send(new sdk.GetAuthorizationTokenCommand({})));
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
                const out = await call('CreateRepository', () => client.send(new sdk.CreateRepositoryCommand({
                    repositoryName: name,
                    ...(registryId ? { registryId } : {}),
                    imageTagMutability: create.mutability,
                    ...(create.exclusionFilters.length && create.mutability.endsWith('_WITH_EXCLUSION')
                        ? { imageTagMutabilityExclusionFilters: create.exclusionFilters.map((filter) => ({ filterType: 'WILDCARD', filter })) }
                        : {}),
                    imageScanningConfiguration: { scanOnPush: create.scanOnPush },
                    encryptionConfiguration: { encryptionType: 'AES256' },
                })));
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
