import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 99:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  y: () => (/* binding */ readContext)
});

// UNUSED EXPORTS: runAnnotations

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 21 modules
var core = __nccwpck_require__(473);
// EXTERNAL MODULE: ./core/src/domain/errors.ts
var errors = __nccwpck_require__(3603);
;// CONCATENATED MODULE: ./core/src/domain/raw-inputs.ts

/**
 * Typed readers over one `RawInputs` record. Every reader trims, treats an empty value as "not
 * given" (except where a list's empty means "none"), and throws `InputError` naming the input
 * and the allowed form (docs/errors.md, `input-invalid`).
 */
class RawReader {
    raw;
    table;
    constructor(raw, table) {
        this.raw = raw;
        this.table = table;
    }
    /** The untrimmed value, or the table default when absent. */
    value(name) {
        const value = this.raw[name];
        if (value !== undefined)
            return value;
        return this.table?.find((s) => s.name === name)?.default;
    }
    /** A trimmed string; `undefined` when empty. Throws `InputError` when `required` and empty. */
    string(name, options = {}) {
        const value = (this.value(name) ?? '').trim();
        if (!value) {
            if (options.required)
                throw new errors/* InputError */.d(name, typeof options.required === 'string' ? `is required: ${options.required}` : 'is required');
            return undefined;
        }
        return value;
    }
    /** `true`/`false` in the YAML 1.2 core schema spellings (as `core.getBooleanInput`); empty → `fallback`. */
    boolean(name, fallback) {
        const value = this.string(name);
        if (value === undefined)
            return fallback;
        if (/^(true|True|TRUE)$/.test(value))
            return true;
        if (/^(false|False|FALSE)$/.test(value))
            return false;
        throw new errors/* InputError */.d(name, `must be true or false (got "${value}")`);
    }
    /** One of `allowed` (case-sensitive); empty → `fallback`. */
    oneOf(name, allowed, fallback) {
        const value = this.string(name);
        if (value === undefined)
            return fallback;
        if (!allowed.includes(value))
            throw new errors/* InputError */.d(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
        return value;
    }
    /** A whole number within [min, max]; empty → `fallback`. */
    integer(name, fallback, range = {}) {
        const value = this.string(name);
        if (value === undefined)
            return fallback;
        const min = range.min ?? Number.MIN_SAFE_INTEGER;
        const max = range.max ?? Number.MAX_SAFE_INTEGER;
        if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
            throw new errors/* InputError */.d(name, `must be a whole number from ${min} to ${max} (got "${value}")`);
        }
        return Number(value);
    }
    /**
     * Items split on newlines (and on commas unless `commas: false`), trimmed; blank items and
     * `#` comment lines dropped. Absent or empty → `[]`.
     */
    list(name, options = {}) {
        const lines = (this.value(name) ?? '').split(/\r?\n/).filter((l) => !l.trim().startsWith('#'));
        const items = options.commas === false ? lines : lines.flatMap((l) => l.split(','));
        return items.map((s) => s.trim()).filter(Boolean);
    }
}
/** Reads the action's raw inputs for every non-CLI-only row of `table` from `INPUT_<NAME>` (runner contract). */
function rawInputsFromEnv(table, env) {
    const raw = {};
    for (const spec of table) {
        if (spec.cliOnly)
            continue;
        const value = env[`INPUT_${spec.name.replace(/ /g, '_').toUpperCase()}`];
        if (value !== undefined)
            raw[spec.name] = value;
    }
    return raw;
}
/** `node:util.parseArgs` option definitions for every non-action-only row: `--<name>`, repeatable for lists. */
function flagsFromTable(table) {
    return Object.fromEntries(table.filter((s) => !s.actionOnly).map((s) => [s.name, s.list ? { type: 'string', multiple: true } : { type: 'string' }]));
}
/** Parsed flag values (from `flagsFromTable`) → `RawInputs`; repeated values are joined with newlines. */
function rawInputsFromFlags(table, values) {
    const raw = {};
    for (const spec of table) {
        const value = values[spec.name];
        if (typeof value === 'string')
            raw[spec.name] = value;
        else if (Array.isArray(value))
            raw[spec.name] = value.join('\n');
    }
    return raw;
}
/** Largest raw value a resolver accepts (64 KiB): far above any real input, far below a memory problem. */
const MAX_RAW_INPUT_BYTES = 64 * 1024;
/** Throws `InputError` naming the first value of `raw` longer than `maxBytes` (UTF-8). */
function checkRawSizes(raw, maxBytes = MAX_RAW_INPUT_BYTES) {
    for (const [name, value] of Object.entries(raw)) {
        if (value !== undefined && Buffer.byteLength(value) > maxBytes)
            throw new errors/* InputError */.d(name, `is ${Buffer.byteLength(value)} bytes, more than the limit of ${maxBytes}`);
    }
}

// EXTERNAL MODULE: ./core/src/domain/ecr-host.ts
var ecr_host = __nccwpck_require__(515);
// EXTERNAL MODULE: ./core/src/domain/image-ref.ts
var image_ref = __nccwpck_require__(4263);
// EXTERNAL MODULE: ./core/src/domain/push-plan.ts
var push_plan = __nccwpck_require__(3782);
// EXTERNAL MODULE: ./core/src/domain/signature.ts
var signature = __nccwpck_require__(3464);
;// CONCATENATED MODULE: ./core/src/domain/sign-config.ts






const DEFAULT_SIGNATURE_FILE = 'image.signature';
/** action-sign's inputs: names and defaults exactly as `action-sign/action.yml` has them. */
const SIGN_INPUTS = [
    // The CLI picks the mode by command (`trunkline sign` / `trunkline verify`).
    { name: 'mode', default: 'sign', actionOnly: true },
    { name: 'image' },
    { name: 'repository' },
    { name: 'tags', list: 'items' },
    { name: 'private-key', secret: true },
    { name: 'private-key-passphrase', secret: true },
    { name: 'public-key' },
    { name: 'registry-type', default: 'auto' },
    { name: 'username' },
    { name: 'password', secret: true },
    { name: 'aws-region' },
    { name: 'create-repository', default: 'false' },
    { name: 'tag-mutability' },
    { name: 'tag-mutability-exclusions', list: 'items' },
    { name: 'signature-file', default: DEFAULT_SIGNATURE_FILE },
    { name: 'annotations', list: 'lines' },
    { name: 'push', default: 'true' },
    { name: 'docker-login', default: 'true' },
    { name: 'insecure-registry' },
    { name: 'allow-privileged-event', default: 'false' },
    { name: 'image-ref' },
    { name: 'digest' },
];
/** The inputs `mode: verify` reads (the others belong to `mode: sign`, except `mode` itself). */
const VERIFY_INPUT_NAMES = (/* unused pure expression or super */ null && ([
    'public-key', 'signature-file', 'image-ref', 'digest', 'annotations', 'registry-type', 'username', 'password', 'aws-region', 'insecure-registry',
]));
/** The inputs `mode: sign` reads. */
const SIGN_INPUT_NAMES = SIGN_INPUTS.map((s) => s.name).filter((n) => n !== 'mode' && n !== 'image-ref' && n !== 'digest');
function credentials(r) {
    const username = r.string('username');
    const password = r.string('password');
    if (!username && !password)
        return undefined;
    if (!username)
        throw new errors/* InputError */.d('username', 'is required when password is set');
    if (!password)
        throw new errors/* InputError */.d('password', 'is required when username is set');
    return { username, password };
}
/** `aws-region`, validated by the one region grammar ECR hosts are parsed with (both doors). */
function awsRegion(r) {
    const region = r.string('aws-region');
    if (region && !(0,ecr_host/* isAwsRegion */.EK)(region))
        throw new errors/* InputError */.d('aws-region', `must be an AWS region such as eu-west-1 (got "${region}")`);
    return region;
}
function tagMutability(r) {
    const mode = r.string('tag-mutability');
    const filters = r.list('tag-mutability-exclusions');
    if (!mode && !filters.length)
        return undefined;
    const m = (0,push_plan/* parseTagMutability */.Gi)(mode ?? 'IMMUTABLE_WITH_EXCLUSION', filters, 'tag-mutability', 'tag-mutability-exclusions');
    if (m.mode === 'IMMUTABLE_WITH_EXCLUSION' && !m.filters.length)
        m.filters = [ecr_host/* COSIGN_SIG_TAG_FILTER */.cG];
    return m;
}
/**
 * ECR settings when ECR is selected: `registry-type: ecr`, or `auto` with an ECR host and no
 * username. `undefined` otherwise (username/password or anonymous). A given `aws-region` is
 * validated whichever registry is selected.
 */
function ecrConfig(r, host, hasUsername, mutability) {
    const type = r.oneOf('registry-type', ['auto', 'ecr', 'basic'], 'auto');
    const region = awsRegion(r);
    const createRepository = r.boolean('create-repository', false);
    const useEcr = type === 'ecr' || (type === 'auto' && !hasUsername && host !== undefined && (0,ecr_host/* parseEcrHost */.wl)(host) !== undefined);
    if (!useEcr) {
        if (type === 'basic' && !hasUsername)
            throw new errors/* InputError */.d('username', 'and password are required with registry-type: basic');
        return undefined;
    }
    if (hasUsername && type === 'ecr')
        throw new errors/* InputError */.d('username', 'must be empty with registry-type: ecr (the ECR token is fetched with the job\'s AWS role)');
    const ecr = { createRepository };
    if (region)
        ecr.region = region;
    if (mutability)
        ecr.create = { mutability: mutability.mode, exclusionFilters: mutability.filters };
    return ecr;
}
function insecure(r) {
    return r.string('insecure-registry') === undefined ? undefined : r.boolean('insecure-registry', false);
}
function access(r, host, mutability) {
    const out = {};
    const auth = credentials(r);
    if (auth)
        out.registryAuth = auth;
    const ecr = ecrConfig(r, host, auth !== undefined, mutability);
    if (ecr)
        out.ecr = ecr;
    const ins = insecure(r);
    if (ins !== undefined)
        out.insecure = ins;
    return out;
}
/** The sign stage's config from a reader over `SIGN_INPUTS`. Throws `InputError` naming the input. */
function resolveSignConfig(r, context = {}) {
    const image = r.string('image', { required: 'the local image id or reference that was built' });
    if (/\s/.test(image))
        throw new errors/* InputError */.d('image', `must be an image id or reference without blanks (got "${image}")`);
    const repository = r.string('repository', { required: 'the target repository, e.g. 127.0.0.1:5000/app' });
    const push = r.boolean('push', true);
    const ref = (0,image_ref/* parseRepositoryRef */.rH)(repository, 'repository');
    if (!ref.registry && push)
        throw new errors/* InputError */.d('repository', `must include the registry host, e.g. 127.0.0.1:5000/${ref.repository} or <account>.dkr.ecr.<region>.amazonaws.com/${ref.repository}`);
    const mutability = tagMutability(r);
    const sign = {
        image,
        repository,
        tags: [...new Set(r.list('tags').map((t) => (0,image_ref/* validateTag */.z7)(t, 'tags')))],
        signatureFile: r.string('signature-file', { required: true }),
        annotations: { ...context.runAnnotations, ...(0,signature/* parseAnnotations */.KX)(r.list('annotations', { commas: false }), 'annotations') },
        push,
        dockerLogin: r.boolean('docker-login', true),
        allowUntrustedEvent: r.boolean('allow-privileged-event', false),
        ...access(r, ref.registry, mutability),
    };
    if (context.eventName)
        sign.eventName = context.eventName;
    if (context.workDir)
        sign.workDir = context.workDir;
    const privateKey = r.string('private-key');
    if (privateKey)
        sign.privateKey = privateKey;
    const passphrase = r.string('private-key-passphrase');
    if (passphrase)
        sign.passphrase = passphrase;
    const publicKey = r.string('public-key');
    if (publicKey)
        sign.publicKey = publicKey;
    if (!sign.ecr && mutability)
        sign.tagMutability = mutability;
    return sign;
}
/** The verify stage's config from a reader over `SIGN_INPUTS`. Throws `InputError` naming the input. */
function resolveVerifyConfig(r) {
    const publicKey = r.string('public-key', { required: 'the trusted SPKI PEM public key (cosign.pub)' });
    const imageRef = r.string('image-ref');
    const ref = imageRef ? (0,image_ref/* parseImageRef */.Q)(imageRef, 'image-ref') : undefined;
    const verify = { publicKey, ...access(r, ref?.registry, undefined) };
    if (imageRef)
        verify.imageRef = imageRef;
    const digest = r.string('digest');
    if (digest)
        verify.digest = (0,image_ref/* validateDigest */.n2)(digest, 'digest');
    // The default `image.signature` is only read when it was asked for or no image-ref was given.
    const signatureFile = r.string('signature-file');
    if (signatureFile && (signatureFile !== DEFAULT_SIGNATURE_FILE || !imageRef))
        verify.signatureFile = signatureFile;
    const annotations = r.list('annotations', { commas: false });
    if (annotations.length)
        verify.annotations = (0,signature/* parseAnnotations */.KX)(annotations, 'annotations');
    return verify;
}
/**
 * Resolves action-sign's raw inputs (keyed by `SIGN_INPUTS` names) for the chosen `mode`
 * (`sign` by default). Throws `InputError` naming the input and the allowed form.
 */
function resolveSignInputs(raw, context = {}) {
    checkRawSizes(raw);
    const r = new RawReader(raw, SIGN_INPUTS);
    const mode = r.oneOf('mode', ['sign', 'verify'], 'sign');
    return mode === 'verify' ? { mode, verify: resolveVerifyConfig(r) } : { mode, sign: resolveSignConfig(r, context) };
}

;// CONCATENATED MODULE: ./action-sign/src/context.ts



/**
 * The run's provenance claims: commit and run URL (as the runner describes them). The URL names
 * the run, not the attempt, so a re-run signs the same payload and adds no second signature.
 */
function runAnnotations(env = process.env) {
    const out = {};
    if (env.GITHUB_SHA)
        out['git-sha'] = env.GITHUB_SHA;
    if (env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
        out['run-url'] = `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
    }
    return out;
}
/** Reads and validates every input for the chosen mode. Throws `InputError` naming the input. */
function readContext(env = process.env) {
    const raw = rawInputsFromEnv(SIGN_INPUTS, env);
    for (const spec of SIGN_INPUTS) {
        const value = raw[spec.name];
        if (spec.secret && value?.trim()) {
            core/* setSecret */.Pq(value);
            core/* setSecret */.Pq(value.trim());
            // The runner hides exact matches only: a PEM key printed line by line must stay hidden too.
            for (const line of value.split(/\r?\n/).map((l) => l.trim()))
                if (line.length >= 8 && !line.startsWith('-----'))
                    core/* setSecret */.Pq(line);
        }
    }
    return resolveSignInputs(raw, {
        ...(env.GITHUB_EVENT_NAME ? { eventName: env.GITHUB_EVENT_NAME } : {}),
        runAnnotations: runAnnotations(env),
        ...(env.RUNNER_TEMP ? { workDir: env.RUNNER_TEMP } : {}),
    });
}


/***/ }),

/***/ 2143:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(473);
/* harmony import */ var _trunkline_core_door_action__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(5886);
/* harmony import */ var _trunkline_core_domain_image_ref__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(4263);
/* harmony import */ var _trunkline_core_stages_sign__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(470);
/* harmony import */ var _trunkline_core_stages_verify__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(2316);
/* harmony import */ var _context_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(99);
// action-sign: inputs → sign stage (export, sign, verify, gated push, cosign signature, re-verify)
// or verify stage → outputs and job summary.






await (0,_trunkline_core_door_action__WEBPACK_IMPORTED_MODULE_1__/* .runAction */ .C)('sign', async (log) => {
    const ctx = (0,_context_js__WEBPACK_IMPORTED_MODULE_5__/* .readContext */ .y)();
    if (ctx.mode === 'verify')
        return (0,_trunkline_core_stages_verify__WEBPACK_IMPORTED_MODULE_4__/* .runVerify */ .R)(ctx.verify, log);
    const result = await (0,_trunkline_core_stages_sign__WEBPACK_IMPORTED_MODULE_3__/* .runSignAndPush */ .O)(ctx.sign, log);
    // The stage logs docker in only after a verified push; the post step logs out of that registry.
    if (result.status === 'passed' && ctx.sign.dockerLogin && ctx.sign.push !== false) {
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .saveState */ .LZ('logout-registry', (0,_trunkline_core_domain_image_ref__WEBPACK_IMPORTED_MODULE_2__/* .parseImageRef */ .Q)(ctx.sign.repository, 'repository').registry ?? '');
    }
    return result;
});

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 8259:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Hn: () => (/* binding */ createRegistryClient),
/* harmony export */   gl: () => (/* binding */ RegistryError)
/* harmony export */ });
/* unused harmony exports parseChallenge, transportCause */
/* harmony import */ var _domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3025);
/* harmony import */ var _retry_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3052);
/* harmony import */ var _report_external_time_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(5835);



/** An HTTP-level failure: `status` (0 for transport errors), the registry's error `code` when given. */
class RegistryError extends Error {
    status;
    code;
    operation;
    constructor(operation, status, code, detail) {
        super(`${operation}: ${status ? `HTTP ${status}${code ? ` ${code}` : ''}` : (code ?? 'transport error')}${detail ? `: ${detail}` : ''}`);
        this.name = 'RegistryError';
        this.status = status;
        this.code = code;
        this.operation = operation;
    }
}
/** base64 of `user:password`, the credential of a `Basic` authorization header. */
function basicToken(creds) {
    return Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
}
/** Parses `Bearer realm="…",service="…",scope="…"` / `Basic realm="…"`. */
function parseChallenge(header) {
    if (!header)
        return undefined;
    const m = /^\s*(\w+)\s*(.*)$/.exec(header);
    if (!m)
        return undefined;
    const params = {};
    for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g))
        params[p[1].toLowerCase()] = p[2];
    return { scheme: m[1].toLowerCase(), params };
}
function retryable(error) {
    if (error instanceof RegistryError)
        return error.status >= 500 || error.status === 429 || error.status === 0;
    return (0,_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .isTransientNetworkError */ .l)(error);
}
async function errorFrom(operation, response) {
    const text = await response.text().catch(() => '');
    let code;
    let detail = text.trim().slice(0, 300);
    try {
        const first = JSON.parse(text).errors?.[0];
        if (first) {
            code = first.code;
            detail = first.message ?? '';
        }
    }
    catch { /* not JSON: keep the text */ }
    return new RegistryError(operation, response.status, code, detail);
}
/** The deepest message of a transport error's cause chain (`fetch failed` → `other side closed`). */
function transportCause(error) {
    let message = error instanceof Error ? error.message : String(error);
    for (let e = error; e instanceof Error; e = e.cause) {
        const code = e.code;
        message = code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
    }
    return message;
}
/** The registry's own words from an error response (`CODE: message`, at most 300 characters), or ''. */
async function registryMessage(response) {
    const text = (await response.text().catch(() => '')).trim();
    try {
        const first = JSON.parse(text).errors?.[0];
        if (first)
            return [first.code, first.message].filter(Boolean).join(': ').slice(0, 300);
    }
    catch { /* not JSON: the text itself */ }
    return text.slice(0, 300);
}
/** Creates a client for one repository. No request is made until a method is called. */
function createRegistryClient(options) {
    const base = `${options.insecure ? 'http' : 'https'}://${options.host}`;
    const name = options.repository;
    const policy = options.retry ?? _retry_js__WEBPACK_IMPORTED_MODULE_1__/* .DEFAULT_RETRY */ .vI;
    const log = options.log;
    let authorization;
    async function tokenFor(params, creds) {
        if (!params.realm)
            throw new RegistryError('auth', 401, 'UNAUTHORIZED', 'bearer challenge without realm');
        const url = new URL(params.realm);
        if (params.service)
            url.searchParams.set('service', params.service);
        url.searchParams.set('scope', params.scope ?? `repository:${name}:pull,push`);
        const headers = {};
        if (creds)
            headers.authorization = `Basic ${basicToken(creds)}`;
        const response = await (0,_report_external_time_js__WEBPACK_IMPORTED_MODULE_2__/* .external */ .qn)(() => fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) }));
        if (!response.ok)
            throw await errorFrom('token', response);
        const body = (await response.json());
        const token = body.token ?? body.access_token;
        if (!token)
            throw new RegistryError('token', response.status, undefined, 'token endpoint returned no token');
        log?.secret(token);
        return `Bearer ${token}`;
    }
    async function authorize(challenge, refresh) {
        const creds = await options.credentials?.(refresh);
        if (creds) {
            log?.secret(creds.password);
            log?.secret(basicToken(creds));
        }
        if (challenge?.scheme === 'bearer') {
            authorization = await tokenFor(challenge.params, creds);
            return true;
        }
        if (!creds)
            return false;
        authorization = `Basic ${basicToken(creds)}`;
        return true;
    }
    /**
     * One request with the auth dance: on 401, (re)authorize from the challenge; on a second 401,
     * ask the credential source for fresh credentials once (expired token); then give up.
     */
    async function send(operation, method, pathOrUrl, init = {}) {
        const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${base}${pathOrUrl}`;
        let refreshed = false;
        let reauthorized = false;
        for (;;) {
            const headers = { ...init.headers };
            if (authorization)
                headers.authorization = authorization;
            const body = init.body?.();
            const request = { method, headers, redirect: 'follow', signal: AbortSignal.timeout(init.timeoutMs ?? options.timeoutMs ?? 60_000) };
            if (body !== undefined) {
                request.body = body;
                if (!(body instanceof Buffer))
                    request.duplex = 'half';
            }
            const response = await (0,_report_external_time_js__WEBPACK_IMPORTED_MODULE_2__/* .external */ .qn)(() => fetch(url, request));
            if (response.status !== 401)
                return response;
            const said = await registryMessage(response);
            const challenge = parseChallenge(response.headers.get('www-authenticate'));
            const hadBasic = authorization?.startsWith('Basic ') ?? false;
            if (!reauthorized && (!authorization || !hadBasic)) {
                reauthorized = true;
                if (await authorize(challenge, false))
                    continue;
                throw new RegistryError(operation, 401, 'UNAUTHORIZED', `${options.host} requires credentials and none were given`);
            }
            if (!refreshed && options.credentials) {
                refreshed = true;
                reauthorized = true;
                log?.warning(`${options.host} rejected the credentials (${operation}); fetching fresh ones once (an expired token?)`);
                if (await authorize(challenge, true))
                    continue;
            }
            throw new RegistryError(operation, 401, 'UNAUTHORIZED', `${options.host} rejected the credentials${refreshed ? ', fresh ones included' : ''}${said ? ` (the registry said: ${said})` : ''}`);
        }
    }
    /**
     * Retries `fn`; a transport failure that outlives the attempts (the registry went away
     * mid-push) becomes a `RegistryError` naming the operation, the registry and what to do.
     */
    const retry = async (what, fn) => {
        let attempts = 0;
        try {
            return await (0,_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .withRetry */ .bD)(() => { attempts++; return fn(); }, { ...policy, what, isRetryable: retryable, log });
        }
        catch (error) {
            if (error instanceof RegistryError || !(0,_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .isTransientNetworkError */ .l)(error))
                throw error;
            throw new RegistryError(what, 0, 'UNREACHABLE', `the registry ${options.host} (repository ${name}) could not be reached or dropped the connection: ${transportCause(error)}; gave up after ${attempts} attempt(s). Check that the registry is running and reachable, then run again: blobs already uploaded are skipped.`);
        }
    };
    async function blobExists(digest) {
        return retry(`check blob ${digest}`, async () => {
            const r = await send('check blob', 'HEAD', `/v2/${name}/blobs/${digest}`);
            await r.body?.cancel();
            if (r.status === 200)
                return true;
            if (r.status === 404)
                return false;
            throw new RegistryError('check blob', r.status, undefined, '');
        });
    }
    async function getManifest(reference) {
        return retry(`get manifest ${name}:${reference}`, async () => {
            const r = await send('get manifest', 'GET', `/v2/${name}/manifests/${reference}`, { headers: { accept: _domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__/* .MANIFEST_ACCEPT */ .dY } });
            if (r.status === 404) {
                await r.body?.cancel();
                return undefined;
            }
            if (r.status !== 200)
                throw await errorFrom(`get manifest ${reference}`, r);
            const bytes = Buffer.from(await r.arrayBuffer());
            const digest = (0,_domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__/* .sha256Digest */ .sI)(bytes);
            if (reference.startsWith('sha256:') && digest !== reference)
                throw new RegistryError('get manifest', 200, 'DIGEST_INVALID', `content hashes to ${digest}, not ${reference}`);
            return { bytes, mediaType: r.headers.get('content-type') ?? '', digest };
        });
    }
    function resolveLocation(location, operation) {
        if (!location)
            throw new RegistryError(operation, 0, undefined, 'registry returned no Location header');
        return new URL(location, base);
    }
    async function uploadBlob(digest, size, open) {
        await retry(`upload blob ${digest}`, async () => {
            const start = await send('start upload', 'POST', `/v2/${name}/blobs/uploads/`, { headers: { 'content-length': '0' } });
            if (start.status !== 202)
                throw await errorFrom('start upload', start);
            await start.body?.cancel();
            const patchUrl = resolveLocation(start.headers.get('location'), 'start upload');
            const patch = await send('upload blob', 'PATCH', patchUrl.href, {
                headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
                body: open,
                timeoutMs: options.uploadTimeoutMs ?? 900_000,
            });
            if (patch.status !== 202)
                throw await errorFrom('upload blob', patch);
            await patch.body?.cancel();
            const finish = resolveLocation(patch.headers.get('location'), 'upload blob');
            finish.searchParams.set('digest', digest);
            const put = await send('finish upload', 'PUT', finish.href, { headers: { 'content-length': '0' } });
            if (put.status !== 201)
                throw await errorFrom('finish upload', put);
            await put.body?.cancel();
        });
    }
    return {
        host: options.host,
        repository: name,
        blobExists,
        async pushBlob(digest, size, open) {
            if (await blobExists(digest))
                return false;
            await uploadBlob(digest, size, open);
            return true;
        },
        uploadBlob,
        async getBlob(digest) {
            return retry(`get blob ${digest}`, async () => {
                const r = await send('get blob', 'GET', `/v2/${name}/blobs/${digest}`);
                if (r.status !== 200)
                    throw await errorFrom('get blob', r);
                const bytes = Buffer.from(await r.arrayBuffer());
                const actual = (0,_domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__/* .sha256Digest */ .sI)(bytes);
                if (actual !== digest)
                    throw new RegistryError('get blob', 200, 'DIGEST_INVALID', `content hashes to ${actual}, not ${digest}`);
                return bytes;
            });
        },
        async putManifest(reference, bytes, mediaType) {
            return retry(`put manifest ${name}:${reference}`, async () => {
                const r = await send('put manifest', 'PUT', `/v2/${name}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body: () => bytes });
                if (r.status !== 201 && r.status !== 200)
                    throw await errorFrom(`put manifest ${reference}`, r);
                await r.body?.cancel();
                const reported = r.headers.get('docker-content-digest');
                const actual = (0,_domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__/* .sha256Digest */ .sI)(bytes);
                if (reported && reported !== actual)
                    throw new RegistryError('put manifest', r.status, 'DIGEST_INVALID', `registry stored ${reported}, the bytes hash to ${actual}`);
                return actual;
            });
        },
        getManifest,
        async resolve(reference) {
            const digest = await retry(`resolve ${name}:${reference}`, async () => {
                const r = await send('head manifest', 'HEAD', `/v2/${name}/manifests/${reference}`, { headers: { accept: _domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__/* .MANIFEST_ACCEPT */ .dY } });
                await r.body?.cancel();
                if (r.status === 404)
                    return null;
                if (r.status !== 200)
                    throw new RegistryError(`head manifest ${reference}`, r.status, undefined, '');
                return r.headers.get('docker-content-digest') ?? '';
            });
            if (digest === null)
                return undefined;
            if (/^sha256:[0-9a-f]{64}$/.test(digest))
                return digest;
            return (await getManifest(reference))?.digest;
        },
        async listTags() {
            const tags = [];
            let next = `/v2/${name}/tags/list?n=1000`;
            while (next) {
                const page = next;
                const result = await retry(`list tags of ${name}`, async () => {
                    const r = await send('list tags', 'GET', page);
                    if (r.status === 404) {
                        await r.body?.cancel();
                        return { tags: [], link: null };
                    }
                    if (r.status !== 200)
                        throw await errorFrom('list tags', r);
                    const body = (await r.json());
                    return { tags: body.tags ?? [], link: r.headers.get('link') };
                });
                tags.push(...result.tags);
                const m = result.link ? /<([^>]+)>;\s*rel="?next"?/.exec(result.link) : null;
                next = m ? m[1] : undefined;
            }
            return tags;
        },
    };
}


/***/ }),

/***/ 3052:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   bD: () => (/* binding */ withRetry),
/* harmony export */   l: () => (/* binding */ isTransientNetworkError),
/* harmony export */   vI: () => (/* binding */ DEFAULT_RETRY)
/* harmony export */ });
const DEFAULT_RETRY = { attempts: 5, baseDelayMs: 500, maxDelayMs: 20_000 };
/** Runs `fn(attempt)` (attempt counts from 1) until it resolves, a non-retryable error, or attempts run out. */
async function withRetry(fn, options) {
    const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    for (let attempt = 1;; attempt++) {
        try {
            return await fn(attempt);
        }
        catch (error) {
            if (attempt >= options.attempts || !options.isRetryable(error))
                throw error;
            const cap = Math.min(options.maxDelayMs ?? 20_000, options.baseDelayMs * 2 ** (attempt - 1));
            const wait = Math.round(Math.random() * cap);
            options.log?.warning(`${options.what} failed (attempt ${attempt}/${options.attempts}): ${error.message}; retrying in ${wait} ms`);
            await sleep(wait);
        }
    }
}
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED']);
/**
 * Transport failures worth another attempt: connection reset/refused mid-way, an EOF, a socket or
 * header timeout, or an aborted request because of our own timeout. Node's fetch wraps them as
 * `TypeError: fetch failed` with the system error in `cause`.
 */
function isTransientNetworkError(error) {
    if (!(error instanceof Error))
        return false;
    if (error.name === 'TimeoutError' || error.name === 'AbortError')
        return true;
    for (let e = error; e instanceof Error; e = e.cause) {
        const code = e.code;
        if (code && TRANSIENT_CODES.has(code))
            return true;
        if (/\bEOF\b|socket hang up|other side closed|fetch failed/i.test(e.message))
            return true;
    }
    return false;
}


/***/ }),

/***/ 515:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   AG: () => (/* binding */ isEcrPublicHost),
/* harmony export */   EK: () => (/* binding */ isAwsRegion),
/* harmony export */   GS: () => (/* binding */ matchesTagFilter),
/* harmony export */   Wt: () => (/* binding */ ECR_CREATE_ACTIONS),
/* harmony export */   cG: () => (/* binding */ COSIGN_SIG_TAG_FILTER),
/* harmony export */   q5: () => (/* binding */ ECR_PUSH_ACTIONS),
/* harmony export */   wl: () => (/* binding */ parseEcrHost)
/* harmony export */ });
/* unused harmony export normalizeHost */
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
const REGION = '[a-z]{2,4}(?:-[a-z]+)+-\\d{1,2}';
const DOMAINS = ['amazonaws\\.com\\.cn', 'amazonaws\\.com', 'amazonaws\\.eu', 'c2s\\.ic\\.gov', 'sc2s\\.sgov\\.gov', 'cloud\\.adc-e\\.uk', 'csp\\.hci\\.ic\\.gov'];
const PRIVATE = new RegExp(`^(\\d{12})\\.dkr\\.ecr(-fips)?\\.(${REGION})\\.(${DOMAINS.join('|')})$`);
const DUAL_STACK = new RegExp(`^(\\d{12})\\.dkr-ecr(-fips)?\\.(${REGION})\\.(on\\.aws)$`);
const REGION_NAME = new RegExp(`^${REGION}$`);
/** True for an AWS region name such as `eu-west-1`, `us-gov-west-1` or `eusc-de-east-1` (the region part of an ECR host). */
function isAwsRegion(value) {
    return REGION_NAME.test(value);
}
/** Strips `https://`, a path and a `:443` port; lower-cases. `https://1.dkr.ecr.x.amazonaws.com/` → host. */
function normalizeHost(value) {
    return value.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').replace(/:443$/, '').toLowerCase();
}
/**
 * Parses a private ECR registry host (or a proxy endpoint URL such as GetAuthorizationToken's
 * `https://<host>`). Returns `undefined` for anything else — including `public.ecr.aws`, which
 * `isEcrPublicHost` recognises — rather than guessing.
 */
function parseEcrHost(value) {
    const host = normalizeHost(value);
    const m = PRIVATE.exec(host) ?? DUAL_STACK.exec(host);
    if (!m)
        return undefined;
    return { accountId: m[1], fips: m[2] === '-fips', region: m[3], domain: m[4], dualStack: m[4] === 'on.aws', host };
}
/** True for ECR Public (`public.ecr.aws`), whose auth lives in `us-east-1` and a separate client. */
function isEcrPublicHost(value) {
    return normalizeHost(value) === 'public.ecr.aws';
}
/** The IAM actions a push role needs on the repository (plus `ecr:GetAuthorizationToken` on `*`). */
const ECR_PUSH_ACTIONS = [
    'ecr:GetAuthorizationToken',
    'ecr:BatchCheckLayerAvailability',
    'ecr:InitiateLayerUpload',
    'ecr:UploadLayerPart',
    'ecr:CompleteLayerUpload',
    'ecr:PutImage',
    'ecr:BatchGetImage',
    'ecr:GetDownloadUrlForLayer',
    'ecr:DescribeRepositories',
];
/** Extra IAM actions when the action may create the repository. */
const ECR_CREATE_ACTIONS = ['ecr:CreateRepository', 'ecr:TagResource'];
/**
 * ECR tag-mutability filter match: `*` matches any run of characters, everything else is literal
 * (filter charset `[0-9a-zA-Z._*-]`, per `ImageTagMutabilityExclusionFilter`).
 */
function matchesTagFilter(tag, filter) {
    const pattern = filter.split('*').map((s) => s.replace(/[.]/g, '\\.')).join('.*');
    return new RegExp(`^${pattern}$`).test(tag);
}
/** The filter that keeps cosign's signature tags writable in an otherwise immutable repository. */
const COSIGN_SIG_TAG_FILTER = 'sha256-*.sig';


/***/ }),

/***/ 3603:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   d: () => (/* binding */ InputError),
/* harmony export */   u: () => (/* binding */ GateError)
/* harmony export */ });
/**
 * Bad input, found before any side effect. The message always names the input and the allowed
 * form, e.g. `Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")`.
 */
class InputError extends Error {
    input;
    constructor(input, problem) {
        super(`Input "${input}" ${problem}`);
        this.name = 'InputError';
        this.input = input;
    }
}
/** A gate that refused (findings over threshold, a signature that does not verify, ...). */
class GateError extends Error {
    constructor(message) {
        super(message);
        this.name = 'GateError';
    }
}


/***/ }),

/***/ 4263:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Q: () => (/* binding */ parseImageRef),
/* harmony export */   n2: () => (/* binding */ validateDigest),
/* harmony export */   rH: () => (/* binding */ parseRepositoryRef),
/* harmony export */   tO: () => (/* binding */ imageName),
/* harmony export */   z7: () => (/* binding */ validateTag)
/* harmony export */ });
/* unused harmony exports TAG_PATTERN, MAX_NAME_LENGTH, showValue, validateRepository, formatImageRef */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3603);

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG_PATTERN = '[A-Za-z0-9_][A-Za-z0-9._-]{0,127}';
const TAG = new RegExp(`^${TAG_PATTERN}$`);
const DIGEST = /^sha256:[a-f0-9]{64}$/;
// A DNS name or IPv4 address (labels of letters, digits and inner dashes), or a bracketed IPv6
// literal, optionally followed by a port.
const REGISTRY = /^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[A-Fa-f0-9:]+\])(?::[0-9]{1,5})?$/;
/** distribution/reference `NameTotalLengthMax`: registry + `/` + repository. */
const MAX_NAME_LENGTH = 255;
/** Shows a value in an error message: control characters made visible, long values shortened. */
function showValue(value) {
    const visible = JSON.stringify(value);
    return visible.length > 80 ? `${visible.slice(0, 60)}…" (${value.length} characters)` : visible;
}
/**
 * Throws `InputError(inputName)` unless `tag` is a valid OCI tag (1–128 characters, first a
 * letter, digit or `_`, then letters, digits, `_`, `.`, `-`). The message names the offending
 * character or the length, and the allowed pattern.
 */
function validateTag(tag, inputName) {
    if (TAG.test(tag))
        return tag;
    let why;
    if (tag.length === 0)
        why = 'is empty';
    else if (tag.length > 128)
        why = `is ${tag.length} characters long (at most 128)`;
    else if (!/^[A-Za-z0-9_]/.test(tag))
        why = `starts with ${showValue(tag[0])}`;
    else
        why = `contains ${showValue(/[^A-Za-z0-9._-]/.exec(tag)?.[0] ?? '?')}`;
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(inputName, `has tag ${showValue(tag)}, which ${why}; a tag must match ${TAG_PATTERN}`);
}
/** Throws `InputError(inputName)` unless `digest` is `sha256:` + 64 lowercase hex digits. */
function validateDigest(digest, inputName) {
    if (DIGEST.test(digest))
        return digest;
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(inputName, `has digest ${showValue(digest)}; a digest must be sha256:<64 lowercase hex digits>`);
}
/**
 * Throws `InputError(inputName)` unless `repository` is a valid repository path: `/`-separated
 * components of lowercase letters and digits joined by `.`, `_`, `__` or dashes.
 */
function validateRepository(repository, inputName) {
    const bad = repository.split('/').find((c) => !PATH_COMPONENT.test(c));
    if (bad === undefined)
        return repository;
    const hint = bad !== bad.toLowerCase() ? ' must be lowercase and' : '';
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(inputName, `has repository ${showValue(repository)} whose component ${showValue(bad)}${hint} must match [a-z0-9]+ joined by ".", "_", "__" or "-"`);
}
/**
 * Parses and validates an image reference. `inputName` is the input (or flag) the text came from;
 * every error is an `InputError` naming it, the rejected value and the allowed form.
 *
 * Examples: `sample-service` → `{repository}`; `127.0.0.1:5000/app:1.2` → `{registry, repository,
 * tag}`; `ghcr.io/o/app@sha256:…` → `{registry, repository, digest}`.
 */
function parseImageRef(text, inputName) {
    if (text.length === 0)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(inputName, 'is empty; expected an image reference such as registry.example.com/team/app:1.2.3');
    if (/\s/.test(text))
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(inputName, `contains whitespace (${showValue(text)}); expected one image reference`);
    let rest = text;
    let digest;
    const at = rest.indexOf('@');
    if (at >= 0) {
        digest = validateDigest(rest.slice(at + 1), inputName);
        rest = rest.slice(0, at);
    }
    let registry;
    const slash = rest.indexOf('/');
    if (slash >= 0) {
        const first = rest.slice(0, slash);
        if (first.includes('.') || first.includes(':') || first === 'localhost') {
            if (!REGISTRY.test(first))
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(inputName, `has registry ${showValue(first)}, which is not a host name or IP address with an optional :port`);
            registry = first;
            rest = rest.slice(slash + 1);
        }
    }
    let tag;
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
        tag = validateTag(rest.slice(colon + 1), inputName);
        rest = rest.slice(0, colon);
    }
    if (rest.length === 0)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(inputName, `has no repository in ${showValue(text)}`);
    validateRepository(rest, inputName);
    const nameLength = (registry ? registry.length + 1 : 0) + rest.length;
    if (nameLength > MAX_NAME_LENGTH)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(inputName, `has a name of ${nameLength} characters (at most ${MAX_NAME_LENGTH})`);
    return { ...(registry ? { registry } : {}), repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}
/**
 * Parses a reference that must name a repository only (no tag, no digest), as the `image` input
 * of the build: tags are computed, digests are produced.
 */
function parseRepositoryRef(text, inputName) {
    const ref = parseImageRef(text, inputName);
    if (ref.tag !== undefined || ref.digest !== undefined) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(inputName, `must be a repository without tag or digest, e.g. ${formatImageRef({ ...ref, tag: undefined, digest: undefined })} (got ${showValue(text)})`);
    }
    return ref;
}
/** `registry/repository` (or `repository` without a registry). */
function imageName(ref) {
    return ref.registry ? `${ref.registry}/${ref.repository}` : ref.repository;
}
/** Formats `[registry/]repository[:tag][@digest]`; the inverse of `parseImageRef`. */
function formatImageRef(ref) {
    return `${imageName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}


/***/ }),

/***/ 3025:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $l: () => (/* binding */ buildImageManifest),
/* harmony export */   Hs: () => (/* binding */ sniffCompression),
/* harmony export */   Ix: () => (/* binding */ parseDockerSaveManifest),
/* harmony export */   TH: () => (/* binding */ archiveImageFromOciLayout),
/* harmony export */   XY: () => (/* binding */ parseSignatureManifest),
/* harmony export */   Yf: () => (/* binding */ findEquivalentSignature),
/* harmony export */   _J: () => (/* binding */ buildSignatureManifest),
/* harmony export */   bG: () => (/* binding */ signatureTag),
/* harmony export */   dY: () => (/* binding */ MANIFEST_ACCEPT),
/* harmony export */   sI: () => (/* binding */ sha256Digest)
/* harmony export */ });
/* unused harmony exports MEDIA, blobPath, selectManifest, signatureConfig, mergeSignatures */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _signature_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3464);


/**
 * Manifests Trunkline builds and reads: the image manifest for an image exported with `docker
 * save`, and cosign's `.sig` signature manifest. Pure: bytes in, bytes/objects out.
 *
 * Sources: OCI image-spec `manifest.md`, `image-index.md`, `image-layout.md`; Docker "Image
 * Manifest V2, Schema 2"; moby `image/tarexport` (the `manifest.json` of `docker save`); cosign
 * `specs/SIGNATURE_SPEC.md` (the `.sig` manifest).
 */
const MEDIA = {
    dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
    dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
    dockerConfig: 'application/vnd.docker.container.image.v1+json',
    dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    ociManifest: 'application/vnd.oci.image.manifest.v1+json',
    ociIndex: 'application/vnd.oci.image.index.v1+json',
    ociConfig: 'application/vnd.oci.image.config.v1+json',
    ociLayer: 'application/vnd.oci.image.layer.v1.tar',
    ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};
/** The `Accept` list for reading manifests back (every single-image and index type). */
const MANIFEST_ACCEPT = [MEDIA.ociManifest, MEDIA.dockerManifest, MEDIA.ociIndex, MEDIA.dockerManifestList].join(', ');
/** `sha256:<hex>` of bytes. */
function sha256Digest(bytes) {
    return `sha256:${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256').update(bytes).digest('hex')}`;
}
/**
 * Reads the `manifest.json` of a `docker save` archive (both the legacy layout of dockerd ≤ 24 —
 * `<id>.json` config and `<layer>/layer.tar` — and the OCI layout of dockerd ≥ 25, which keeps a
 * compatible `manifest.json` pointing into `blobs/sha256/`). The archive must hold exactly one
 * image; throws `Error` otherwise.
 */
function parseDockerSaveManifest(text) {
    const entries = JSON.parse(text);
    if (!Array.isArray(entries) || entries.length !== 1)
        throw new Error(`docker save manifest.json must list exactly one image (found ${Array.isArray(entries) ? entries.length : 'no list'})`);
    const e = entries[0];
    if (typeof e.Config !== 'string' || !Array.isArray(e.Layers) || e.Layers.some((l) => typeof l !== 'string')) {
        throw new Error('docker save manifest.json entry lacks Config or Layers');
    }
    for (const p of [e.Config, ...e.Layers])
        assertInside(p);
    return {
        configPath: e.Config,
        layers: e.Layers.map((path) => ({ path })),
        repoTags: Array.isArray(e.RepoTags) ? e.RepoTags : [],
    };
}
/** Paths come from an archive: refuse absolute paths and `..` so nothing outside it is read. */
function assertInside(path) {
    if (path.startsWith('/') || path.split('/').includes('..'))
        throw new Error(`archive path escapes the archive: ${path}`);
}
/** `blobs/<alg>/<hex>` for a digest (OCI image-layout). */
function blobPath(digest) {
    const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest);
    if (!m)
        throw new Error(`not a digest: ${digest}`);
    return `blobs/${m[1]}/${m[2]}`;
}
/**
 * Picks the image manifest descriptor from an OCI `index.json` (or a nested index read with
 * `readBlob`): the only manifest, else the one for `platform` (default linux/amd64). Attestation
 * manifests (`vnd.docker.reference.type`) are skipped. Throws when nothing fits.
 */
function selectManifest(index, platform = { os: 'linux', architecture: 'amd64' }) {
    const candidates = (index.manifests ?? []).filter((d) => !d.annotations?.['vnd.docker.reference.type']);
    if (candidates.length === 1)
        return candidates[0];
    const match = candidates.find((d) => d.platform?.os === platform.os && d.platform?.architecture === platform.architecture);
    if (!match)
        throw new Error(`OCI index has ${candidates.length} manifests and none for ${platform.os}/${platform.architecture}`);
    return match;
}
/**
 * Reads an image from an OCI image layout (no `manifest.json`): follows `index.json` through nested
 * indexes to one image manifest. `readBlob(path)` returns a file's text from the layout.
 */
function archiveImageFromOciLayout(indexJson, readBlob) {
    let desc = selectManifest(JSON.parse(indexJson));
    for (let depth = 0; depth < 4; depth++) {
        const doc = JSON.parse(readBlob(blobPath(desc.digest)));
        if (doc.manifests) {
            desc = selectManifest(doc);
            continue;
        }
        if (!doc.config || !doc.layers)
            throw new Error(`OCI blob ${desc.digest} is neither an index nor an image manifest`);
        return {
            configPath: blobPath(doc.config.digest),
            layers: doc.layers.map((l) => ({ path: blobPath(l.digest), mediaType: l.mediaType })),
            repoTags: [],
        };
    }
    throw new Error('OCI index nesting is deeper than 4 levels');
}
/** Compression of a layer file from its first bytes (gzip `1f 8b`, zstd `28 b5 2f fd`). */
function sniffCompression(head) {
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)
        return 'gzip';
    if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528)
        return 'zstd';
    return 'none';
}
/**
 * Builds the image manifest bytes for a config blob and compressed layers: Docker schema 2 when
 * every layer is gzip (what `docker push` writes; every registry and daemon reads it), OCI when a
 * layer is zstd (Docker schema 2 has no zstd type). Compact JSON: the digest of these exact bytes
 * is the image digest that gets signed and pushed.
 */
function buildImageManifest(config, layers) {
    const oci = layers.some((l) => l.compression === 'zstd');
    const manifest = {
        schemaVersion: 2,
        mediaType: oci ? MEDIA.ociManifest : MEDIA.dockerManifest,
        config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, size: config.size, digest: config.digest },
        layers: layers.map((l) => ({
            mediaType: oci ? (l.compression === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.ociLayerGzip) : MEDIA.dockerLayerGzip,
            size: l.size,
            digest: l.digest,
        })),
    };
    const bytes = Buffer.from(JSON.stringify(manifest), 'utf8');
    return { bytes, mediaType: manifest.mediaType, digest: sha256Digest(bytes) };
}
/** cosign's signature tag for a digest: `sha256:abc…` → `sha256-abc….sig`. */
function signatureTag(digest) {
    return `${digest.replace(':', '-')}.sig`;
}
/** The minimal config blob of a `.sig` manifest (what go-containerregistry writes for cosign). */
function signatureConfig(payloadDigests) {
    return Buffer.from(JSON.stringify({
        architecture: '',
        created: '0001-01-01T00:00:00Z',
        history: payloadDigests.map(() => ({ created: '0001-01-01T00:00:00Z' })),
        os: '',
        rootfs: { type: 'layers', diff_ids: payloadDigests },
        config: {},
    }), 'utf8');
}
/**
 * Builds cosign's `.sig` manifest (OCI image manifest, one layer per signature: the payload blob
 * with the `dev.cosignproject.cosign/signature` annotation). Returns the manifest and the config
 * blob bytes, which must be uploaded first.
 */
function buildSignatureManifest(signatures) {
    const config = signatureConfig(signatures.map((s) => s.payloadDigest));
    const manifest = {
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: { mediaType: MEDIA.ociConfig, size: config.length, digest: sha256Digest(config) },
        layers: signatures.map((s) => ({
            mediaType: _signature_js__WEBPACK_IMPORTED_MODULE_1__/* .SIMPLE_SIGNING_MEDIA_TYPE */ .$r,
            size: s.payloadSize,
            digest: s.payloadDigest,
            annotations: { [_signature_js__WEBPACK_IMPORTED_MODULE_1__/* .COSIGN_SIGNATURE_ANNOTATION */ .Ry]: s.signature },
        })),
    };
    const bytes = Buffer.from(JSON.stringify(manifest), 'utf8');
    return { bytes, mediaType: MEDIA.ociManifest, digest: sha256Digest(bytes), config };
}
/** Reads the signatures out of a `.sig` manifest; layers without the annotation are skipped. */
function parseSignatureManifest(bytes) {
    const m = JSON.parse(bytes.toString('utf8'));
    if (!Array.isArray(m.layers))
        throw new Error('signature manifest has no layers');
    return m.layers
        .filter((l) => l.mediaType === _signature_js__WEBPACK_IMPORTED_MODULE_1__/* .SIMPLE_SIGNING_MEDIA_TYPE */ .$r && typeof l.annotations?.[_signature_js__WEBPACK_IMPORTED_MODULE_1__/* .COSIGN_SIGNATURE_ANNOTATION */ .Ry] === 'string')
        .map((l) => ({ payloadDigest: l.digest, payloadSize: l.size, signature: l.annotations[_signature_js__WEBPACK_IMPORTED_MODULE_1__/* .COSIGN_SIGNATURE_ANNOTATION */ .Ry] }));
}
/**
 * The existing layer equivalent to `sig`, by cosign's duplicate rule (`sign` with its dupe detector,
 * cosign `pkg/oci/remote`): the same payload digest, and a signature that verifies with the
 * signer's key. ECDSA signs with a fresh nonce each time, so a re-run over the same payload gives
 * other signature bytes: `verifiesWithSigner(layer)` decides; by default only equal bytes count.
 */
function findEquivalentSignature(existing, sig, verifiesWithSigner = (l) => l.signature === sig.signature) {
    return existing.find((s) => s.payloadDigest === sig.payloadDigest && (s.signature === sig.signature || verifiesWithSigner(s)));
}
/** Adds `sig` to existing signatures unless an equivalent one is there (see `findEquivalentSignature`); cosign appends otherwise. */
function mergeSignatures(existing, sig, verifiesWithSigner) {
    return findEquivalentSignature(existing, sig, verifiesWithSigner) ? [...existing] : [...existing, sig];
}


/***/ }),

/***/ 3782:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Gi: () => (/* binding */ parseTagMutability),
/* harmony export */   Vd: () => (/* binding */ planTags),
/* harmony export */   j1: () => (/* binding */ isTagImmutable),
/* harmony export */   lP: () => (/* binding */ describeConflicts)
/* harmony export */ });
/* unused harmony export TAG_MUTABILITY_MODES */
/* harmony import */ var _ecr_host_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(515);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3603);


const TAG_MUTABILITY_MODES = ['MUTABLE', 'IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'];
/** True when `tag` cannot be moved once it exists under `m`. */
function isTagImmutable(tag, m) {
    const matched = m.filters.some((f) => (0,_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__/* .matchesTagFilter */ .GS)(tag, f));
    switch (m.mode) {
        case 'MUTABLE': return false;
        case 'IMMUTABLE': return true;
        case 'IMMUTABLE_WITH_EXCLUSION': return !matched;
        case 'MUTABLE_WITH_EXCLUSION': return matched;
    }
}
/**
 * Plans the tag writes for `digest`. `existing` maps each tag to the digest the registry serves
 * for it now (absent = tag does not exist).
 */
function planTags(tags, digest, existing, mutability) {
    const plan = { put: [], unchanged: [], moved: [], conflicts: [] };
    for (const tag of tags) {
        const current = existing.get(tag);
        if (current === undefined)
            plan.put.push(tag);
        else if (current === digest)
            plan.unchanged.push(tag);
        else if (isTagImmutable(tag, mutability))
            plan.conflicts.push({ tag, existing: current });
        else {
            plan.put.push(tag);
            plan.moved.push({ tag, from: current });
        }
    }
    return plan;
}
/** The refusal sentence for conflicts, naming both digests for every tag. */
function describeConflicts(repository, digest, conflicts) {
    const lines = conflicts.map((c) => `tag ${repository}:${c.tag} is immutable and already points at ${c.existing}, not at the signed ${digest}`);
    return `${lines.join('; ')}. Nothing was tagged. Use a new tag (e.g. sha-<commit>) or make that tag mutable.`;
}
/**
 * Validates a tag-mutability setting from input text: `mode` one of the four ECR modes (empty →
 * MUTABLE) and up to 5 wildcard filters of `[0-9A-Za-z._*-]` (ECR's limits). Throws `InputError`.
 */
function parseTagMutability(mode, filters, modeInput, filtersInput) {
    const m = (mode ?? 'MUTABLE').toUpperCase();
    if (!TAG_MUTABILITY_MODES.includes(m))
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(modeInput, `must be one of ${TAG_MUTABILITY_MODES.join(', ')} (got "${mode}")`);
    if (filters.length > 5)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(filtersInput, `has ${filters.length} filters; ECR allows at most 5`);
    for (const f of filters) {
        if (!/^[0-9A-Za-z._*-]{1,128}$/.test(f))
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(filtersInput, `has filter ${JSON.stringify(f)}; filters use only letters, digits, ".", "_", "-" and the wildcard "*"`);
    }
    return { mode: m, filters: [...filters] };
}


/***/ }),

/***/ 3464:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $r: () => (/* binding */ SIMPLE_SIGNING_MEDIA_TYPE),
/* harmony export */   KX: () => (/* binding */ parseAnnotations),
/* harmony export */   Od: () => (/* binding */ verifySignature),
/* harmony export */   PM: () => (/* binding */ loadPrivateKey),
/* harmony export */   Ry: () => (/* binding */ COSIGN_SIGNATURE_ANNOTATION),
/* harmony export */   Sy: () => (/* binding */ signatureRecord),
/* harmony export */   TZ: () => (/* binding */ generateKeyPair),
/* harmony export */   cM: () => (/* binding */ signPayload),
/* harmony export */   fg: () => (/* binding */ loadPublicKey),
/* harmony export */   l1: () => (/* binding */ parseSignatureRecord),
/* harmony export */   nI: () => (/* binding */ buildPayload),
/* harmony export */   rY: () => (/* binding */ publicKeyPem),
/* harmony export */   xs: () => (/* binding */ keyId)
/* harmony export */ });
/* unused harmony exports COSIGN_SIGNATURE_TYPE, isDigest, parsePayload */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3603);


/**
 * Key-based image signatures in cosign's "simple signing" format, with Node's crypto only.
 *
 * Sources: sigstore/cosign `specs/SIGNATURE_SPEC.md` (payload shape, `.sig` layout),
 * sigstore/sigstore `pkg/signature/payload/payload.go` (field names) and `pkg/signature/ecdsa.go`
 * (ECDSA over SHA-256 of the payload, ASN.1/DER signature — raw r‖s is rejected). A signature made
 * here is what `cosign verify --key cosign.pub --insecure-ignore-tlog=true` checks, and what
 * `openssl dgst -sha256 -verify pub.pem -signature sig.der payload` accepts.
 *
 * Pure computation: no files, no network. Keys are `KeyObject`s or PEM strings.
 */
/** `critical.type` of every cosign container image signature. */
const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** Media type of the payload blob in a `.sig` manifest. */
const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** Layer annotation that carries the base64 DER signature in a `.sig` manifest. */
const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** True for `sha256:` followed by 64 lowercase hex digits (the only digest form Trunkline signs). */
function isDigest(value) {
    return DIGEST.test(value);
}
/**
 * Builds the payload bytes that get signed. `dockerReference` is the repository without tag or
 * digest (`registry/name`); `digest` the manifest digest (`sha256:<64 hex>`); `annotations` land in
 * `optional` with keys sorted (as Go's encoder writes a map), or `null` when empty (cosign's form).
 * Returns the exact bytes: verifiers never re-serialize, so callers must keep these bytes.
 * Throws `Error` on a malformed digest or an empty reference.
 */
function buildPayload(dockerReference, digest, annotations = {}) {
    if (!isDigest(digest))
        throw new Error(`not a sha256 digest: "${digest}"`);
    if (!dockerReference || /[@\s]/.test(dockerReference))
        throw new Error(`not a repository reference: "${dockerReference}"`);
    const keys = Object.keys(annotations).sort();
    const optional = keys.length ? Object.fromEntries(keys.map((k) => [k, String(annotations[k])])) : null;
    const payload = {
        critical: {
            identity: { 'docker-reference': dockerReference },
            image: { 'docker-manifest-digest': digest },
            type: COSIGN_SIGNATURE_TYPE,
        },
        optional,
    };
    return Buffer.from(JSON.stringify(payload), 'utf8');
}
/** Parses payload bytes; throws `Error` when they are not a simple-signing JSON object. */
function parsePayload(bytes) {
    let value;
    try {
        value = JSON.parse(bytes.toString('utf8'));
    }
    catch (error) {
        throw new Error(`signature payload is not JSON: ${error.message}`, { cause: error });
    }
    const p = value;
    const c = p?.critical;
    if (!c || typeof c !== 'object' || typeof c.identity?.['docker-reference'] !== 'string'
        || typeof c.image?.['docker-manifest-digest'] !== 'string' || typeof c.type !== 'string') {
        throw new Error('signature payload lacks critical.identity / critical.image / critical.type');
    }
    return value;
}
/** A fresh ECDSA P-256 key pair (for runs without a configured key; the caller must warn). */
function generateKeyPair() {
    const { privateKey, publicKey } = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.generateKeyPairSync)('ec', { namedCurve: 'P-256' });
    return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
function assertP256(key, input) {
    const details = key.asymmetricKeyDetails;
    if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(input, `must be an ECDSA P-256 key (got ${key.asymmetricKeyType ?? 'unknown'}${details?.namedCurve ? ` ${details.namedCurve}` : ''})`);
    }
}
/**
 * Loads a private key from PEM: PKCS#8 (`PRIVATE KEY`), encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`,
 * needs `passphrase`) or SEC1 (`EC PRIVATE KEY`, optionally with OpenSSL's `Proc-Type: 4,ENCRYPTED`).
 * Cosign's own `ENCRYPTED SIGSTORE/COSIGN PRIVATE KEY` (scrypt + NaCl secretbox) is refused with the
 * conversion hint. Errors are `InputError`s naming `input` (or `passphraseInput` for a passphrase
 * problem); the key must be P-256.
 */
function loadPrivateKey(pem, passphrase, input = 'private-key', passphraseInput = 'private-key-passphrase') {
    if (/-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(pem)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(input, 'is a cosign-encrypted key, which Node cannot decrypt; give a PKCS#8 PEM instead (e.g. `openssl ecparam -name prime256v1 -genkey | openssl pkcs8 -topk8 -v2 aes-256-cbc`) and import it into cosign with `cosign import-key-pair` if cosign must sign too');
    }
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(input, 'must be a PEM private key (-----BEGIN PRIVATE KEY-----, ENCRYPTED PRIVATE KEY or EC PRIVATE KEY)');
    }
    const encrypted = /ENCRYPTED PRIVATE KEY|Proc-Type:\s*4,ENCRYPTED/.test(pem);
    if (encrypted && !passphrase)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(passphraseInput, `is required: the key in "${input}" is encrypted`);
    let key;
    try {
        key = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createPrivateKey)(encrypted ? { key: pem, format: 'pem', passphrase } : { key: pem, format: 'pem' });
    }
    catch (error) {
        if (encrypted)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(passphraseInput, `does not decrypt the key in "${input}" (${error.message})`);
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(input, `is not a readable PEM private key (${error.message})`);
    }
    assertP256(key, input);
    return key;
}
/** Loads an SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`); `InputError` naming `input` otherwise. */
function loadPublicKey(pem, input = 'public-key') {
    if (!/-----BEGIN PUBLIC KEY-----/.test(pem))
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(input, 'must be an SPKI PEM public key (-----BEGIN PUBLIC KEY-----), as in cosign.pub');
    let key;
    try {
        key = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createPublicKey)({ key: pem, format: 'pem' });
    }
    catch (error) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(input, `is not a readable public key (${error.message})`);
    }
    assertP256(key, input);
    return key;
}
/** The public half of a private key, a public key as is, or a public key read from PEM. */
function toPublicKey(key) {
    return typeof key === 'string' || key.type === 'private' ? (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createPublicKey)(key) : key;
}
/** The SPKI PEM of a private or public key. */
function publicKeyPem(key) {
    return toPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}
/** Key id: `sha256:<hex>` of the SPKI DER (the same idea as a Sigstore bundle's `publicKey.hint`). */
function keyId(key) {
    return `sha256:${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256').update(toPublicKey(key).export({ type: 'spki', format: 'der' })).digest('hex')}`;
}
/** Signs payload bytes: ECDSA P-256 over SHA-256, DER-encoded; returns the signature bytes. */
function signPayload(payload, privateKey) {
    return (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.sign)('sha256', payload, { key: privateKey, dsaEncoding: 'der' });
}
/**
 * Verifies a signature the way cosign's key verifier does: ECDSA/SHA-256 over the exact payload
 * bytes with a DER signature (`VerifyASN1`), then the claims — `critical.type`, the manifest digest,
 * and optionally the reference and annotations. Never throws for a bad signature: returns
 * `{ ok: false, reason }` with a sentence a user can act on.
 */
function verifySignature(payload, signature, publicKey, expect) {
    let valid;
    try {
        valid = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.verify)('sha256', payload, { key: publicKey, dsaEncoding: 'der' }, signature);
    }
    catch (error) {
        // Malformed DER (e.g. a truncated signature) makes OpenSSL throw instead of returning false.
        return { ok: false, reason: `signature is not a valid ECDSA DER signature (${error.message})` };
    }
    if (!valid)
        return { ok: false, reason: `signature does not verify with public key ${keyId(publicKey)} over the payload bytes` };
    let parsed;
    try {
        parsed = parsePayload(payload);
    }
    catch (error) {
        return { ok: false, reason: error.message };
    }
    const c = parsed.critical;
    if (c.type !== COSIGN_SIGNATURE_TYPE)
        return { ok: false, reason: `payload type is "${c.type}", expected "${COSIGN_SIGNATURE_TYPE}"` };
    if (c.image['docker-manifest-digest'] !== expect.digest) {
        return { ok: false, reason: `signature is for digest ${c.image['docker-manifest-digest']}, not ${expect.digest}` };
    }
    if (expect.dockerReference !== undefined && c.identity['docker-reference'] !== expect.dockerReference) {
        return { ok: false, reason: `signature names repository ${c.identity['docker-reference']}, not ${expect.dockerReference}` };
    }
    for (const [k, v] of Object.entries(expect.annotations ?? {})) {
        if (parsed.optional?.[k] !== v)
            return { ok: false, reason: `annotation ${k} is ${JSON.stringify(parsed.optional?.[k] ?? null)}, expected ${JSON.stringify(v)}` };
    }
    return { ok: true, payload: parsed };
}
/** Builds the record for signed payload bytes. */
function signatureRecord(payload, signature, publicKey) {
    const parsed = parsePayload(payload);
    const ref = parsed.critical.identity['docker-reference'];
    const digest = parsed.critical.image['docker-manifest-digest'];
    return {
        schema: 'trunkline.dev/image-signature/v1',
        imageRef: `${ref}@${digest}`,
        digest,
        dockerReference: ref,
        mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
        payload: payload.toString('base64'),
        signature: signature.toString('base64'),
        publicKey: publicKeyPem(publicKey),
        keyId: keyId(publicKey),
        note: 'key-based signature, not recorded in a transparency log',
    };
}
/** Parses an `image.signature` JSON text; throws `Error` naming the missing field. */
function parseSignatureRecord(text) {
    let value;
    try {
        value = JSON.parse(text);
    }
    catch (error) {
        throw new Error(`signature file is not JSON: ${error.message}`, { cause: error });
    }
    for (const field of ['payload', 'signature', 'digest']) {
        if (typeof value[field] !== 'string' || !value[field])
            throw new Error(`signature file lacks "${field}"`);
    }
    const b64 = /^[A-Za-z0-9+/]*={0,2}$/;
    if (!b64.test(value.payload) || !b64.test(value.signature))
        throw new Error('signature file payload/signature must be standard base64');
    const record = value;
    return { ...record, payloadBytes: Buffer.from(record.payload, 'base64'), signatureBytes: Buffer.from(record.signature, 'base64') };
}
/**
 * Parses `key=value` annotation lines (from an input or repeated flags) into the payload's
 * `optional` claims. Keys are `[A-Za-z0-9._/-]+` (cosign `-a` keys); values are free text.
 * Throws `InputError(inputName)` naming the malformed line.
 */
function parseAnnotations(lines, inputName) {
    const out = {};
    for (const line of lines) {
        const eq = line.indexOf('=');
        const k = eq > 0 ? line.slice(0, eq).trim() : '';
        if (!/^[A-Za-z0-9._/-]+$/.test(k))
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(inputName, `has ${JSON.stringify(line)}; each annotation must be key=value with a key of letters, digits, ".", "_", "/" or "-"`);
        out[k] = line.slice(eq + 1).trim();
    }
    return out;
}


/***/ }),

/***/ 5886:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   C: () => (/* binding */ runAction)
/* harmony export */ });
/* unused harmony export createActionsLogger */
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(473);
/* harmony import */ var _report_result_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(5183);
/* harmony import */ var _report_render_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(1946);



/** A Logger over `@actions/core`: groups, annotations and `::add-mask::` for secrets. */
function createActionsLogger() {
    return {
        info: (m) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(m),
        debug: (m) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .debug */ .Yz(m),
        warning: (m, p) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .warning */ .$e(m, p),
        error: (m, p) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .error */ .z3(m, p),
        group: (title, fn) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .group */ .Os(title, fn),
        secret: (v) => { if (v)
            _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setSecret */ .Pq(v); },
    };
}
/**
 * The whole life of an action's `main.ts`: run `body` (context → stage) with an Actions logger,
 * publish every output (lists newline-joined, records as JSON), append the job summary, and
 * fail the step (`core.setFailed`) when the stage failed or threw. Bad input (`InputError`) fails
 * the same way, with its message naming the input. Returns the result for tests.
 */
async function runAction(name, body) {
    const log = createActionsLogger();
    const start = performance.now();
    let result;
    try {
        result = await body(log);
    }
    catch (error) {
        result = (0,_report_result_js__WEBPACK_IMPORTED_MODULE_2__/* .failedFromError */ .af)(name, error, Math.round(performance.now() - start));
    }
    for (const [key, value] of Object.entries(result.outputs)) {
        if (value !== undefined)
            _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setOutput */ .uH(key, (0,_report_render_js__WEBPACK_IMPORTED_MODULE_1__/* .outputToString */ .yK)(value));
    }
    try {
        await _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .summary */ .z.addRaw(result.summaryMarkdown ?? (0,_report_render_js__WEBPACK_IMPORTED_MODULE_1__/* .defaultStageMarkdown */ .h2)(result), true).write();
    }
    catch (error) {
        // Outside a runner there is no GITHUB_STEP_SUMMARY: the summary is a courtesy, not the verdict.
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .debug */ .Yz(`job summary not written: ${error.message}`);
    }
    if (result.status === 'failed')
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setFailed */ .C1(result.error ?? `${name} failed`);
    else if (result.status === 'skipped')
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .notice */ .lm(`${name} skipped: ${result.notes[0] ?? 'no reason given'}`);
    return result;
}


/***/ }),

/***/ 5835:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   lQ: () => (/* binding */ beginExternal),
/* harmony export */   qn: () => (/* binding */ external)
/* harmony export */ });
/* unused harmony export measureExternal */
/* harmony import */ var node_async_hooks__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(6698);
/* harmony import */ var node_async_hooks__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_async_hooks__WEBPACK_IMPORTED_MODULE_0__);

const storage = new node_async_hooks__WEBPACK_IMPORTED_MODULE_0__.AsyncLocalStorage();
/** Marks the start of an external wait in the current stage; returns the function that ends it. */
function beginExternal() {
    const clock = storage.getStore();
    if (!clock)
        return () => { };
    if (clock.active++ === 0)
        clock.since = performance.now();
    let ended = false;
    return () => {
        if (ended)
            return;
        ended = true;
        if (--clock.active === 0)
            clock.totalMs += performance.now() - clock.since;
    };
}
/** Runs `fn` as an external wait (e.g. a `fetch`). */
async function external(fn) {
    const end = beginExternal();
    try {
        return await fn();
    }
    finally {
        end();
    }
}
/** Runs `fn` with a fresh clock; returns its value and the external milliseconds it accumulated. */
async function measureExternal(fn) {
    const clock = { active: 0, since: 0, totalMs: 0 };
    const value = await storage.run(clock, fn);
    return { value, externalMs: Math.round(clock.totalMs) };
}


/***/ }),

/***/ 1946:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Qj: () => (/* binding */ markdownTable),
/* harmony export */   cV: () => (/* binding */ stageMarkdown),
/* harmony export */   h2: () => (/* binding */ defaultStageMarkdown),
/* harmony export */   yK: () => (/* binding */ outputToString)
/* harmony export */ });
/* unused harmony exports statusIcon, textTable */
/**
 * Converts one output value to the string form a step output takes: lists become newline-joined
 * lines, records and arrays of records become JSON, booleans `true`/`false`.
 */
function outputToString(value) {
    if (value === undefined)
        return '';
    if (typeof value === 'string')
        return value;
    if (typeof value === 'number' || typeof value === 'boolean')
        return String(value);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
        return value.join('\n');
    return JSON.stringify(value);
}
const ICON = { passed: '✅', failed: '❌', skipped: '⏭️' };
/** The job-summary icon of a stage status (✅ passed, ❌ failed, ⏭️ skipped). */
function statusIcon(status) {
    return ICON[status];
}
function escapeCell(text) {
    return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
/** A markdown table of rows (first row is the header); cells are escaped for `|` and newlines. */
function markdownTable(rows) {
    const [head, ...body] = rows;
    if (!head)
        return '';
    const line = (cells) => `| ${cells.map(escapeCell).join(' | ')} |`;
    return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}
/**
 * The one job-summary renderer every stage uses: the common header (icon, stage, status, time),
 * the error, the notes, then the stage's own `sections` in order. Returns GitHub-flavoured markdown.
 */
function stageMarkdown(result, sections = []) {
    const parts = [`### ${ICON[result.status]} ${result.name}: ${result.status} (${result.durationMs} ms)`];
    if (result.error)
        parts.push(`**Error:** ${result.error}`);
    for (const note of result.notes)
        parts.push(`- ${note}`);
    for (const section of sections) {
        if (!section.body.trim())
            continue;
        if (section.collapsed)
            parts.push(`<details><summary>${section.heading ?? 'Details'}</summary>\n\n${section.body}\n\n</details>`);
        else
            parts.push(section.heading ? `#### ${section.heading}\n\n${section.body}` : section.body);
    }
    return parts.join('\n\n');
}
/**
 * The default job-summary section for a stage that wrote none of its own: status, notes, findings
 * (capped at `maxFindings` with an "and N more" line) and outputs.
 */
function defaultStageMarkdown(result, maxFindings = 20) {
    const parts = [stageMarkdown(result)];
    if (result.findings.length) {
        const rows = result.findings.slice(0, maxFindings).map((f) => [f.severity ?? '', f.id, f.message, f.location ?? '']);
        parts.push(markdownTable([['Severity', 'ID', 'Message', 'Location'], ...rows]));
        if (result.findings.length > maxFindings)
            parts.push(`…and ${result.findings.length - maxFindings} more`);
    }
    const outputs = Object.entries(result.outputs).filter(([, v]) => v !== undefined && v !== '');
    if (outputs.length) {
        parts.push('<details><summary>Outputs</summary>\n');
        parts.push(markdownTable([['Output', 'Value'], ...outputs.map(([k, v]) => [k, `\`${outputToString(v)}\``])]));
        parts.push('\n</details>');
    }
    return parts.join('\n\n');
}
/** A plain-text table of stages for terminals: name, status, duration, first note or error. */
function textTable(results) {
    const rows = results.map((r) => [r.name, r.status.toUpperCase(), `${(r.durationMs / 1000).toFixed(1)}s`, r.error ?? r.notes[0] ?? '']);
    const header = ['STAGE', 'STATUS', 'TIME', 'DETAIL'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').split('\n')[0].length)));
    const fmt = (r) => r.map((c, i) => (i === r.length - 1 ? c.split('\n')[0] : c.padEnd(widths[i]))).join('  ');
    return [fmt(header), ...rows.map(fmt)].join('\n');
}


/***/ }),

/***/ 5183:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Si: () => (/* binding */ runStage),
/* harmony export */   af: () => (/* binding */ failedFromError)
/* harmony export */ });
/* unused harmony exports timed, skipped */
/**
 * Runs `fn` and stamps its result with the stage name and its wall time (ms, from
 * `performance.now()`). An exception is not caught here: the door decides how to report it.
 * Prefer `runStage`, which also turns a thrown error into a `failed` result.
 */
async function timed(name, fn) {
    const start = performance.now();
    const body = await fn();
    return { name, durationMs: Math.round(performance.now() - start), ...body };
}
/**
 * The one stage contract: runs `fn`, stamps the stage name and wall time (ms, `performance.now()`),
 * and turns anything it throws (an `InputError` for bad input included) into a `failed` result with
 * the message as `error` and `outputs` from `failedOutputs` (default `{}`), so a stage never throws
 * at its door. `onError` may add notes or a job summary to that failed result.
 */
async function runStage(name, fn, options = {}) {
    const start = performance.now();
    try {
        const body = await fn();
        return { name, durationMs: Math.round(performance.now() - start), ...body };
    }
    catch (error) {
        const result = failedFromError(name, error, Math.round(performance.now() - start), options.failedOutputs?.() ?? {});
        options.onError?.(result);
        return result;
    }
}
/** A `skipped` result with the reason as its first note (never to be mistaken for `passed`). */
function skipped(name, reason, outputs = {}) {
    return { name, status: 'skipped', durationMs: 0, outputs, findings: [], notes: [reason] };
}
/** A `failed` result for an error thrown by a stage, keeping the elapsed time. */
function failedFromError(name, error, durationMs, outputs = {}) {
    const message = error instanceof Error ? error.message : String(error);
    return { name, status: 'failed', durationMs, outputs, findings: [], notes: [], error: message };
}


/***/ }),

/***/ 6555:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Qh: () => (/* binding */ refuseEcrPublic),
/* harmony export */   gm: () => (/* binding */ connectRegistry),
/* harmony export */   zW: () => (/* binding */ explainRegistryError)
/* harmony export */ });
/* unused harmony exports isLoopbackHost, usesEcr */
/* harmony import */ var _domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(515);
/* harmony import */ var _domain_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3603);
/* harmony import */ var _adapters_registry_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(8259);



/** Loopback registries speak plain HTTP by default (docker's insecure-registry default). */
function isLoopbackHost(host) {
    return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(host);
}
/** ECR Public needs the ecr-public API (auth only in us-east-1): refused up front, naming the input. */
function refuseEcrPublic(ref, input) {
    if (ref.registry && (0,_domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__/* .isEcrPublicHost */ .AG)(ref.registry)) {
        throw new _domain_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(input, 'is on ECR Public (public.ecr.aws), which needs the ecr-public API in us-east-1; push to a private ECR registry, or give username and password');
    }
}
/** ECR auth: asked for (`ecr` settings), or implied by an ECR host when no username/password is given. */
function usesEcr(host, cfg) {
    return cfg.ecr !== undefined || ((0,_domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__/* .parseEcrHost */ .wl)(host) !== undefined && !cfg.registryAuth);
}
/**
 * Connects to `ref`'s registry. With `forPush`, an ECR repository is described (and created when
 * asked) so its tag mutability is known; `notes` receives what a reviewer should read. Throws
 * `InputError` when ECR is used without a region, `EcrAccessError`/`Error` from the ECR API.
 */
async function connectRegistry(ref, cfg, log, forPush, notes) {
    const host = ref.registry;
    const ecrHost = (0,_domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__/* .parseEcrHost */ .wl)(host);
    const insecure = cfg.insecure ?? isLoopbackHost(host);
    const ecrUsed = !cfg.registryAuth && usesEcr(host, cfg);
    let credentials;
    let current;
    let mutability = cfg.tagMutability ?? { mode: 'MUTABLE', filters: [] };
    if (cfg.registryAuth) {
        const auth = cfg.registryAuth;
        log.secret(auth.password);
        current = auth;
        credentials = async () => auth;
    }
    else if (ecrUsed) {
        const region = cfg.ecr?.region ?? ecrHost?.region;
        if (!region)
            throw new _domain_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d('aws-region', `is required: ${host} is not an ECR host, so the region cannot be read from it`);
        const { createEcrApi, DEFAULT_CREATE_SETTINGS } = await __nccwpck_require__.e(/* import() */ 132).then(__nccwpck_require__.bind(__nccwpck_require__, 5132));
        const ecr = await createEcrApi({
            region, endpoint: cfg.ecr?.endpoint, registryId: ecrHost?.accountId, retry: cfg.retry, log,
            connectTimeoutMs: cfg.ecr?.connectTimeoutMs, requestTimeoutMs: cfg.ecr?.requestTimeoutMs,
        });
        const first = await ecr.login();
        current = first;
        log.info(`ECR token for ${first.proxyEndpoint} (region ${region}) obtained${first.expiresAt ? `, valid until ${first.expiresAt.toISOString()}` : ''}`);
        credentials = async (refresh) => {
            if (refresh) {
                current = await ecr.login();
                notes.push('The registry rejected the ECR token once; logged in again with a fresh token.');
            }
            return current;
        };
        if (forPush) {
            const create = cfg.ecr?.createRepository ? { ...DEFAULT_CREATE_SETTINGS, ...cfg.ecr.create } : undefined;
            const { repository, created } = await ecr.ensureRepository(ref.repository, create);
            mutability = repository.mutability;
            notes.push(`${created ? 'Created' : 'Using'} ECR repository ${repository.uri || ref.repository} (tags ${mutability.mode}${mutability.filters.length ? ` except ${mutability.filters.join(', ')}` : ''}).`);
        }
    }
    const client = (0,_adapters_registry_js__WEBPACK_IMPORTED_MODULE_2__/* .createRegistryClient */ .Hn)({ host, repository: ref.repository, insecure, credentials, log, retry: cfg.retry });
    return { client, mutability, ecr: ecrUsed, current: () => current };
}
/** The registry-side push actions: what a 403 from the ECR registry (not its API) points at. */
const ECR_REGISTRY_ACTIONS = _domain_ecr_host_js__WEBPACK_IMPORTED_MODULE_0__/* .ECR_PUSH_ACTIONS */ .q5.filter((a) => a !== 'ecr:GetAuthorizationToken' && a !== 'ecr:DescribeRepositories');
/** Explains a registry error: a 403 on ECR lists the IAM actions the role needs. Returns the error to throw. */
function explainRegistryError(error, ecr) {
    if (error instanceof _adapters_registry_js__WEBPACK_IMPORTED_MODULE_2__/* .RegistryError */ .gl && error.status === 403 && ecr) {
        return new Error(`${error.message}. The role needs ${ECR_REGISTRY_ACTIONS.slice(0, -1).join(', ')} and ${ECR_REGISTRY_ACTIONS.at(-1)} on the repository (a missing InitiateLayerUpload often shows up as a bare EOF).`, { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
}


/***/ }),

/***/ 470:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  O: () => (/* binding */ runSignAndPush)
});

// UNUSED EXPORTS: trustGuard

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __nccwpck_require__(7075);
// EXTERNAL MODULE: ./core/src/domain/errors.ts
var errors = __nccwpck_require__(3603);
;// CONCATENATED MODULE: ./core/src/domain/privileged-event.ts

/**
 * The one guard for events that run with the base repository's secrets while their input can come
 * from a fork (GitHub's "Keeping your GitHub Actions and workflows secure: preventing pwn
 * requests"): `pull_request_target`, `workflow_run` and `issue_comment`. Every action that
 * publishes or pushes (action-sign, action-gitops-bump) refuses them unless the workflow opts in
 * with the same input, and says so with the same message (docs/errors.md, `privileged-event`).
 */
const PRIVILEGED_EVENTS = ['pull_request_target', 'workflow_run', 'issue_comment'];
/** The opt-in input, the same name in every action that has the guard. */
const ALLOW_PRIVILEGED_EVENT = 'allow-privileged-event';
/** The refusal for `eventName` (`GITHUB_EVENT_NAME`, or undefined/`local` off GitHub), or undefined when allowed. */
function privilegedEventRefusal(eventName, allowed, what) {
    if (!eventName || !PRIVILEGED_EVENTS.includes(eventName) || allowed)
        return undefined;
    return `refusing to ${what} on a ${eventName} event: it runs with the base repository's secrets while its input can come from a fork. `
        + `Set ${ALLOW_PRIVILEGED_EVENT}: true only if this workflow never runs code or data from the triggering fork.`;
}
/** Throws `GateError` with `privilegedEventRefusal`'s message when the event is refused. */
function assertEventAllowed(eventName, allowed, what) {
    const refusal = privilegedEventRefusal(eventName, allowed, what);
    if (refusal)
        throw new errors/* GateError */.u(refusal);
}

// EXTERNAL MODULE: ./core/src/domain/image-ref.ts
var image_ref = __nccwpck_require__(4263);
// EXTERNAL MODULE: ./core/src/domain/oci-manifest.ts
var oci_manifest = __nccwpck_require__(3025);
// EXTERNAL MODULE: ./core/src/domain/push-plan.ts
var push_plan = __nccwpck_require__(3782);
// EXTERNAL MODULE: ./core/src/domain/signature.ts
var domain_signature = __nccwpck_require__(3464);
// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __nccwpck_require__(1421);
;// CONCATENATED MODULE: ./core/src/report/logger.ts
/** Replaces every registered secret in `text` with `***` (the runner's own mask marker). */
function maskSecrets(text, secrets) {
    let out = text;
    for (const s of secrets)
        if (s.length > 0)
            out = out.split(s).join('***');
    return out;
}
/**
 * A Logger for terminals and tests. Lines go to `write` (stderr by default) with the stage name as
 * prefix; secrets registered with `secret()` are masked in every line.
 */
function createConsoleLogger(options = {}) {
    const secrets = new Set();
    const write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    let indent = '';
    const emit = (kind, message) => {
        const prefix = options.prefix ? `[${options.prefix}] ` : '';
        for (const line of maskSecrets(message, secrets).split('\n'))
            write(`${indent}${prefix}${kind}${line}`);
    };
    return {
        info: (m) => emit('', m),
        debug: (m) => { if (options.debug)
            emit('debug: ', m); },
        warning: (m, p) => emit('warning: ', p?.file ? `${p.file}${p.startLine ? `:${p.startLine}` : ''}: ${m}` : m),
        error: (m, p) => emit('error: ', p?.file ? `${p.file}${p.startLine ? `:${p.startLine}` : ''}: ${m}` : m),
        async group(title, fn) {
            emit('▸ ', title);
            const outer = indent;
            indent = `${outer}  `;
            try {
                return await fn();
            }
            finally {
                indent = outer;
            }
        },
        secret: (v) => { if (v)
            secrets.add(v); },
    };
}
/** A Logger that keeps every line in memory (tests assert on what a user would have read). */
function createMemoryLogger() {
    const lines = [];
    const logger = createConsoleLogger({ write: (l) => lines.push(l), debug: true });
    return Object.assign(logger, { lines });
}

// EXTERNAL MODULE: ./core/src/report/external-time.ts
var external_time = __nccwpck_require__(5835);
;// CONCATENATED MODULE: ./core/src/adapters/process.ts




/** A child that exited non-zero, was killed, or could not start. */
class ProcessError extends Error {
    command;
    code;
    stdout;
    stderr;
    constructor(command, code, stdout, stderr, reason) {
        const tail = stderr.trim().split('\n').slice(-20).join('\n');
        super(`${command} ${reason}${tail ? `:\n${tail}` : ''}`);
        this.name = 'ProcessError';
        this.command = command;
        this.code = code;
        this.stdout = stdout;
        this.stderr = stderr;
    }
}
/** Children started by `run` that have not closed yet: what a signal handler must stop. */
const liveChildren = new Set();
/**
 * Sends `signal` to every child `run` started that is still running (a door's SIGINT/SIGTERM
 * handler calls it so no eslint, docker or trivy outlives the CLI). Returns how many were signalled.
 */
function signalRunningChildren(signal) {
    for (const child of liveChildren)
        child.kill(signal);
    return liveChildren.size;
}
/** Renders argv for logs: each argument that needs it is single-quoted; secrets are masked. */
function formatCommand(file, args, secrets = []) {
    const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
    return maskSecrets([file, ...args].map(quote).join(' '), secrets);
}
/**
 * Runs `file` with an argument array (never a shell string: nothing is interpolated by a shell).
 * Resolves with the exit code and captured output; rejects with `ProcessError` on a non-zero exit
 * (unless `allowFailure`), on a timeout, or when the program cannot be started (ENOENT).
 */
function run(file, args, options = {}) {
    const secrets = options.secrets ?? [];
    const display = formatCommand(file, args, secrets);
    options.logger?.debug(`$ ${display}`);
    const start = performance.now();
    const endExternal = (0,external_time/* beginExternal */.lQ)();
    return new Promise((resolve, reject) => {
        const child = (0,external_node_child_process_.spawn)(file, [...args], {
            cwd: options.cwd,
            env: options.env ? { ...process.env, ...options.env } : process.env,
            stdio: ['pipe', 'pipe', 'pipe'],
        });
        liveChildren.add(child);
        const out = [];
        const err = [];
        let killedForTimeout = false;
        let timer;
        let killTimer;
        if (options.timeoutMs !== undefined) {
            timer = setTimeout(() => {
                killedForTimeout = true;
                child.kill('SIGTERM');
                killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
            }, options.timeoutMs);
        }
        const streamLines = (chunk) => {
            if (!options.logger)
                return;
            for (const line of chunk.toString('utf8').split('\n'))
                if (line.trim())
                    options.logger.info(maskSecrets(line, secrets));
        };
        child.stdout.on('data', (c) => { out.push(c); if (!options.binary)
            streamLines(c); });
        child.stderr.on('data', (c) => { err.push(c); streamLines(c); });
        child.on('error', (e) => {
            liveChildren.delete(child);
            clearTimeout(timer);
            endExternal();
            reject(new ProcessError(display, null, '', '', `could not start (${e.code ?? e.message})`));
        });
        child.on('close', (code, signal) => {
            liveChildren.delete(child);
            endExternal();
            clearTimeout(timer);
            clearTimeout(killTimer);
            const stdoutBuffer = Buffer.concat(out);
            const stdout = options.binary ? '' : maskSecrets(stdoutBuffer.toString('utf8'), secrets);
            const stderr = maskSecrets(Buffer.concat(err).toString('utf8'), secrets);
            const result = { code: code ?? -1, stdout, stderr, durationMs: Math.round(performance.now() - start) };
            if (options.binary)
                result.stdoutBuffer = stdoutBuffer;
            if (killedForTimeout)
                return reject(new ProcessError(display, code, stdout, stderr, `timed out after ${options.timeoutMs} ms`));
            if (code !== 0 && !options.allowFailure) {
                return reject(new ProcessError(display, code, stdout, stderr, signal ? `was killed by ${signal}` : `exited with code ${code}`));
            }
            resolve(result);
        });
        child.stdin.on('error', () => { });
        child.stdin.end(options.input ?? '');
    });
}
/** True when `file` can be started (`file --version` exits 0 within 10 s). */
async function isAvailable(file, versionArgs = ['--version']) {
    try {
        await run(file, versionArgs, { timeoutMs: 10_000 });
        return true;
    }
    catch {
        return false;
    }
}
/**
 * Starts `file` with an argument array in the background, stdout and stderr appended to `logFile`
 * (stdin closed). With `detached`, the child gets its own process group and is unref'd, so it keeps
 * running after this Node process exits (a shared local daemon). Rejects with `ProcessError` when the
 * program cannot be started (ENOENT). Readiness is the caller's to poll, with its own deadline.
 */
async function startBackground(file, args, options) {
    const fd = openSync(options.logFile, 'a');
    const child = spawn(file, [...args], { detached: options.detached ?? false, stdio: ['ignore', fd, fd] });
    try {
        await new Promise((resolve, reject) => {
            child.once('spawn', () => resolve());
            child.once('error', (e) => reject(new ProcessError(formatCommand(file, args), null, '', '', `could not start (${e.code ?? e.message})`)));
        });
    }
    finally {
        closeSync(fd); // the child holds its own copy of the descriptor
    }
    if (options.detached)
        child.unref();
    const exited = new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null)
            resolve();
        else
            child.once('exit', () => resolve());
    });
    const exitCode = () => child.exitCode ?? (child.signalCode ? -1 : null);
    return {
        pid: child.pid,
        exitCode,
        exited,
        async stop(graceMs = 5000) {
            if (exitCode() !== null)
                return;
            child.kill('SIGTERM');
            let timer;
            const killed = new Promise((resolve) => { timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, graceMs); });
            await Promise.race([exited, killed]);
            clearTimeout(timer);
        },
    };
}

;// CONCATENATED MODULE: ./core/src/adapters/docker.ts

/**
 * The Docker CLI. `TRUNKLINE_DOCKER` picks the binary (default `docker` on PATH). Every docker
 * call in Trunkline goes through `docker()`, so argv is always an array and credentials go on
 * stdin (`--password-stdin`).
 */
function dockerBinary() {
    return process.env.TRUNKLINE_DOCKER || 'docker';
}
/** Runs `docker <args>`; rejects with `ProcessError` on failure (see `run`). */
function docker_docker(args, options = {}) {
    return run(dockerBinary(), args, options);
}
/** True when a Docker daemon answers `docker info` within 10 s. */
async function dockerDaemonReady() {
    try {
        await docker_docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 });
        return true;
    }
    catch {
        return false;
    }
}

;// CONCATENATED MODULE: ./core/src/adapters/docker-auth.ts

/**
 * `docker login` / `docker logout` for later steps of the job (pulls, `docker run`) — Trunkline's
 * own push talks to the registry API directly. The password goes on stdin (`--password-stdin`),
 * never on argv, where `ps` on a shared runner would show it (aws-actions/amazon-ecr-login used
 * `-p` until its PR #1252); it is masked before the call so no log line can carry it.
 */
async function dockerLogin(host, credentials, log) {
    log.secret(credentials.password);
    await docker_docker(['login', '--username', credentials.username, '--password-stdin', host], {
        input: `${credentials.password}\n`,
        secrets: [credentials.password],
        timeoutMs: 60_000,
    });
    log.info(`docker logged in to ${host} as ${credentials.username}`);
}
/** `docker logout <host>`; a failure is reported as a warning (the job is over; nothing to undo). */
async function dockerLogout(host, log) {
    try {
        const r = await docker(['logout', host], { allowFailure: true, timeoutMs: 30_000 });
        if (r.code === 0)
            log.info(`docker logged out of ${host}`);
        else
            log.warning(`docker logout ${host} failed: ${r.stderr.trim() || `exit code ${r.code}`}`);
    }
    catch (error) {
        log.warning(`docker logout ${host} failed: ${error.message}`);
    }
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
;// CONCATENATED MODULE: external "node:stream/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream/promises");
// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __nccwpck_require__(8522);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __nccwpck_require__(1455);
;// CONCATENATED MODULE: ./core/src/adapters/atomic-file.ts



/**
 * Writes `content` to `path` atomically: a uniquely named temp file beside it (created with
 * `wx`, so it never reuses another writer's file), then `rename` over the target, which POSIX
 * makes atomic within a directory. Readers see the old file or the new one, never half of one;
 * on failure the temp file is removed and the target is untouched. Creates the directory.
 * `mode` applies from creation (0600 for keys: never readable by others, even briefly).
 */
async function writeFileAtomic(path, content, mode = 0o644) {
    await (0,promises_.mkdir)((0,external_node_path_.dirname)(path), { recursive: true });
    const tmp = (0,external_node_path_.join)((0,external_node_path_.dirname)(path), `.${(0,external_node_path_.basename)(path)}.trunkline-${(0,external_node_crypto_.randomUUID)()}.tmp`);
    try {
        await (0,promises_.writeFile)(tmp, content, { mode, flag: 'wx' });
        await (0,promises_.rename)(tmp, path);
    }
    catch (error) {
        await (0,promises_.unlink)(tmp).catch(() => undefined);
        throw error;
    }
}

;// CONCATENATED MODULE: ./core/src/adapters/image-archive.ts












function cacheFile(cacheDir, imageId) {
    return (0,external_node_path_.join)(cacheDir, `${imageId.replace(/^sha256:/, '')}.json`);
}
/**
 * Reads the cached descriptors of `imageId`, or `undefined` when absent or not trustworthy: the
 * cached config must hash to the image id (which is the config's own digest) and the rebuilt
 * manifest must hash to the cached digest.
 */
function readCachedExport(cacheDir, imageId) {
    try {
        const cached = JSON.parse((0,external_node_fs_.readFileSync)(cacheFile(cacheDir, imageId), 'utf8'));
        const bytes = Buffer.from(cached.config, 'base64');
        if ((0,oci_manifest/* sha256Digest */.sI)(bytes) !== imageId)
            return undefined;
        const config = { digest: imageId, size: bytes.length, bytes };
        const manifest = (0,oci_manifest/* buildImageManifest */.$l)(config, cached.layers);
        return manifest.digest === cached.manifestDigest ? { config, layers: cached.layers, manifest } : undefined;
    }
    catch {
        return undefined;
    }
}
async function writeCachedExport(cacheDir, image) {
    const entry = {
        config: image.config.bytes.toString('base64'),
        layers: image.layers.map(({ digest, size, compression }) => ({ digest, size, compression })),
        manifestDigest: image.manifest.digest,
    };
    await writeFileAtomic(cacheFile(cacheDir, image.config.digest), JSON.stringify(entry));
}
/** The daemon's id for `image` (`sha256:…`): the digest of its config. */
async function imageIdOf(image) {
    return (await docker_docker(['image', 'inspect', '--format', '{{.Id}}', image])).stdout.trim();
}
/**
 * Like `exportImage`, but when `cacheDir` holds this image id's descriptors from an earlier
 * export, returns them without `docker save` or compression; layers become files only if
 * `materialize()` is called (when the registry lacks a blob). Every export refreshes the cache.
 */
async function exportImageCached(image, log, workDir = (0,external_node_os_.tmpdir)(), cacheDir) {
    if (!cacheDir)
        return exportImage(image, log, workDir);
    const imageId = await imageIdOf(image);
    const hit = readCachedExport(cacheDir, imageId);
    if (!hit) {
        const fresh = await exportImage(imageId, log, workDir);
        await writeCachedExport(cacheDir, fresh);
        return fresh;
    }
    log.info(`export cache: ${imageId} → manifest ${hit.manifest.digest} (no docker save until a blob is missing)`);
    let full;
    const result = {
        config: hit.config,
        layers: hit.layers.map((l) => ({ ...l, file: '' })),
        manifest: hit.manifest,
        async materialize() {
            if (full)
                return;
            full = await exportImage(imageId, log, workDir);
            if (full.manifest.digest !== hit.manifest.digest) {
                full.cleanup();
                throw new Error(`re-exporting ${imageId} gave manifest ${full.manifest.digest}, not the cached and signed ${hit.manifest.digest}; delete ${cacheFile(cacheDir, imageId)} and run again`);
            }
            result.layers = full.layers;
        },
        cleanup() { full?.cleanup(); },
    };
    return result;
}
/** sha256 and size of what flows through; used while compressing so the file is read once. */
function hashing() {
    const hash = (0,external_node_crypto_.createHash)('sha256');
    let size = 0;
    const t = new external_node_stream_.Transform({
        transform(chunk, _enc, done) {
            hash.update(chunk);
            size += chunk.length;
            done(null, chunk);
        },
    });
    return Object.assign(t, { digest: () => `sha256:${hash.digest('hex')}`, size: () => size });
}
function readHead(file, n) {
    const fd = (0,external_node_fs_.openSync)(file, 'r');
    try {
        const buf = Buffer.alloc(n);
        const got = (0,external_node_fs_.readSync)(fd, buf, 0, n, 0);
        return buf.subarray(0, got);
    }
    finally {
        (0,external_node_fs_.closeSync)(fd);
    }
}
function inside(root, rel) {
    const full = (0,external_node_path_.resolve)(root, rel);
    if (!full.startsWith(root + external_node_path_.sep))
        throw new Error(`archive path escapes the archive: ${rel}`);
    return full;
}
/**
 * Exports `image` (an image id such as `sha256:…`, or a reference the daemon knows) into a temp
 * dir under `workDir` (default the OS temp dir). Throws `ProcessError` when docker or tar fail,
 * `Error` when the archive does not hold exactly one image.
 */
async function exportImage(image, log, workDir = (0,external_node_os_.tmpdir)()) {
    (0,external_node_fs_.mkdirSync)(workDir, { recursive: true });
    const dir = (0,external_node_fs_.mkdtempSync)((0,external_node_path_.join)(workDir, 'trunkline-export-'));
    const cleanup = () => (0,external_node_fs_.rmSync)(dir, { recursive: true, force: true });
    try {
        const archive = (0,external_node_path_.join)(dir, 'image.tar');
        const root = (0,external_node_path_.join)(dir, 'archive');
        (0,external_node_fs_.mkdirSync)(root);
        await docker_docker(['save', '--output', archive, image], { timeoutMs: 15 * 60_000 });
        await run('tar', ['-x', '-f', archive, '-C', root], { timeoutMs: 15 * 60_000 });
        (0,external_node_fs_.rmSync)(archive);
        const image0 = (0,external_node_fs_.existsSync)((0,external_node_path_.join)(root, 'manifest.json'))
            ? (0,oci_manifest/* parseDockerSaveManifest */.Ix)((0,external_node_fs_.readFileSync)((0,external_node_path_.join)(root, 'manifest.json'), 'utf8'))
            : (0,oci_manifest/* archiveImageFromOciLayout */.TH)((0,external_node_fs_.readFileSync)((0,external_node_path_.join)(root, 'index.json'), 'utf8'), (p) => (0,external_node_fs_.readFileSync)(inside(root, p), 'utf8'));
        const configBytes = (0,external_node_fs_.readFileSync)(inside(root, image0.configPath));
        const config = { digest: (0,oci_manifest/* sha256Digest */.sI)(configBytes), size: configBytes.length, bytes: configBytes };
        const outDir = (0,external_node_path_.join)(dir, 'layers');
        (0,external_node_fs_.mkdirSync)(outDir);
        // Layers compress in parallel: zlib runs on libuv's thread pool, one stream per layer. This is
        // the work `docker push` does itself, so it counts as external time, not stage overhead.
        const layers = await (0,external_time/* external */.qn)(() => Promise.all(image0.layers.map(async (layer, i) => {
            const file = inside(root, layer.path);
            const compression = (0,oci_manifest/* sniffCompression */.Hs)(readHead(file, 4));
            if (compression === 'none') {
                const out = (0,external_node_path_.join)(outDir, `${i}.tar.gz`);
                const h = hashing();
                await (0,promises_namespaceObject.pipeline)((0,external_node_fs_.createReadStream)(file), (0,external_node_zlib_.createGzip)({ level: 1 }), h, (0,external_node_fs_.createWriteStream)(out));
                return { file: out, digest: h.digest(), size: h.size(), compression: 'gzip' };
            }
            const hash = (0,external_node_crypto_.createHash)('sha256');
            for await (const chunk of (0,external_node_fs_.createReadStream)(file))
                hash.update(chunk);
            return { file, digest: `sha256:${hash.digest('hex')}`, size: (0,external_node_fs_.statSync)(file).size, compression };
        })));
        const manifest = (0,oci_manifest/* buildImageManifest */.$l)(config, layers);
        log.info(`exported ${image}: config ${config.digest}, ${layers.length} layer(s), ${Math.round(layers.reduce((n, l) => n + l.size, 0) / 1e5) / 10} MB compressed; manifest ${manifest.digest}`);
        return { config, layers, manifest, materialize: async () => { }, cleanup };
    }
    catch (error) {
        cleanup();
        throw error;
    }
}

// EXTERNAL MODULE: ./core/src/adapters/registry.ts
var registry = __nccwpck_require__(8259);
// EXTERNAL MODULE: ./core/src/report/render.ts
var render = __nccwpck_require__(1946);
// EXTERNAL MODULE: ./core/src/report/result.ts
var report_result = __nccwpck_require__(5183);
// EXTERNAL MODULE: ./core/src/stages/registry-connection.ts
var registry_connection = __nccwpck_require__(6555);
// EXTERNAL MODULE: ./core/src/stages/stored-signature.ts
var stored_signature = __nccwpck_require__(3589);
;// CONCATENATED MODULE: ./core/src/stages/sign.ts
















/** Refuses privileged events unless opted in; the message names the input to set. */
function trustGuard(eventName, allowed, what) {
    assertEventAllowed(eventName, allowed, what);
}
function failed(run, error) {
    return { status: 'failed', outputs: run.outputs, notes: run.notes, error, findings: [{ id: 'signature-gate', message: error, location: run.outputs['image-ref'] || run.cfg.repository }] };
}
function passed(run) {
    return { status: 'passed', outputs: run.outputs, notes: run.notes, findings: [] };
}
/**
 * Signs the built image's manifest digest, verifies the signature, and pushes the image and its
 * tags only when verification passes (see the module comment for the order). Returns a
 * `StageResult` named `sign`: `passed` with outputs, or `failed` with `error` saying what was and
 * was not pushed — bad config (an `InputError` naming the input) included; it never throws.
 */
async function runSignAndPush(cfg, log) {
    const run = { cfg, log, notes: [], dockerReference: '', outputs: { digest: '', 'image-ref': '', 'signature-ref': '', 'public-key': '', 'pushed-tags': [] } };
    const result = await (0,report_result/* runStage */.Si)('sign', () => signAndPush(run), {
        failedOutputs: () => run.outputs,
        onError: (r) => { r.notes = run.notes; },
    });
    result.summaryMarkdown = signMarkdown(result);
    return result;
}
async function signAndPush(run) {
    const { cfg, log, notes, outputs } = run;
    // Inputs first: nothing below may run on bad config.
    if (!cfg.image)
        throw new errors/* InputError */.d('image', 'is required: the local image id or reference that was built');
    const ref = (0,image_ref/* parseRepositoryRef */.rH)(cfg.repository, 'repository');
    if (!ref.registry && cfg.push !== false)
        throw new errors/* InputError */.d('repository', `must include the registry host, e.g. 127.0.0.1:5000/${ref.repository} or <account>.dkr.ecr.<region>.amazonaws.com/${ref.repository}`);
    if (!cfg.registryAuth)
        (0,registry_connection/* refuseEcrPublic */.Qh)(ref, 'repository');
    const tags = [...new Set(cfg.tags.map((t) => (0,image_ref/* validateTag */.z7)(t, 'tags')))];
    if (!cfg.signatureFile)
        throw new errors/* InputError */.d('signature-file', 'is required');
    const dockerReference = (0,image_ref/* imageName */.tO)(ref);
    run.dockerReference = dockerReference;
    try {
        trustGuard(cfg.eventName, cfg.allowUntrustedEvent, 'sign and push');
    }
    catch (error) {
        return failed(run, error.message);
    }
    let privateKey;
    if (cfg.privateKey) {
        privateKey = (0,domain_signature/* loadPrivateKey */.PM)(cfg.privateKey, cfg.passphrase);
    }
    else {
        privateKey = (0,domain_signature/* generateKeyPair */.TZ)().privateKey;
        log.warning('No private-key given: signed with an ephemeral key pair. The signature proves nothing to anyone who did not get this run\'s public-key output; configure a key for releases.');
        notes.push('Signed with an ephemeral key pair (no private-key configured).');
    }
    const verifyKey = cfg.publicKey ? (0,domain_signature/* loadPublicKey */.fg)(cfg.publicKey) : (0,domain_signature/* loadPublicKey */.fg)((0,domain_signature/* publicKeyPem */.rY)(privateKey));
    outputs['public-key'] = (0,domain_signature/* publicKeyPem */.rY)(verifyKey);
    let exported;
    try {
        exported = await log.group(`export ${cfg.image}`, () => exportImageCached(cfg.image, log, cfg.workDir, cfg.exportCacheDir));
        const digest = exported.manifest.digest;
        outputs.digest = digest;
        outputs['image-ref'] = `${dockerReference}@${digest}`;
        // Sign, write, read back, verify with the configured key: the gate before any push.
        const payload = (0,domain_signature/* buildPayload */.nI)(dockerReference, digest, { ...cfg.annotations, ...(tags.length ? { tags: tags.join(',') } : {}) });
        const signature = (0,domain_signature/* signPayload */.cM)(payload, privateKey);
        await writeFileAtomic(cfg.signatureFile, `${JSON.stringify((0,domain_signature/* signatureRecord */.Sy)(payload, signature, privateKey), null, 2)}\n`);
        const record = (0,domain_signature/* parseSignatureRecord */.l1)((0,external_node_fs_.readFileSync)(cfg.signatureFile, 'utf8'));
        const verdict = (0,domain_signature/* verifySignature */.Od)(record.payloadBytes, record.signatureBytes, verifyKey, { digest, dockerReference });
        if (!verdict.ok) {
            return failed(run, `signature over ${digest} does not verify with the configured public key ${(0,domain_signature/* keyId */.xs)(verifyKey)} (${verdict.reason}). Nothing was pushed.`);
        }
        log.info(`signed ${outputs['image-ref']} with key ${(0,domain_signature/* keyId */.xs)(privateKey)}; verified with ${(0,domain_signature/* keyId */.xs)(verifyKey)} (key-based, not recorded in a transparency log)`);
        notes.push(`Signature over ${digest} verified with ${(0,domain_signature/* keyId */.xs)(verifyKey)} before any push; record written to ${cfg.signatureFile}.`);
        if (cfg.push === false) {
            notes.push('push: false — nothing was sent to a registry.');
            return passed(run);
        }
        let conn;
        try {
            conn = await (0,registry_connection/* connectRegistry */.gm)(ref, cfg, log, true, notes);
            const pushedOk = await pushImage(run, conn, exported, tags);
            if (pushedOk !== true)
                return failed(run, pushedOk);
            const signed = { payloadDigest: (0,oci_manifest/* sha256Digest */.sI)(payload), payloadSize: payload.length, signature: signature.toString('base64') };
            const stored = await storeSignature(run, conn, payload, signed, verifyKey);
            if (stored !== true)
                return failed(run, stored);
            outputs['signature-ref'] = `${(0,image_ref/* imageName */.tO)(ref)}:${(0,oci_manifest/* signatureTag */.bG)(digest)}`;
            // Re-verify what the registry now serves, from the registry's bytes.
            for (const tag of outputs['pushed-tags']) {
                const served = await conn.client.getManifest(tag);
                if (served?.digest !== digest)
                    return failed(run, `after the push, ${dockerReference}:${tag} serves ${served?.digest ?? 'nothing'}, not the signed ${digest}`);
            }
            const check = await (0,stored_signature/* verifyStoredSignature */.f)(conn.client, digest, verifyKey, dockerReference);
            if (!check.ok)
                return failed(run, `the signature the registry serves for ${digest} does not verify: ${check.reasons.join('; ')}`);
            notes.push(`Re-verified from the registry: ${outputs['pushed-tags'].length} tag(s) serve ${digest}; ${outputs['signature-ref']} verifies.`);
            // Only now, with credentials the registry accepted, log docker in for later steps of the job.
            const accepted = conn.current();
            if (cfg.dockerLogin && accepted)
                await dockerLogin(ref.registry, accepted, log);
            return passed(run);
        }
        catch (error) {
            throw (0,registry_connection/* explainRegistryError */.zW)(error, conn?.ecr ?? false);
        }
    }
    catch (error) {
        if (error instanceof errors/* InputError */.d)
            throw error;
        const pushed = outputs['pushed-tags'].length ? `Tags already written: ${outputs['pushed-tags'].join(', ')}.` : 'No tag was written.';
        return failed(run, `${error.message} ${pushed}`);
    }
    finally {
        exported?.cleanup();
    }
}
/**
 * Uploads the image (blobs the registry lacks, the manifest by digest) and points every tag at it.
 * Every tag is decided before any is written, so a refusal leaves the registry as it was. Returns
 * true, or the refusal sentence; registry errors propagate.
 */
async function pushImage(run, conn, exported, tags) {
    const { log, notes, outputs } = run;
    const { client, mutability } = conn;
    const digest = outputs.digest;
    const dockerReference = run.dockerReference;
    const existing = new Map();
    for (const tag of tags) {
        const d = await client.resolve(tag);
        if (d)
            existing.set(tag, d);
    }
    const plan = (0,push_plan/* planTags */.Vd)(tags, digest, existing, mutability);
    if (plan.conflicts.length)
        return (0,push_plan/* describeConflicts */.lP)(dockerReference, digest, plan.conflicts);
    await log.group(`push ${outputs['image-ref']}`, async () => {
        let sent = 0;
        if (await client.pushBlob(exported.config.digest, exported.config.size, () => exported.config.bytes))
            sent++;
        const present = await Promise.all(exported.layers.map((layer) => client.blobExists(layer.digest)));
        if (present.includes(false))
            await exported.materialize();
        for (const [i, layer] of exported.layers.entries()) {
            if (present[i])
                continue;
            await client.uploadBlob(layer.digest, layer.size, () => external_node_stream_.Readable.toWeb((0,external_node_fs_.createReadStream)(layer.file)));
            sent++;
        }
        const stored = await client.putManifest(digest, exported.manifest.bytes, exported.manifest.mediaType);
        if (stored !== digest)
            throw new Error(`registry stored ${stored}, not the signed ${digest}`);
        log.info(`pushed manifest ${digest} by digest (${sent} blob(s) uploaded, ${exported.layers.length + 1 - sent} already present)`);
    });
    for (const tag of plan.put) {
        try {
            await client.putManifest(tag, exported.manifest.bytes, exported.manifest.mediaType);
        }
        catch (error) {
            // ECR answers an immutable-tag clash (e.g. a parallel run) with TAG_INVALID: look again.
            const now = error instanceof registry/* RegistryError */.gl && error.status < 500 ? await client.resolve(tag) : undefined;
            if (now === digest) {
                plan.unchanged.push(tag);
                continue;
            }
            if (now) {
                return `tag ${dockerReference}:${tag} is immutable and now points at ${now}, not at the signed ${digest} (written by another run meanwhile). Tags written before it: ${outputs['pushed-tags'].join(', ') || 'none'}.`;
            }
            throw error;
        }
        outputs['pushed-tags'].push(tag);
    }
    for (const m of plan.moved)
        notes.push(`Moved mutable tag ${m.tag} from ${m.from}.`);
    if (plan.unchanged.length)
        notes.push(`Already pointing at ${digest} (no-op): ${plan.unchanged.join(', ')}.`);
    outputs['pushed-tags'] = [...outputs['pushed-tags'], ...plan.unchanged].sort((a, b) => tags.indexOf(a) - tags.indexOf(b));
    return true;
}
/**
 * Stores `signed` in cosign's layout next to the image. A re-run that signed the same payload
 * with the same key finds its equivalent already there and keeps the set as it is (the `.sig`
 * manifest does not grow); otherwise the signature is appended, as cosign does. Returns true, or
 * the refusal sentence for an immutable `.sig` tag that cannot take it.
 */
async function storeSignature(run, conn, payload, signed, verifyKey) {
    const { log, notes, outputs } = run;
    const { client, mutability } = conn;
    const digest = outputs.digest;
    const dockerReference = run.dockerReference;
    const sigTag = (0,oci_manifest/* signatureTag */.bG)(digest);
    const previous = await client.getManifest(sigTag);
    const existing = previous ? (0,oci_manifest/* parseSignatureManifest */.XY)(previous.bytes) : [];
    const sameKey = (layer) => (0,domain_signature/* verifySignature */.Od)(payload, Buffer.from(layer.signature, 'base64'), verifyKey, { digest, dockerReference }).ok;
    if ((0,oci_manifest/* findEquivalentSignature */.Yf)(existing, signed, sameKey)) {
        notes.push(`${sigTag} already holds a signature over the same payload by ${(0,domain_signature/* keyId */.xs)(verifyKey)}: kept the ${existing.length} signature(s) as they are.`);
        return true;
    }
    if (previous && (0,push_plan/* isTagImmutable */.j1)(sigTag, mutability)) {
        const already = await (0,stored_signature/* verifyStoredSignature */.f)(client, digest, verifyKey, dockerReference);
        if (!already.ok) {
            return `tag ${sigTag} exists and is immutable, so the signature cannot be added (${already.reasons.join('; ')}). Add the tag-mutability exclusion filter sha256-*.sig to the repository.`;
        }
        notes.push(`Kept the existing signature manifest ${sigTag} (immutable; it already holds a signature that verifies).`);
        return true;
    }
    const manifest = (0,oci_manifest/* buildSignatureManifest */._J)([...existing, signed]);
    await client.pushBlob(signed.payloadDigest, signed.payloadSize, () => payload);
    await client.pushBlob((0,oci_manifest/* sha256Digest */.sI)(manifest.config), manifest.config.length, () => manifest.config);
    await client.putManifest(sigTag, manifest.bytes, manifest.mediaType);
    log.info(`stored signature as ${dockerReference}:${sigTag} (${existing.length + 1} signature(s))`);
    return true;
}
/** The sign job summary: the common header, an outputs table, and the public key to verify with. */
function signMarkdown(result) {
    const o = result.outputs;
    const rows = [['Output', 'Value']];
    if (o.digest)
        rows.push(['digest', `\`${o.digest}\``]);
    if (o['image-ref'])
        rows.push(['image-ref', `\`${o['image-ref']}\``]);
    if (o['signature-ref'])
        rows.push(['signature-ref', `\`${o['signature-ref']}\``]);
    rows.push(['pushed-tags', o['pushed-tags'].join(', ') || '—']);
    return (0,render/* stageMarkdown */.cV)(result, [
        { body: (0,render/* markdownTable */.Qj)(rows) },
        { heading: 'Public key (verify with cosign verify --key)', body: o['public-key'] ? `\`\`\`\n${o['public-key'].trim()}\n\`\`\`` : '', collapsed: true },
    ]);
}


/***/ }),

/***/ 3589:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   f: () => (/* binding */ verifyStoredSignature)
/* harmony export */ });
/* harmony import */ var _domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3025);
/* harmony import */ var _domain_signature_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3464);


/**
 * Checks the signatures a registry stores for `digest` in cosign's layout (tag `sha256-<hex>.sig`,
 * one payload layer per signature). Returns `ok` when some layer's payload verifies with
 * `publicKey` for `digest`, `dockerReference` and `annotations`; otherwise every reason.
 * Registry errors propagate.
 */
async function verifyStoredSignature(client, digest, publicKey, dockerReference, annotations) {
    const sig = await client.getManifest((0,_domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__/* .signatureTag */ .bG)(digest));
    if (!sig)
        return { ok: false, reasons: [`no signature manifest under tag ${(0,_domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__/* .signatureTag */ .bG)(digest)}`] };
    const reasons = [];
    for (const layer of (0,_domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_0__/* .parseSignatureManifest */ .XY)(sig.bytes)) {
        const payload = await client.getBlob(layer.payloadDigest);
        const verdict = (0,_domain_signature_js__WEBPACK_IMPORTED_MODULE_1__/* .verifySignature */ .Od)(payload, Buffer.from(layer.signature, 'base64'), publicKey, { digest, dockerReference, annotations });
        if (verdict.ok)
            return { ok: true, reasons: [] };
        reasons.push(verdict.reason);
    }
    return { ok: false, reasons: reasons.length ? reasons : ['the signature manifest holds no cosign signature layer'] };
}


/***/ }),

/***/ 2316:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   R: () => (/* binding */ runVerify)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _domain_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3603);
/* harmony import */ var _domain_image_ref_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(4263);
/* harmony import */ var _domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(3025);
/* harmony import */ var _domain_signature_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(3464);
/* harmony import */ var _report_render_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(1946);
/* harmony import */ var _report_result_js__WEBPACK_IMPORTED_MODULE_8__ = __nccwpck_require__(5183);
/* harmony import */ var _registry_connection_js__WEBPACK_IMPORTED_MODULE_6__ = __nccwpck_require__(6555);
/* harmony import */ var _stored_signature_js__WEBPACK_IMPORTED_MODULE_7__ = __nccwpck_require__(3589);









/**
 * Verify mode: checks a signature file and/or the registry's stored signature (cosign layout,
 * `sha256-<hex>.sig`) against a trusted public key and a digest. Returns a `StageResult` named
 * `verify`: `passed` only when every given source verifies; `failed` with the reason otherwise,
 * bad config (an `InputError` naming the input) included — it never throws.
 */
async function runVerify(cfg, log) {
    const notes = [];
    const outputs = { digest: '', 'image-ref': '', 'signature-ref': '', 'public-key': '' };
    const failed = (error) => ({
        status: 'failed', outputs, notes, error, findings: [{ id: 'signature-verify', message: error, location: outputs['image-ref'] || cfg.signatureFile }],
    });
    const result = await (0,_report_result_js__WEBPACK_IMPORTED_MODULE_8__/* .runStage */ .Si)('verify', async () => {
        const pub = (0,_domain_signature_js__WEBPACK_IMPORTED_MODULE_4__/* .loadPublicKey */ .fg)(cfg.publicKey ?? '', 'public-key');
        outputs['public-key'] = (0,_domain_signature_js__WEBPACK_IMPORTED_MODULE_4__/* .publicKeyPem */ .rY)(pub);
        if (!cfg.signatureFile && !cfg.imageRef)
            throw new _domain_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d('signature-file', 'or "image-ref" is required in verify mode');
        if (cfg.digest)
            (0,_domain_image_ref_js__WEBPACK_IMPORTED_MODULE_2__/* .validateDigest */ .n2)(cfg.digest, 'digest');
        const ref = cfg.imageRef ? (0,_domain_image_ref_js__WEBPACK_IMPORTED_MODULE_2__/* .parseImageRef */ .Q)(cfg.imageRef, 'image-ref') : undefined;
        if (ref && !ref.registry)
            throw new _domain_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d('image-ref', 'must include the registry host');
        if (ref && !cfg.registryAuth)
            (0,_registry_connection_js__WEBPACK_IMPORTED_MODULE_6__/* .refuseEcrPublic */ .Qh)(ref, 'image-ref');
        if (ref?.digest && cfg.digest && ref.digest !== cfg.digest)
            throw new _domain_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d('digest', `(${cfg.digest}) differs from the digest in "image-ref" (${ref.digest})`);
        let digest = cfg.digest ?? ref?.digest;
        if (!digest && !ref)
            throw new _domain_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d('digest', 'is required to verify a signature file: a signature only means something for the digest you deploy');
        const keyText = (0,_domain_signature_js__WEBPACK_IMPORTED_MODULE_4__/* .keyId */ .xs)(pub);
        let conn;
        if (ref) {
            conn = await (0,_registry_connection_js__WEBPACK_IMPORTED_MODULE_6__/* .connectRegistry */ .gm)(ref, cfg, log, false, notes);
            if (!digest) {
                digest = await conn.client.resolve(ref.tag ?? 'latest');
                if (!digest)
                    return failed(`${(0,_domain_image_ref_js__WEBPACK_IMPORTED_MODULE_2__/* .imageName */ .tO)(ref)}:${ref.tag ?? 'latest'} does not exist in the registry`);
                notes.push(`Resolved ${(0,_domain_image_ref_js__WEBPACK_IMPORTED_MODULE_2__/* .imageName */ .tO)(ref)}:${ref.tag ?? 'latest'} to ${digest}.`);
            }
        }
        outputs.digest = digest;
        const expectRef = cfg.dockerReference ?? (ref ? (0,_domain_image_ref_js__WEBPACK_IMPORTED_MODULE_2__/* .imageName */ .tO)(ref) : undefined);
        outputs['image-ref'] = expectRef ? `${expectRef}@${digest}` : digest;
        if (cfg.signatureFile) {
            const record = (0,_domain_signature_js__WEBPACK_IMPORTED_MODULE_4__/* .parseSignatureRecord */ .l1)((0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(cfg.signatureFile, 'utf8'));
            const v = (0,_domain_signature_js__WEBPACK_IMPORTED_MODULE_4__/* .verifySignature */ .Od)(record.payloadBytes, record.signatureBytes, pub, { digest: digest, dockerReference: expectRef, annotations: cfg.annotations });
            if (!v.ok)
                return failed(`${cfg.signatureFile}: ${v.reason}`);
            notes.push(`${cfg.signatureFile} verifies for ${digest} with ${keyText}.`);
        }
        if (conn && ref) {
            const stored = await (0,_stored_signature_js__WEBPACK_IMPORTED_MODULE_7__/* .verifyStoredSignature */ .f)(conn.client, digest, pub, (0,_domain_image_ref_js__WEBPACK_IMPORTED_MODULE_2__/* .imageName */ .tO)(ref), cfg.annotations);
            outputs['signature-ref'] = `${(0,_domain_image_ref_js__WEBPACK_IMPORTED_MODULE_2__/* .imageName */ .tO)(ref)}:${(0,_domain_oci_manifest_js__WEBPACK_IMPORTED_MODULE_3__/* .signatureTag */ .bG)(digest)}`;
            if (!stored.ok)
                return failed(`registry signature ${outputs['signature-ref']}: ${stored.reasons.join('; ')}`);
            notes.push(`${outputs['signature-ref']} verifies for ${digest} with ${keyText}.`);
        }
        log.info(`verified ${outputs['image-ref']} with ${keyText}`);
        return { status: 'passed', outputs, notes, findings: [] };
    }, { failedOutputs: () => outputs, onError: (r) => { r.notes = notes; } });
    const rows = [['Output', 'Value'], ...['digest', 'image-ref', 'signature-ref'].filter((k) => outputs[k]).map((k) => [k, `\`${outputs[k]}\``])];
    result.summaryMarkdown = (0,_report_render_js__WEBPACK_IMPORTED_MODULE_5__/* .stageMarkdown */ .cV)(result, [{ body: rows.length > 1 ? (0,_report_render_js__WEBPACK_IMPORTED_MODULE_5__/* .markdownTable */ .Qj)(rows) : '' }]);
    return result;
}


/***/ }),

/***/ 6698:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");

/***/ }),

/***/ 1421:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 3024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 1455:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");

/***/ }),

/***/ 7067:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 2467:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http2");

/***/ }),

/***/ 4708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 6760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 1708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:process");

/***/ }),

/***/ 7075:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");

/***/ }),

/***/ 7975:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 473:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  Yz: () => (/* binding */ core_debug),
  z3: () => (/* binding */ error),
  Os: () => (/* binding */ group),
  pq: () => (/* binding */ info),
  lm: () => (/* binding */ notice),
  LZ: () => (/* binding */ saveState),
  C1: () => (/* binding */ setFailed),
  uH: () => (/* binding */ setOutput),
  Pq: () => (/* binding */ core_setSecret),
  z: () => (/* reexport */ summary),
  $e: () => (/* binding */ warning)
});

// UNUSED EXPORTS: ExitCode, addPath, endGroup, exportVariable, getBooleanInput, getIDToken, getInput, getMultilineInput, getState, isDebug, markdownSummary, platform, setCommandEcho, startGroup, toPlatformPath, toPosixPath, toWin32Path

;// CONCATENATED MODULE: external "os"
const external_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/utils.js
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Sanitizes an input into a string so it can be passed into issueCommand safely
 * @param input input to sanitize into a string
 */
function utils_toCommandValue(input) {
    if (input === null || input === undefined) {
        return '';
    }
    else if (typeof input === 'string' || input instanceof String) {
        return input;
    }
    return JSON.stringify(input);
}
/**
 *
 * @param annotationProperties
 * @returns The command properties to send with the actual annotation command
 * See IssueCommandProperties: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs#L646
 */
function toCommandProperties(annotationProperties) {
    if (!Object.keys(annotationProperties).length) {
        return {};
    }
    return {
        title: annotationProperties.title,
        file: annotationProperties.file,
        line: annotationProperties.startLine,
        endLine: annotationProperties.endLine,
        col: annotationProperties.startColumn,
        endColumn: annotationProperties.endColumn
    };
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/command.js


/**
 * Issues a command to the GitHub Actions runner
 *
 * @param command - The command name to issue
 * @param properties - Additional properties for the command (key-value pairs)
 * @param message - The message to include with the command
 * @remarks
 * This function outputs a specially formatted string to stdout that the Actions
 * runner interprets as a command. These commands can control workflow behavior,
 * set outputs, create annotations, mask values, and more.
 *
 * Command Format:
 *   ::name key=value,key=value::message
 *
 * @example
 * ```typescript
 * // Issue a warning annotation
 * issueCommand('warning', {}, 'This is a warning message');
 * // Output: ::warning::This is a warning message
 *
 * // Set an environment variable
 * issueCommand('set-env', { name: 'MY_VAR' }, 'some value');
 * // Output: ::set-env name=MY_VAR::some value
 *
 * // Add a secret mask
 * issueCommand('add-mask', {}, 'secretValue123');
 * // Output: ::add-mask::secretValue123
 * ```
 *
 * @internal
 * This is an internal utility function that powers the public API functions
 * such as setSecret, warning, error, and exportVariable.
 */
function command_issueCommand(command, properties, message) {
    const cmd = new Command(command, properties, message);
    process.stdout.write(cmd.toString() + external_os_namespaceObject.EOL);
}
function command_issue(name, message = '') {
    command_issueCommand(name, {}, message);
}
const CMD_STRING = '::';
class Command {
    constructor(command, properties, message) {
        if (!command) {
            command = 'missing.command';
        }
        this.command = command;
        this.properties = properties;
        this.message = message;
    }
    toString() {
        let cmdStr = CMD_STRING + this.command;
        if (this.properties && Object.keys(this.properties).length > 0) {
            cmdStr += ' ';
            let first = true;
            for (const key in this.properties) {
                if (this.properties.hasOwnProperty(key)) {
                    const val = this.properties[key];
                    if (val) {
                        if (first) {
                            first = false;
                        }
                        else {
                            cmdStr += ',';
                        }
                        cmdStr += `${key}=${escapeProperty(val)}`;
                    }
                }
            }
        }
        cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
        return cmdStr;
    }
}
function escapeData(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map
;// CONCATENATED MODULE: external "crypto"
const external_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");
;// CONCATENATED MODULE: external "fs"
const external_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/file-command.js
// For internal use, subject to change.
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */




function file_command_issueFileCommand(command, message) {
    const filePath = process.env[`GITHUB_${command}`];
    if (!filePath) {
        throw new Error(`Unable to find environment variable for file command ${command}`);
    }
    if (!external_fs_namespaceObject.existsSync(filePath)) {
        throw new Error(`Missing file at path: ${filePath}`);
    }
    external_fs_namespaceObject.appendFileSync(filePath, `${utils_toCommandValue(message)}${external_os_namespaceObject.EOL}`, {
        encoding: 'utf8'
    });
}
function file_command_prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${external_crypto_namespaceObject.randomUUID()}`;
    const convertedValue = utils_toCommandValue(value);
    // These should realistically never happen, but just in case someone finds a
    // way to exploit uuid generation let's not allow keys or values that contain
    // the delimiter.
    if (key.includes(delimiter)) {
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    }
    if (convertedValue.includes(delimiter)) {
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    }
    return `${key}<<${delimiter}${external_os_namespaceObject.EOL}${convertedValue}${external_os_namespaceObject.EOL}${delimiter}`;
}
//# sourceMappingURL=file-command.js.map
;// CONCATENATED MODULE: external "path"
const external_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");
;// CONCATENATED MODULE: ./node_modules/@actions/http-client/lib/auth.js
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
class BasicCredentialHandler {
    constructor(username, password) {
        this.username = username;
        this.password = password;
    }
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
class auth_BearerCredentialHandler {
    constructor(token) {
        this.token = token;
    }
    // currently implements pre-authorization
    // TODO: support preAuth = false where it hooks on 401
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Bearer ${this.token}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
class PersonalAccessTokenCredentialHandler {
    constructor(token) {
        this.token = token;
    }
    // currently implements pre-authorization
    // TODO: support preAuth = false where it hooks on 401
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Basic ${Buffer.from(`PAT:${this.token}`).toString('base64')}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
//# sourceMappingURL=auth.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/oidc-utils.js
var oidc_utils_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};



class oidc_utils_OidcClient {
    static createHttpClient(allowRetry = true, maxRetry = 10) {
        const requestOptions = {
            allowRetries: allowRetry,
            maxRetries: maxRetry
        };
        return new HttpClient('actions/oidc-client', [new BearerCredentialHandler(oidc_utils_OidcClient.getRequestToken())], requestOptions);
    }
    static getRequestToken() {
        const token = process.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
        if (!token) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_TOKEN env variable');
        }
        return token;
    }
    static getIDTokenUrl() {
        const runtimeUrl = process.env['ACTIONS_ID_TOKEN_REQUEST_URL'];
        if (!runtimeUrl) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
        }
        return runtimeUrl;
    }
    static getCall(id_token_url) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            var _a;
            const httpclient = oidc_utils_OidcClient.createHttpClient();
            const res = yield httpclient
                .getJson(id_token_url)
                .catch(error => {
                throw new Error(`Failed to get ID Token. \n 
        Error Code : ${error.statusCode}\n 
        Error Message: ${error.message}`);
            });
            const id_token = (_a = res.result) === null || _a === void 0 ? void 0 : _a.value;
            if (!id_token) {
                throw new Error('Response json body do not have ID Token field');
            }
            return id_token;
        });
    }
    static getIDToken(audience) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            try {
                // New ID Token is requested from action service
                let id_token_url = oidc_utils_OidcClient.getIDTokenUrl();
                if (audience) {
                    const encodedAudience = encodeURIComponent(audience);
                    id_token_url = `${id_token_url}&audience=${encodedAudience}`;
                }
                debug(`ID token url is ${id_token_url}`);
                const id_token = yield oidc_utils_OidcClient.getCall(id_token_url);
                setSecret(id_token);
                return id_token;
            }
            catch (error) {
                throw new Error(`Error message: ${error.message}`);
            }
        });
    }
}
//# sourceMappingURL=oidc-utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/summary.js
var summary_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { access, appendFile, writeFile } = external_fs_namespaceObject.promises;
const SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';
const SUMMARY_DOCS_URL = 'https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary';
class Summary {
    constructor() {
        this._buffer = '';
    }
    /**
     * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
     * Also checks r/w permissions.
     *
     * @returns step summary file path
     */
    filePath() {
        return summary_awaiter(this, void 0, void 0, function* () {
            if (this._filePath) {
                return this._filePath;
            }
            const pathFromEnv = process.env[SUMMARY_ENV_VAR];
            if (!pathFromEnv) {
                throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
            }
            try {
                yield access(pathFromEnv, external_fs_namespaceObject.constants.R_OK | external_fs_namespaceObject.constants.W_OK);
            }
            catch (_a) {
                throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
            }
            this._filePath = pathFromEnv;
            return this._filePath;
        });
    }
    /**
     * Wraps content in an HTML tag, adding any HTML attributes
     *
     * @param {string} tag HTML tag to wrap
     * @param {string | null} content content within the tag
     * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
     *
     * @returns {string} content wrapped in HTML element
     */
    wrap(tag, content, attrs = {}) {
        const htmlAttrs = Object.entries(attrs)
            .map(([key, value]) => ` ${key}="${value}"`)
            .join('');
        if (!content) {
            return `<${tag}${htmlAttrs}>`;
        }
        return `<${tag}${htmlAttrs}>${content}</${tag}>`;
    }
    /**
     * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
     *
     * @param {SummaryWriteOptions} [options] (optional) options for write operation
     *
     * @returns {Promise<Summary>} summary instance
     */
    write(options) {
        return summary_awaiter(this, void 0, void 0, function* () {
            const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
            const filePath = yield this.filePath();
            const writeFunc = overwrite ? writeFile : appendFile;
            yield writeFunc(filePath, this._buffer, { encoding: 'utf8' });
            return this.emptyBuffer();
        });
    }
    /**
     * Clears the summary buffer and wipes the summary file
     *
     * @returns {Summary} summary instance
     */
    clear() {
        return summary_awaiter(this, void 0, void 0, function* () {
            return this.emptyBuffer().write({ overwrite: true });
        });
    }
    /**
     * Returns the current summary buffer as a string
     *
     * @returns {string} string of summary buffer
     */
    stringify() {
        return this._buffer;
    }
    /**
     * If the summary buffer is empty
     *
     * @returns {boolen} true if the buffer is empty
     */
    isEmptyBuffer() {
        return this._buffer.length === 0;
    }
    /**
     * Resets the summary buffer without writing to summary file
     *
     * @returns {Summary} summary instance
     */
    emptyBuffer() {
        this._buffer = '';
        return this;
    }
    /**
     * Adds raw text to the summary buffer
     *
     * @param {string} text content to add
     * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
     *
     * @returns {Summary} summary instance
     */
    addRaw(text, addEOL = false) {
        this._buffer += text;
        return addEOL ? this.addEOL() : this;
    }
    /**
     * Adds the operating system-specific end-of-line marker to the buffer
     *
     * @returns {Summary} summary instance
     */
    addEOL() {
        return this.addRaw(external_os_namespaceObject.EOL);
    }
    /**
     * Adds an HTML codeblock to the summary buffer
     *
     * @param {string} code content to render within fenced code block
     * @param {string} lang (optional) language to syntax highlight code
     *
     * @returns {Summary} summary instance
     */
    addCodeBlock(code, lang) {
        const attrs = Object.assign({}, (lang && { lang }));
        const element = this.wrap('pre', this.wrap('code', code), attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML list to the summary buffer
     *
     * @param {string[]} items list of items to render
     * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
     *
     * @returns {Summary} summary instance
     */
    addList(items, ordered = false) {
        const tag = ordered ? 'ol' : 'ul';
        const listItems = items.map(item => this.wrap('li', item)).join('');
        const element = this.wrap(tag, listItems);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML table to the summary buffer
     *
     * @param {SummaryTableCell[]} rows table rows
     *
     * @returns {Summary} summary instance
     */
    addTable(rows) {
        const tableBody = rows
            .map(row => {
            const cells = row
                .map(cell => {
                if (typeof cell === 'string') {
                    return this.wrap('td', cell);
                }
                const { header, data, colspan, rowspan } = cell;
                const tag = header ? 'th' : 'td';
                const attrs = Object.assign(Object.assign({}, (colspan && { colspan })), (rowspan && { rowspan }));
                return this.wrap(tag, data, attrs);
            })
                .join('');
            return this.wrap('tr', cells);
        })
            .join('');
        const element = this.wrap('table', tableBody);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds a collapsable HTML details element to the summary buffer
     *
     * @param {string} label text for the closed state
     * @param {string} content collapsable content
     *
     * @returns {Summary} summary instance
     */
    addDetails(label, content) {
        const element = this.wrap('details', this.wrap('summary', label) + content);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML image tag to the summary buffer
     *
     * @param {string} src path to the image you to embed
     * @param {string} alt text description of the image
     * @param {SummaryImageOptions} options (optional) addition image attributes
     *
     * @returns {Summary} summary instance
     */
    addImage(src, alt, options) {
        const { width, height } = options || {};
        const attrs = Object.assign(Object.assign({}, (width && { width })), (height && { height }));
        const element = this.wrap('img', null, Object.assign({ src, alt }, attrs));
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML section heading element
     *
     * @param {string} text heading text
     * @param {number | string} [level=1] (optional) the heading level, default: 1
     *
     * @returns {Summary} summary instance
     */
    addHeading(text, level) {
        const tag = `h${level}`;
        const allowedTag = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].includes(tag)
            ? tag
            : 'h1';
        const element = this.wrap(allowedTag, text);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML thematic break (<hr>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addSeparator() {
        const element = this.wrap('hr', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML line break (<br>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addBreak() {
        const element = this.wrap('br', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML blockquote to the summary buffer
     *
     * @param {string} text quote text
     * @param {string} cite (optional) citation url
     *
     * @returns {Summary} summary instance
     */
    addQuote(text, cite) {
        const attrs = Object.assign({}, (cite && { cite }));
        const element = this.wrap('blockquote', text, attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML anchor tag to the summary buffer
     *
     * @param {string} text link text/content
     * @param {string} href hyperlink
     *
     * @returns {Summary} summary instance
     */
    addLink(text, href) {
        const element = this.wrap('a', text, { href });
        return this.addRaw(element).addEOL();
    }
}
const _summary = new Summary();
/**
 * @deprecated use `core.summary`
 */
const markdownSummary = (/* unused pure expression or super */ null && (_summary));
const summary = _summary;
//# sourceMappingURL=summary.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/path-utils.js

/**
 * toPosixPath converts the given path to the posix form. On Windows, \\ will be
 * replaced with /.
 *
 * @param pth. Path to transform.
 * @return string Posix path.
 */
function toPosixPath(pth) {
    return pth.replace(/[\\]/g, '/');
}
/**
 * toWin32Path converts the given path to the win32 form. On Linux, / will be
 * replaced with \\.
 *
 * @param pth. Path to transform.
 * @return string Win32 path.
 */
function toWin32Path(pth) {
    return pth.replace(/[/]/g, '\\');
}
/**
 * toPlatformPath converts the given path to a platform-specific path. It does
 * this by replacing instances of / and \ with the platform-specific path
 * separator.
 *
 * @param pth The path to platformize.
 * @return string The platform-specific path.
 */
function toPlatformPath(pth) {
    return pth.replace(/[/\\]/g, path.sep);
}
//# sourceMappingURL=path-utils.js.map
;// CONCATENATED MODULE: external "string_decoder"
const external_string_decoder_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");
;// CONCATENATED MODULE: external "events"
const external_events_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");
;// CONCATENATED MODULE: external "child_process"
const external_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");
;// CONCATENATED MODULE: external "assert"
const external_assert_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");
;// CONCATENATED MODULE: ./node_modules/@actions/io/lib/io-util.js
var io_util_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { chmod, copyFile, lstat, mkdir, open: io_util_open, readdir, rename, rm, rmdir, stat, symlink, unlink } = external_fs_namespaceObject.promises;
// export const {open} = 'fs'
const IS_WINDOWS = process.platform === 'win32';
/**
 * Custom implementation of readlink to ensure Windows junctions
 * maintain trailing backslash for backward compatibility with Node.js < 24
 *
 * In Node.js 20, Windows junctions (directory symlinks) always returned paths
 * with trailing backslashes. Node.js 24 removed this behavior, which breaks
 * code that relied on this format for path operations.
 *
 * This implementation restores the Node 20 behavior by adding a trailing
 * backslash to all junction results on Windows.
 */
function readlink(fsPath) {
    return io_util_awaiter(this, void 0, void 0, function* () {
        const result = yield fs.promises.readlink(fsPath);
        // On Windows, restore Node 20 behavior: add trailing backslash to all results
        // since junctions on Windows are always directory links
        if (IS_WINDOWS && !result.endsWith('\\')) {
            return `${result}\\`;
        }
        return result;
    });
}
// See https://github.com/nodejs/node/blob/d0153aee367422d0858105abec186da4dff0a0c5/deps/uv/include/uv/win.h#L691
const UV_FS_O_EXLOCK = 0x10000000;
const READONLY = external_fs_namespaceObject.constants.O_RDONLY;
function exists(fsPath) {
    return io_util_awaiter(this, void 0, void 0, function* () {
        try {
            yield stat(fsPath);
        }
        catch (err) {
            if (err.code === 'ENOENT') {
                return false;
            }
            throw err;
        }
        return true;
    });
}
function isDirectory(fsPath_1) {
    return io_util_awaiter(this, arguments, void 0, function* (fsPath, useStat = false) {
        const stats = useStat ? yield stat(fsPath) : yield lstat(fsPath);
        return stats.isDirectory();
    });
}
/**
 * On OSX/Linux, true if path starts with '/'. On Windows, true for paths like:
 * \, \hello, \\hello\share, C:, and C:\hello (and corresponding alternate separator cases).
 */
function isRooted(p) {
    p = normalizeSeparators(p);
    if (!p) {
        throw new Error('isRooted() parameter "p" cannot be empty');
    }
    if (IS_WINDOWS) {
        return (p.startsWith('\\') || /^[A-Z]:/i.test(p) // e.g. \ or \hello or \\hello
        ); // e.g. C: or C:\hello
    }
    return p.startsWith('/');
}
/**
 * Best effort attempt to determine whether a file exists and is executable.
 * @param filePath    file path to check
 * @param extensions  additional file extensions to try
 * @return if file exists and is executable, returns the file path. otherwise empty string.
 */
function tryGetExecutablePath(filePath, extensions) {
    return io_util_awaiter(this, void 0, void 0, function* () {
        let stats = undefined;
        try {
            // test file exists
            stats = yield stat(filePath);
        }
        catch (err) {
            if (err.code !== 'ENOENT') {
                // eslint-disable-next-line no-console
                console.log(`Unexpected error attempting to determine if executable file exists '${filePath}': ${err}`);
            }
        }
        if (stats && stats.isFile()) {
            if (IS_WINDOWS) {
                // on Windows, test for valid extension
                const upperExt = external_path_namespaceObject.extname(filePath).toUpperCase();
                if (extensions.some(validExt => validExt.toUpperCase() === upperExt)) {
                    return filePath;
                }
            }
            else {
                if (isUnixExecutable(stats)) {
                    return filePath;
                }
            }
        }
        // try each extension
        const originalFilePath = filePath;
        for (const extension of extensions) {
            filePath = originalFilePath + extension;
            stats = undefined;
            try {
                stats = yield stat(filePath);
            }
            catch (err) {
                if (err.code !== 'ENOENT') {
                    // eslint-disable-next-line no-console
                    console.log(`Unexpected error attempting to determine if executable file exists '${filePath}': ${err}`);
                }
            }
            if (stats && stats.isFile()) {
                if (IS_WINDOWS) {
                    // preserve the case of the actual file (since an extension was appended)
                    try {
                        const directory = external_path_namespaceObject.dirname(filePath);
                        const upperName = external_path_namespaceObject.basename(filePath).toUpperCase();
                        for (const actualName of yield readdir(directory)) {
                            if (upperName === actualName.toUpperCase()) {
                                filePath = external_path_namespaceObject.join(directory, actualName);
                                break;
                            }
                        }
                    }
                    catch (err) {
                        // eslint-disable-next-line no-console
                        console.log(`Unexpected error attempting to determine the actual case of the file '${filePath}': ${err}`);
                    }
                    return filePath;
                }
                else {
                    if (isUnixExecutable(stats)) {
                        return filePath;
                    }
                }
            }
        }
        return '';
    });
}
function normalizeSeparators(p) {
    p = p || '';
    if (IS_WINDOWS) {
        // convert slashes on Windows
        p = p.replace(/\//g, '\\');
        // remove redundant slashes
        return p.replace(/\\\\+/g, '\\');
    }
    // remove redundant slashes
    return p.replace(/\/\/+/g, '/');
}
// on Mac/Linux, test the execute bit
//     R   W  X  R  W X R W X
//   256 128 64 32 16 8 4 2 1
function isUnixExecutable(stats) {
    return ((stats.mode & 1) > 0 ||
        ((stats.mode & 8) > 0 &&
            process.getgid !== undefined &&
            stats.gid === process.getgid()) ||
        ((stats.mode & 64) > 0 &&
            process.getuid !== undefined &&
            stats.uid === process.getuid()));
}
// Get the path of cmd.exe in windows
function getCmdPath() {
    var _a;
    return (_a = process.env['COMSPEC']) !== null && _a !== void 0 ? _a : `cmd.exe`;
}
//# sourceMappingURL=io-util.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/io/lib/io.js
var io_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};



/**
 * Copies a file or folder.
 * Based off of shelljs - https://github.com/shelljs/shelljs/blob/9237f66c52e5daa40458f94f9565e18e8132f5a6/src/cp.js
 *
 * @param     source    source path
 * @param     dest      destination path
 * @param     options   optional. See CopyOptions.
 */
function cp(source_1, dest_1) {
    return io_awaiter(this, arguments, void 0, function* (source, dest, options = {}) {
        const { force, recursive, copySourceDirectory } = readCopyOptions(options);
        const destStat = (yield ioUtil.exists(dest)) ? yield ioUtil.stat(dest) : null;
        // Dest is an existing file, but not forcing
        if (destStat && destStat.isFile() && !force) {
            return;
        }
        // If dest is an existing directory, should copy inside.
        const newDest = destStat && destStat.isDirectory() && copySourceDirectory
            ? path.join(dest, path.basename(source))
            : dest;
        if (!(yield ioUtil.exists(source))) {
            throw new Error(`no such file or directory: ${source}`);
        }
        const sourceStat = yield ioUtil.stat(source);
        if (sourceStat.isDirectory()) {
            if (!recursive) {
                throw new Error(`Failed to copy. ${source} is a directory, but tried to copy without recursive flag.`);
            }
            else {
                yield cpDirRecursive(source, newDest, 0, force);
            }
        }
        else {
            if (path.relative(source, newDest) === '') {
                // a file cannot be copied to itself
                throw new Error(`'${newDest}' and '${source}' are the same file`);
            }
            yield io_copyFile(source, newDest, force);
        }
    });
}
/**
 * Moves a path.
 *
 * @param     source    source path
 * @param     dest      destination path
 * @param     options   optional. See MoveOptions.
 */
function mv(source_1, dest_1) {
    return io_awaiter(this, arguments, void 0, function* (source, dest, options = {}) {
        if (yield ioUtil.exists(dest)) {
            let destExists = true;
            if (yield ioUtil.isDirectory(dest)) {
                // If dest is directory copy src into dest
                dest = path.join(dest, path.basename(source));
                destExists = yield ioUtil.exists(dest);
            }
            if (destExists) {
                if (options.force == null || options.force) {
                    yield rmRF(dest);
                }
                else {
                    throw new Error('Destination already exists');
                }
            }
        }
        yield mkdirP(path.dirname(dest));
        yield ioUtil.rename(source, dest);
    });
}
/**
 * Remove a path recursively with force
 *
 * @param inputPath path to remove
 */
function rmRF(inputPath) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (ioUtil.IS_WINDOWS) {
            // Check for invalid characters
            // https://docs.microsoft.com/en-us/windows/win32/fileio/naming-a-file
            if (/[*"<>|]/.test(inputPath)) {
                throw new Error('File path must not contain `*`, `"`, `<`, `>` or `|` on Windows');
            }
        }
        try {
            // note if path does not exist, error is silent
            yield ioUtil.rm(inputPath, {
                force: true,
                maxRetries: 3,
                recursive: true,
                retryDelay: 300
            });
        }
        catch (err) {
            throw new Error(`File was unable to be removed ${err}`);
        }
    });
}
/**
 * Make a directory.  Creates the full path with folders in between
 * Will throw if it fails
 *
 * @param   fsPath        path to create
 * @returns Promise<void>
 */
function mkdirP(fsPath) {
    return io_awaiter(this, void 0, void 0, function* () {
        ok(fsPath, 'a path argument must be provided');
        yield ioUtil.mkdir(fsPath, { recursive: true });
    });
}
/**
 * Returns path of a tool had the tool actually been invoked.  Resolves via paths.
 * If you check and the tool does not exist, it will throw.
 *
 * @param     tool              name of the tool
 * @param     check             whether to check if tool exists
 * @returns   Promise<string>   path to tool
 */
function which(tool, check) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (!tool) {
            throw new Error("parameter 'tool' is required");
        }
        // recursive when check=true
        if (check) {
            const result = yield which(tool, false);
            if (!result) {
                if (IS_WINDOWS) {
                    throw new Error(`Unable to locate executable file: ${tool}. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also verify the file has a valid extension for an executable file.`);
                }
                else {
                    throw new Error(`Unable to locate executable file: ${tool}. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also check the file mode to verify the file is executable.`);
                }
            }
            return result;
        }
        const matches = yield findInPath(tool);
        if (matches && matches.length > 0) {
            return matches[0];
        }
        return '';
    });
}
/**
 * Returns a list of all occurrences of the given tool on the system path.
 *
 * @returns   Promise<string[]>  the paths of the tool
 */
function findInPath(tool) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (!tool) {
            throw new Error("parameter 'tool' is required");
        }
        // build the list of extensions to try
        const extensions = [];
        if (IS_WINDOWS && process.env['PATHEXT']) {
            for (const extension of process.env['PATHEXT'].split(external_path_namespaceObject.delimiter)) {
                if (extension) {
                    extensions.push(extension);
                }
            }
        }
        // if it's rooted, return it if exists. otherwise return empty.
        if (isRooted(tool)) {
            const filePath = yield tryGetExecutablePath(tool, extensions);
            if (filePath) {
                return [filePath];
            }
            return [];
        }
        // if any path separators, return empty
        if (tool.includes(external_path_namespaceObject.sep)) {
            return [];
        }
        // build the list of directories
        //
        // Note, technically "where" checks the current directory on Windows. From a toolkit perspective,
        // it feels like we should not do this. Checking the current directory seems like more of a use
        // case of a shell, and the which() function exposed by the toolkit should strive for consistency
        // across platforms.
        const directories = [];
        if (process.env.PATH) {
            for (const p of process.env.PATH.split(external_path_namespaceObject.delimiter)) {
                if (p) {
                    directories.push(p);
                }
            }
        }
        // find all matches
        const matches = [];
        for (const directory of directories) {
            const filePath = yield tryGetExecutablePath(external_path_namespaceObject.join(directory, tool), extensions);
            if (filePath) {
                matches.push(filePath);
            }
        }
        return matches;
    });
}
function readCopyOptions(options) {
    const force = options.force == null ? true : options.force;
    const recursive = Boolean(options.recursive);
    const copySourceDirectory = options.copySourceDirectory == null
        ? true
        : Boolean(options.copySourceDirectory);
    return { force, recursive, copySourceDirectory };
}
function cpDirRecursive(sourceDir, destDir, currentDepth, force) {
    return io_awaiter(this, void 0, void 0, function* () {
        // Ensure there is not a run away recursive copy
        if (currentDepth >= 255)
            return;
        currentDepth++;
        yield mkdirP(destDir);
        const files = yield ioUtil.readdir(sourceDir);
        for (const fileName of files) {
            const srcFile = `${sourceDir}/${fileName}`;
            const destFile = `${destDir}/${fileName}`;
            const srcFileStat = yield ioUtil.lstat(srcFile);
            if (srcFileStat.isDirectory()) {
                // Recurse
                yield cpDirRecursive(srcFile, destFile, currentDepth, force);
            }
            else {
                yield io_copyFile(srcFile, destFile, force);
            }
        }
        // Change the mode for the newly created directory
        yield ioUtil.chmod(destDir, (yield ioUtil.stat(sourceDir)).mode);
    });
}
// Buffered file copy
function io_copyFile(srcFile, destFile, force) {
    return io_awaiter(this, void 0, void 0, function* () {
        if ((yield ioUtil.lstat(srcFile)).isSymbolicLink()) {
            // unlink/re-link it
            try {
                yield ioUtil.lstat(destFile);
                yield ioUtil.unlink(destFile);
            }
            catch (e) {
                // Try to override file permission
                if (e.code === 'EPERM') {
                    yield ioUtil.chmod(destFile, '0666');
                    yield ioUtil.unlink(destFile);
                }
                // other errors = it doesn't exist, no work to do
            }
            // Copy over symlink
            const symlinkFull = yield ioUtil.readlink(srcFile);
            yield ioUtil.symlink(symlinkFull, destFile, ioUtil.IS_WINDOWS ? 'junction' : null);
        }
        else if (!(yield ioUtil.exists(destFile)) || force) {
            yield ioUtil.copyFile(srcFile, destFile);
        }
    });
}
//# sourceMappingURL=io.js.map
;// CONCATENATED MODULE: external "timers"
const external_timers_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("timers");
;// CONCATENATED MODULE: ./node_modules/@actions/exec/lib/toolrunner.js
var toolrunner_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};







/* eslint-disable @typescript-eslint/unbound-method */
const toolrunner_IS_WINDOWS = process.platform === 'win32';
/*
 * Class for running command line tools. Handles quoting and arg parsing in a platform agnostic way.
 */
class ToolRunner extends external_events_namespaceObject.EventEmitter {
    constructor(toolPath, args, options) {
        super();
        if (!toolPath) {
            throw new Error("Parameter 'toolPath' cannot be null or empty.");
        }
        this.toolPath = toolPath;
        this.args = args || [];
        this.options = options || {};
    }
    _debug(message) {
        if (this.options.listeners && this.options.listeners.debug) {
            this.options.listeners.debug(message);
        }
    }
    _getCommandString(options, noPrefix) {
        const toolPath = this._getSpawnFileName();
        const args = this._getSpawnArgs(options);
        let cmd = noPrefix ? '' : '[command]'; // omit prefix when piped to a second tool
        if (toolrunner_IS_WINDOWS) {
            // Windows + cmd file
            if (this._isCmdFile()) {
                cmd += toolPath;
                for (const a of args) {
                    cmd += ` ${a}`;
                }
            }
            // Windows + verbatim
            else if (options.windowsVerbatimArguments) {
                cmd += `"${toolPath}"`;
                for (const a of args) {
                    cmd += ` ${a}`;
                }
            }
            // Windows (regular)
            else {
                cmd += this._windowsQuoteCmdArg(toolPath);
                for (const a of args) {
                    cmd += ` ${this._windowsQuoteCmdArg(a)}`;
                }
            }
        }
        else {
            // OSX/Linux - this can likely be improved with some form of quoting.
            // creating processes on Unix is fundamentally different than Windows.
            // on Unix, execvp() takes an arg array.
            cmd += toolPath;
            for (const a of args) {
                cmd += ` ${a}`;
            }
        }
        return cmd;
    }
    _processLineBuffer(data, strBuffer, onLine) {
        try {
            let s = strBuffer + data.toString();
            let n = s.indexOf(external_os_namespaceObject.EOL);
            while (n > -1) {
                const line = s.substring(0, n);
                onLine(line);
                // the rest of the string ...
                s = s.substring(n + external_os_namespaceObject.EOL.length);
                n = s.indexOf(external_os_namespaceObject.EOL);
            }
            return s;
        }
        catch (err) {
            // streaming lines to console is best effort.  Don't fail a build.
            this._debug(`error processing line. Failed with error ${err}`);
            return '';
        }
    }
    _getSpawnFileName() {
        if (toolrunner_IS_WINDOWS) {
            if (this._isCmdFile()) {
                return process.env['COMSPEC'] || 'cmd.exe';
            }
        }
        return this.toolPath;
    }
    _getSpawnArgs(options) {
        if (toolrunner_IS_WINDOWS) {
            if (this._isCmdFile()) {
                let argline = `/D /S /C "${this._windowsQuoteCmdArg(this.toolPath)}`;
                for (const a of this.args) {
                    argline += ' ';
                    argline += options.windowsVerbatimArguments
                        ? a
                        : this._windowsQuoteCmdArg(a);
                }
                argline += '"';
                return [argline];
            }
        }
        return this.args;
    }
    _endsWith(str, end) {
        return str.endsWith(end);
    }
    _isCmdFile() {
        const upperToolPath = this.toolPath.toUpperCase();
        return (this._endsWith(upperToolPath, '.CMD') ||
            this._endsWith(upperToolPath, '.BAT'));
    }
    _windowsQuoteCmdArg(arg) {
        // for .exe, apply the normal quoting rules that libuv applies
        if (!this._isCmdFile()) {
            return this._uvQuoteCmdArg(arg);
        }
        // otherwise apply quoting rules specific to the cmd.exe command line parser.
        // the libuv rules are generic and are not designed specifically for cmd.exe
        // command line parser.
        //
        // for a detailed description of the cmd.exe command line parser, refer to
        // http://stackoverflow.com/questions/4094699/how-does-the-windows-command-interpreter-cmd-exe-parse-scripts/7970912#7970912
        // need quotes for empty arg
        if (!arg) {
            return '""';
        }
        // determine whether the arg needs to be quoted
        const cmdSpecialChars = [
            ' ',
            '\t',
            '&',
            '(',
            ')',
            '[',
            ']',
            '{',
            '}',
            '^',
            '=',
            ';',
            '!',
            "'",
            '+',
            ',',
            '`',
            '~',
            '|',
            '<',
            '>',
            '"'
        ];
        let needsQuotes = false;
        for (const char of arg) {
            if (cmdSpecialChars.some(x => x === char)) {
                needsQuotes = true;
                break;
            }
        }
        // short-circuit if quotes not needed
        if (!needsQuotes) {
            return arg;
        }
        // the following quoting rules are very similar to the rules that by libuv applies.
        //
        // 1) wrap the string in quotes
        //
        // 2) double-up quotes - i.e. " => ""
        //
        //    this is different from the libuv quoting rules. libuv replaces " with \", which unfortunately
        //    doesn't work well with a cmd.exe command line.
        //
        //    note, replacing " with "" also works well if the arg is passed to a downstream .NET console app.
        //    for example, the command line:
        //          foo.exe "myarg:""my val"""
        //    is parsed by a .NET console app into an arg array:
        //          [ "myarg:\"my val\"" ]
        //    which is the same end result when applying libuv quoting rules. although the actual
        //    command line from libuv quoting rules would look like:
        //          foo.exe "myarg:\"my val\""
        //
        // 3) double-up slashes that precede a quote,
        //    e.g.  hello \world    => "hello \world"
        //          hello\"world    => "hello\\""world"
        //          hello\\"world   => "hello\\\\""world"
        //          hello world\    => "hello world\\"
        //
        //    technically this is not required for a cmd.exe command line, or the batch argument parser.
        //    the reasons for including this as a .cmd quoting rule are:
        //
        //    a) this is optimized for the scenario where the argument is passed from the .cmd file to an
        //       external program. many programs (e.g. .NET console apps) rely on the slash-doubling rule.
        //
        //    b) it's what we've been doing previously (by deferring to node default behavior) and we
        //       haven't heard any complaints about that aspect.
        //
        // note, a weakness of the quoting rules chosen here, is that % is not escaped. in fact, % cannot be
        // escaped when used on the command line directly - even though within a .cmd file % can be escaped
        // by using %%.
        //
        // the saving grace is, on the command line, %var% is left as-is if var is not defined. this contrasts
        // the line parsing rules within a .cmd file, where if var is not defined it is replaced with nothing.
        //
        // one option that was explored was replacing % with ^% - i.e. %var% => ^%var^%. this hack would
        // often work, since it is unlikely that var^ would exist, and the ^ character is removed when the
        // variable is used. the problem, however, is that ^ is not removed when %* is used to pass the args
        // to an external program.
        //
        // an unexplored potential solution for the % escaping problem, is to create a wrapper .cmd file.
        // % can be escaped within a .cmd file.
        let reverse = '"';
        let quoteHit = true;
        for (let i = arg.length; i > 0; i--) {
            // walk the string in reverse
            reverse += arg[i - 1];
            if (quoteHit && arg[i - 1] === '\\') {
                reverse += '\\'; // double the slash
            }
            else if (arg[i - 1] === '"') {
                quoteHit = true;
                reverse += '"'; // double the quote
            }
            else {
                quoteHit = false;
            }
        }
        reverse += '"';
        return reverse.split('').reverse().join('');
    }
    _uvQuoteCmdArg(arg) {
        // Tool runner wraps child_process.spawn() and needs to apply the same quoting as
        // Node in certain cases where the undocumented spawn option windowsVerbatimArguments
        // is used.
        //
        // Since this function is a port of quote_cmd_arg from Node 4.x (technically, lib UV,
        // see https://github.com/nodejs/node/blob/v4.x/deps/uv/src/win/process.c for details),
        // pasting copyright notice from Node within this function:
        //
        //      Copyright Joyent, Inc. and other Node contributors. All rights reserved.
        //
        //      Permission is hereby granted, free of charge, to any person obtaining a copy
        //      of this software and associated documentation files (the "Software"), to
        //      deal in the Software without restriction, including without limitation the
        //      rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
        //      sell copies of the Software, and to permit persons to whom the Software is
        //      furnished to do so, subject to the following conditions:
        //
        //      The above copyright notice and this permission notice shall be included in
        //      all copies or substantial portions of the Software.
        //
        //      THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
        //      IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
        //      FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
        //      AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
        //      LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
        //      FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS
        //      IN THE SOFTWARE.
        if (!arg) {
            // Need double quotation for empty argument
            return '""';
        }
        if (!arg.includes(' ') && !arg.includes('\t') && !arg.includes('"')) {
            // No quotation needed
            return arg;
        }
        if (!arg.includes('"') && !arg.includes('\\')) {
            // No embedded double quotes or backslashes, so I can just wrap
            // quote marks around the whole thing.
            return `"${arg}"`;
        }
        // Expected input/output:
        //   input : hello"world
        //   output: "hello\"world"
        //   input : hello""world
        //   output: "hello\"\"world"
        //   input : hello\world
        //   output: hello\world
        //   input : hello\\world
        //   output: hello\\world
        //   input : hello\"world
        //   output: "hello\\\"world"
        //   input : hello\\"world
        //   output: "hello\\\\\"world"
        //   input : hello world\
        //   output: "hello world\\" - note the comment in libuv actually reads "hello world\"
        //                             but it appears the comment is wrong, it should be "hello world\\"
        let reverse = '"';
        let quoteHit = true;
        for (let i = arg.length; i > 0; i--) {
            // walk the string in reverse
            reverse += arg[i - 1];
            if (quoteHit && arg[i - 1] === '\\') {
                reverse += '\\';
            }
            else if (arg[i - 1] === '"') {
                quoteHit = true;
                reverse += '\\';
            }
            else {
                quoteHit = false;
            }
        }
        reverse += '"';
        return reverse.split('').reverse().join('');
    }
    _cloneExecOptions(options) {
        options = options || {};
        const result = {
            cwd: options.cwd || process.cwd(),
            env: options.env || process.env,
            silent: options.silent || false,
            windowsVerbatimArguments: options.windowsVerbatimArguments || false,
            failOnStdErr: options.failOnStdErr || false,
            ignoreReturnCode: options.ignoreReturnCode || false,
            delay: options.delay || 10000
        };
        result.outStream = options.outStream || process.stdout;
        result.errStream = options.errStream || process.stderr;
        return result;
    }
    _getSpawnOptions(options, toolPath) {
        options = options || {};
        const result = {};
        result.cwd = options.cwd;
        result.env = options.env;
        result['windowsVerbatimArguments'] =
            options.windowsVerbatimArguments || this._isCmdFile();
        if (options.windowsVerbatimArguments) {
            result.argv0 = `"${toolPath}"`;
        }
        return result;
    }
    /**
     * Exec a tool.
     * Output will be streamed to the live console.
     * Returns promise with return code
     *
     * @param     tool     path to tool to exec
     * @param     options  optional exec options.  See ExecOptions
     * @returns   number
     */
    exec() {
        return toolrunner_awaiter(this, void 0, void 0, function* () {
            // root the tool path if it is unrooted and contains relative pathing
            if (!isRooted(this.toolPath) &&
                (this.toolPath.includes('/') ||
                    (toolrunner_IS_WINDOWS && this.toolPath.includes('\\')))) {
                // prefer options.cwd if it is specified, however options.cwd may also need to be rooted
                this.toolPath = external_path_namespaceObject.resolve(process.cwd(), this.options.cwd || process.cwd(), this.toolPath);
            }
            // if the tool is only a file name, then resolve it from the PATH
            // otherwise verify it exists (add extension on Windows if necessary)
            this.toolPath = yield which(this.toolPath, true);
            return new Promise((resolve, reject) => toolrunner_awaiter(this, void 0, void 0, function* () {
                this._debug(`exec tool: ${this.toolPath}`);
                this._debug('arguments:');
                for (const arg of this.args) {
                    this._debug(`   ${arg}`);
                }
                const optionsNonNull = this._cloneExecOptions(this.options);
                if (!optionsNonNull.silent && optionsNonNull.outStream) {
                    optionsNonNull.outStream.write(this._getCommandString(optionsNonNull) + external_os_namespaceObject.EOL);
                }
                const state = new ExecState(optionsNonNull, this.toolPath);
                state.on('debug', (message) => {
                    this._debug(message);
                });
                if (this.options.cwd && !(yield exists(this.options.cwd))) {
                    return reject(new Error(`The cwd: ${this.options.cwd} does not exist!`));
                }
                const fileName = this._getSpawnFileName();
                const cp = external_child_process_namespaceObject.spawn(fileName, this._getSpawnArgs(optionsNonNull), this._getSpawnOptions(this.options, fileName));
                let stdbuffer = '';
                if (cp.stdout) {
                    cp.stdout.on('data', (data) => {
                        if (this.options.listeners && this.options.listeners.stdout) {
                            this.options.listeners.stdout(data);
                        }
                        if (!optionsNonNull.silent && optionsNonNull.outStream) {
                            optionsNonNull.outStream.write(data);
                        }
                        stdbuffer = this._processLineBuffer(data, stdbuffer, (line) => {
                            if (this.options.listeners && this.options.listeners.stdline) {
                                this.options.listeners.stdline(line);
                            }
                        });
                    });
                }
                let errbuffer = '';
                if (cp.stderr) {
                    cp.stderr.on('data', (data) => {
                        state.processStderr = true;
                        if (this.options.listeners && this.options.listeners.stderr) {
                            this.options.listeners.stderr(data);
                        }
                        if (!optionsNonNull.silent &&
                            optionsNonNull.errStream &&
                            optionsNonNull.outStream) {
                            const s = optionsNonNull.failOnStdErr
                                ? optionsNonNull.errStream
                                : optionsNonNull.outStream;
                            s.write(data);
                        }
                        errbuffer = this._processLineBuffer(data, errbuffer, (line) => {
                            if (this.options.listeners && this.options.listeners.errline) {
                                this.options.listeners.errline(line);
                            }
                        });
                    });
                }
                cp.on('error', (err) => {
                    state.processError = err.message;
                    state.processExited = true;
                    state.processClosed = true;
                    state.CheckComplete();
                });
                cp.on('exit', (code) => {
                    state.processExitCode = code;
                    state.processExited = true;
                    this._debug(`Exit code ${code} received from tool '${this.toolPath}'`);
                    state.CheckComplete();
                });
                cp.on('close', (code) => {
                    state.processExitCode = code;
                    state.processExited = true;
                    state.processClosed = true;
                    this._debug(`STDIO streams have closed for tool '${this.toolPath}'`);
                    state.CheckComplete();
                });
                state.on('done', (error, exitCode) => {
                    if (stdbuffer.length > 0) {
                        this.emit('stdline', stdbuffer);
                    }
                    if (errbuffer.length > 0) {
                        this.emit('errline', errbuffer);
                    }
                    cp.removeAllListeners();
                    if (error) {
                        reject(error);
                    }
                    else {
                        resolve(exitCode);
                    }
                });
                if (this.options.input) {
                    if (!cp.stdin) {
                        throw new Error('child process missing stdin');
                    }
                    cp.stdin.end(this.options.input);
                }
            }));
        });
    }
}
/**
 * Convert an arg string to an array of args. Handles escaping
 *
 * @param    argString   string of arguments
 * @returns  string[]    array of arguments
 */
function argStringToArray(argString) {
    const args = [];
    let inQuotes = false;
    let escaped = false;
    let arg = '';
    function append(c) {
        // we only escape double quotes.
        if (escaped && c !== '"') {
            arg += '\\';
        }
        arg += c;
        escaped = false;
    }
    for (let i = 0; i < argString.length; i++) {
        const c = argString.charAt(i);
        if (c === '"') {
            if (!escaped) {
                inQuotes = !inQuotes;
            }
            else {
                append(c);
            }
            continue;
        }
        if (c === '\\' && escaped) {
            append(c);
            continue;
        }
        if (c === '\\' && inQuotes) {
            escaped = true;
            continue;
        }
        if (c === ' ' && !inQuotes) {
            if (arg.length > 0) {
                args.push(arg);
                arg = '';
            }
            continue;
        }
        append(c);
    }
    if (arg.length > 0) {
        args.push(arg.trim());
    }
    return args;
}
class ExecState extends external_events_namespaceObject.EventEmitter {
    constructor(options, toolPath) {
        super();
        this.processClosed = false; // tracks whether the process has exited and stdio is closed
        this.processError = '';
        this.processExitCode = 0;
        this.processExited = false; // tracks whether the process has exited
        this.processStderr = false; // tracks whether stderr was written to
        this.delay = 10000; // 10 seconds
        this.done = false;
        this.timeout = null;
        if (!toolPath) {
            throw new Error('toolPath must not be empty');
        }
        this.options = options;
        this.toolPath = toolPath;
        if (options.delay) {
            this.delay = options.delay;
        }
    }
    CheckComplete() {
        if (this.done) {
            return;
        }
        if (this.processClosed) {
            this._setResult();
        }
        else if (this.processExited) {
            this.timeout = (0,external_timers_namespaceObject.setTimeout)(ExecState.HandleTimeout, this.delay, this);
        }
    }
    _debug(message) {
        this.emit('debug', message);
    }
    _setResult() {
        // determine whether there is an error
        let error;
        if (this.processExited) {
            if (this.processError) {
                error = new Error(`There was an error when attempting to execute the process '${this.toolPath}'. This may indicate the process failed to start. Error: ${this.processError}`);
            }
            else if (this.processExitCode !== 0 && !this.options.ignoreReturnCode) {
                error = new Error(`The process '${this.toolPath}' failed with exit code ${this.processExitCode}`);
            }
            else if (this.processStderr && this.options.failOnStdErr) {
                error = new Error(`The process '${this.toolPath}' failed because one or more lines were written to the STDERR stream`);
            }
        }
        // clear the timeout
        if (this.timeout) {
            clearTimeout(this.timeout);
            this.timeout = null;
        }
        this.done = true;
        this.emit('done', error, this.processExitCode);
    }
    static HandleTimeout(state) {
        if (state.done) {
            return;
        }
        if (!state.processClosed && state.processExited) {
            const message = `The STDIO streams did not close within ${state.delay / 1000} seconds of the exit event from process '${state.toolPath}'. This may indicate a child process inherited the STDIO streams and has not yet exited.`;
            state._debug(message);
        }
        state._setResult();
    }
}
//# sourceMappingURL=toolrunner.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/exec/lib/exec.js
var exec_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


/**
 * Exec a command.
 * Output will be streamed to the live console.
 * Returns promise with return code
 *
 * @param     commandLine        command to execute (can include additional args). Must be correctly escaped.
 * @param     args               optional arguments for tool. Escaping is handled by the lib.
 * @param     options            optional exec options.  See ExecOptions
 * @returns   Promise<number>    exit code
 */
function exec_exec(commandLine, args, options) {
    return exec_awaiter(this, void 0, void 0, function* () {
        const commandArgs = tr.argStringToArray(commandLine);
        if (commandArgs.length === 0) {
            throw new Error(`Parameter 'commandLine' cannot be null or empty.`);
        }
        // Path to tool to execute should be first arg
        const toolPath = commandArgs[0];
        args = commandArgs.slice(1).concat(args || []);
        const runner = new tr.ToolRunner(toolPath, args, options);
        return runner.exec();
    });
}
/**
 * Exec a command and get the output.
 * Output will be streamed to the live console.
 * Returns promise with the exit code and collected stdout and stderr
 *
 * @param     commandLine           command to execute (can include additional args). Must be correctly escaped.
 * @param     args                  optional arguments for tool. Escaping is handled by the lib.
 * @param     options               optional exec options.  See ExecOptions
 * @returns   Promise<ExecOutput>   exit code, stdout, and stderr
 */
function getExecOutput(commandLine, args, options) {
    return exec_awaiter(this, void 0, void 0, function* () {
        var _a, _b;
        let stdout = '';
        let stderr = '';
        //Using string decoder covers the case where a mult-byte character is split
        const stdoutDecoder = new StringDecoder('utf8');
        const stderrDecoder = new StringDecoder('utf8');
        const originalStdoutListener = (_a = options === null || options === void 0 ? void 0 : options.listeners) === null || _a === void 0 ? void 0 : _a.stdout;
        const originalStdErrListener = (_b = options === null || options === void 0 ? void 0 : options.listeners) === null || _b === void 0 ? void 0 : _b.stderr;
        const stdErrListener = (data) => {
            stderr += stderrDecoder.write(data);
            if (originalStdErrListener) {
                originalStdErrListener(data);
            }
        };
        const stdOutListener = (data) => {
            stdout += stdoutDecoder.write(data);
            if (originalStdoutListener) {
                originalStdoutListener(data);
            }
        };
        const listeners = Object.assign(Object.assign({}, options === null || options === void 0 ? void 0 : options.listeners), { stdout: stdOutListener, stderr: stdErrListener });
        const exitCode = yield exec_exec(commandLine, args, Object.assign(Object.assign({}, options), { listeners }));
        //flush any remaining characters
        stdout += stdoutDecoder.end();
        stderr += stderrDecoder.end();
        return {
            exitCode,
            stdout,
            stderr
        };
    });
}
//# sourceMappingURL=exec.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/platform.js
var platform_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const getWindowsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout: version } = yield exec.getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Version"', undefined, {
        silent: true
    });
    const { stdout: name } = yield exec.getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Caption"', undefined, {
        silent: true
    });
    return {
        name: name.trim(),
        version: version.trim()
    };
});
const getMacOsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    var _a, _b, _c, _d;
    const { stdout } = yield exec.getExecOutput('sw_vers', undefined, {
        silent: true
    });
    const version = (_b = (_a = stdout.match(/ProductVersion:\s*(.+)/)) === null || _a === void 0 ? void 0 : _a[1]) !== null && _b !== void 0 ? _b : '';
    const name = (_d = (_c = stdout.match(/ProductName:\s*(.+)/)) === null || _c === void 0 ? void 0 : _c[1]) !== null && _d !== void 0 ? _d : '';
    return {
        name,
        version
    };
});
const getLinuxInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout } = yield exec.getExecOutput('lsb_release', ['-i', '-r', '-s'], {
        silent: true
    });
    const [name, version] = stdout.trim().split('\n');
    return {
        name,
        version
    };
});
const platform = external_os_namespaceObject.platform();
const arch = external_os_namespaceObject.arch();
const isWindows = platform === 'win32';
const isMacOS = platform === 'darwin';
const isLinux = platform === 'linux';
function getDetails() {
    return platform_awaiter(this, void 0, void 0, function* () {
        return Object.assign(Object.assign({}, (yield (isWindows
            ? getWindowsInfo()
            : isMacOS
                ? getMacOsInfo()
                : getLinuxInfo()))), { platform,
            arch,
            isWindows,
            isMacOS,
            isLinux });
    });
}
//# sourceMappingURL=platform.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/core.js
var core_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};






/**
 * The code to exit an action
 */
var ExitCode;
(function (ExitCode) {
    /**
     * A code indicating that the action was successful
     */
    ExitCode[ExitCode["Success"] = 0] = "Success";
    /**
     * A code indicating that the action was a failure
     */
    ExitCode[ExitCode["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
//-----------------------------------------------------------------------
// Variables
//-----------------------------------------------------------------------
/**
 * Sets env variable for this action and future actions in the job
 * @param name the name of the variable to set
 * @param val the value of the variable. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function exportVariable(name, val) {
    const convertedVal = toCommandValue(val);
    process.env[name] = convertedVal;
    const filePath = process.env['GITHUB_ENV'] || '';
    if (filePath) {
        return issueFileCommand('ENV', prepareKeyValueMessage(name, val));
    }
    issueCommand('set-env', { name }, convertedVal);
}
/**
 * Registers a secret which will get masked from logs
 *
 * @param secret - Value of the secret to be masked
 * @remarks
 * This function instructs the Actions runner to mask the specified value in any
 * logs produced during the workflow run. Once registered, the secret value will
 * be replaced with asterisks (***) whenever it appears in console output, logs,
 * or error messages.
 *
 * This is useful for protecting sensitive information such as:
 * - API keys
 * - Access tokens
 * - Authentication credentials
 * - URL parameters containing signatures (SAS tokens)
 *
 * Note that masking only affects future logs; any previous appearances of the
 * secret in logs before calling this function will remain unmasked.
 *
 * @example
 * ```typescript
 * // Register an API token as a secret
 * const apiToken = "abc123xyz456";
 * setSecret(apiToken);
 *
 * // Now any logs containing this value will show *** instead
 * console.log(`Using token: ${apiToken}`); // Outputs: "Using token: ***"
 * ```
 */
function core_setSecret(secret) {
    command_issueCommand('add-mask', {}, secret);
}
/**
 * Prepends inputPath to the PATH (for this action and future actions)
 * @param inputPath
 */
function addPath(inputPath) {
    const filePath = process.env['GITHUB_PATH'] || '';
    if (filePath) {
        issueFileCommand('PATH', inputPath);
    }
    else {
        issueCommand('add-path', {}, inputPath);
    }
    process.env['PATH'] = `${inputPath}${path.delimiter}${process.env['PATH']}`;
}
/**
 * Gets the value of an input.
 * Unless trimWhitespace is set to false in InputOptions, the value is also trimmed.
 * Returns an empty string if the value is not defined.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string
 */
function getInput(name, options) {
    const val = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
    if (options && options.required && !val) {
        throw new Error(`Input required and not supplied: ${name}`);
    }
    if (options && options.trimWhitespace === false) {
        return val;
    }
    return val.trim();
}
/**
 * Gets the values of an multiline input.  Each value is also trimmed.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string[]
 *
 */
function getMultilineInput(name, options) {
    const inputs = getInput(name, options)
        .split('\n')
        .filter(x => x !== '');
    if (options && options.trimWhitespace === false) {
        return inputs;
    }
    return inputs.map(input => input.trim());
}
/**
 * Gets the input value of the boolean type in the YAML 1.2 "core schema" specification.
 * Support boolean input list: `true | True | TRUE | false | False | FALSE` .
 * The return value is also in boolean type.
 * ref: https://yaml.org/spec/1.2/spec.html#id2804923
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   boolean
 */
function getBooleanInput(name, options) {
    const trueValue = ['true', 'True', 'TRUE'];
    const falseValue = ['false', 'False', 'FALSE'];
    const val = getInput(name, options);
    if (trueValue.includes(val))
        return true;
    if (falseValue.includes(val))
        return false;
    throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}\n` +
        `Support boolean input list: \`true | True | TRUE | false | False | FALSE\``);
}
/**
 * Sets the value of an output.
 *
 * @param     name     name of the output to set
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function setOutput(name, value) {
    const filePath = process.env['GITHUB_OUTPUT'] || '';
    if (filePath) {
        return file_command_issueFileCommand('OUTPUT', file_command_prepareKeyValueMessage(name, value));
    }
    process.stdout.write(external_os_namespaceObject.EOL);
    command_issueCommand('set-output', { name }, utils_toCommandValue(value));
}
/**
 * Enables or disables the echoing of commands into stdout for the rest of the step.
 * Echoing is disabled by default if ACTIONS_STEP_DEBUG is not set.
 *
 */
function setCommandEcho(enabled) {
    issue('echo', enabled ? 'on' : 'off');
}
//-----------------------------------------------------------------------
// Results
//-----------------------------------------------------------------------
/**
 * Sets the action status to failed.
 * When the action exits it will be with an exit code of 1
 * @param message add error issue message
 */
function setFailed(message) {
    process.exitCode = ExitCode.Failure;
    error(message);
}
//-----------------------------------------------------------------------
// Logging Commands
//-----------------------------------------------------------------------
/**
 * Gets whether Actions Step Debug is on or not
 */
function isDebug() {
    return process.env['RUNNER_DEBUG'] === '1';
}
/**
 * Writes debug message to user log
 * @param message debug message
 */
function core_debug(message) {
    command_issueCommand('debug', {}, message);
}
/**
 * Adds an error issue
 * @param message error issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function error(message, properties = {}) {
    command_issueCommand('error', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a warning issue
 * @param message warning issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function warning(message, properties = {}) {
    command_issueCommand('warning', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a notice issue
 * @param message notice issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function notice(message, properties = {}) {
    command_issueCommand('notice', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Writes info to log with console.log.
 * @param message info message
 */
function info(message) {
    process.stdout.write(message + external_os_namespaceObject.EOL);
}
/**
 * Begin an output group.
 *
 * Output until the next `groupEnd` will be foldable in this group
 *
 * @param name The name of the output group
 */
function startGroup(name) {
    command_issue('group', name);
}
/**
 * End an output group.
 */
function endGroup() {
    command_issue('endgroup');
}
/**
 * Wrap an asynchronous function call in a group.
 *
 * Returns the same type as the function itself.
 *
 * @param name The name of the group
 * @param fn The function to wrap in the group
 */
function group(name, fn) {
    return core_awaiter(this, void 0, void 0, function* () {
        startGroup(name);
        let result;
        try {
            result = yield fn();
        }
        finally {
            endGroup();
        }
        return result;
    });
}
//-----------------------------------------------------------------------
// Wrapper action state
//-----------------------------------------------------------------------
/**
 * Saves state for current action, the state can only be retrieved by this action's post job execution.
 *
 * @param     name     name of the state to store
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function saveState(name, value) {
    const filePath = process.env['GITHUB_STATE'] || '';
    if (filePath) {
        return file_command_issueFileCommand('STATE', file_command_prepareKeyValueMessage(name, value));
    }
    command_issueCommand('save-state', { name }, utils_toCommandValue(value));
}
/**
 * Gets the value of an state set by this action's main execution.
 *
 * @param     name     name of the state to get
 * @returns   string
 */
function getState(name) {
    return process.env[`STATE_${name}`] || '';
}
function getIDToken(aud) {
    return core_awaiter(this, void 0, void 0, function* () {
        return yield OidcClient.getIDToken(aud);
    });
}
/**
 * Summary exports
 */

/**
 * @deprecated use core.summary
 */

/**
 * Path exports
 */

/**
 * Platform utilities exports
 */

//# sourceMappingURL=core.js.map

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(2143);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
