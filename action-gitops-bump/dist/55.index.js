export const id = 55;
export const ids = [55];
export const modules = {

/***/ 2055:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   GitHubRepository: () => (/* binding */ GitHubRepository)
/* harmony export */ });
/* unused harmony exports createOctokit, GitHubCommitStore */
/* harmony import */ var _octokit_core__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4730);
/* harmony import */ var _octokit_plugin_retry__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9735);
/* harmony import */ var _octokit_plugin_throttling__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(6856);
/* harmony import */ var _git_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7382);
/* harmony import */ var _domain_push_rejection_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(1658);
/* harmony import */ var _domain_bump_files_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1762);






const ThrottledOctokit = _octokit_core__WEBPACK_IMPORTED_MODULE_2__/* .Octokit */ .E.plugin(_octokit_plugin_retry__WEBPACK_IMPORTED_MODULE_3__/* .retry */ .L, _octokit_plugin_throttling__WEBPACK_IMPORTED_MODULE_4__/* .throttling */ .A);
/** A scheduler with the shape plugin-throttling expects of a Bottleneck group (`key().schedule()`), spacing jobs by `ms`. */
function spacedGroup(ms) {
    let chain = Promise.resolve();
    let last = 0;
    const limiter = {
        schedule(_options, fn) {
            const job = chain.then(async () => {
                const wait = last + ms - Date.now();
                if (wait > 0)
                    await new Promise((r) => setTimeout(r, wait));
                last = Date.now();
                return fn();
            });
            chain = job.catch(() => undefined);
            return job;
        },
    };
    return { key: () => limiter };
}
/**
 * An Octokit for `options.apiUrl` with retry and throttling. Rate-limit waits are logged as
 * warnings; a request is retried at most twice after a rate limit.
 */
function createOctokit(options) {
    const { log, timing = {} } = options;
    log.secret(options.token);
    const onLimit = (kind) => (retryAfter, request, _octokit, retryCount) => {
        log.warning(`GitHub ${kind} rate limit on ${request.method} ${request.url}: retrying after ${retryAfter} s (retry ${retryCount + 1} of 2)`);
        return retryCount < 2;
    };
    return new ThrottledOctokit({
        auth: options.token,
        baseUrl: options.apiUrl,
        userAgent: 'trunkline-gitops-bump',
        throttle: {
            onRateLimit: onLimit('primary'),
            onSecondaryRateLimit: onLimit('secondary'),
            ...(timing.retryAfterUnitMs !== undefined ? { retryAfterBaseValue: timing.retryAfterUnitMs } : {}),
            ...(timing.writeSpacingMs !== undefined
                ? { write: spacedGroup(timing.writeSpacingMs), notifications: spacedGroup(timing.writeSpacingMs) }
                : {}),
        },
        retry: {
            retries: timing.retries ?? 3,
            ...(timing.retryAfterUnitMs !== undefined ? { retryAfterBaseValue: timing.retryAfterUnitMs } : {}),
        },
        log: { debug: (m) => log.debug(m), info: (m) => log.debug(m), warn: (m) => log.warning(m), error: (m) => log.error(m) },
    });
}
function status(error) {
    return typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : undefined;
}
/** One line for logs: GraphQL response errors joined, otherwise the error's message. */
function message(error) {
    const errors = error?.errors;
    if (Array.isArray(errors) && errors.length)
        return errors.map((e) => e.message ?? JSON.stringify(e)).join('; ');
    return error instanceof Error ? error.message : String(error);
}
/** The fields the bump reads from a REST pull-request object (list item or full). */
function toPullRequest(pr) {
    return { number: pr.number, url: pr.html_url, nodeId: pr.node_id, title: pr.title, body: pr.body ?? '', headSha: pr.head.sha };
}
/** Pull requests, labels and auto-merge on one repository. */
class GitHubRepository {
    octokit;
    owner;
    repo;
    log;
    constructor(options, octokit = createOctokit(options)) {
        this.octokit = octokit;
        this.owner = options.owner;
        this.repo = options.repo;
        this.log = options.log;
    }
    /** The open pull request from `head` (a branch of this repository) into `base`, if any. */
    async findOpenPull(head, base) {
        const r = await this.octokit.request('GET /repos/{owner}/{repo}/pulls', {
            owner: this.owner, repo: this.repo, state: 'open', head: `${this.owner}:${head}`, base, per_page: 10,
        });
        const pr = r.data.find((p) => p.head.ref === head && p.base.ref === base);
        return pr ? toPullRequest(pr) : undefined;
    }
    /**
     * Opens a pull request. When GitHub answers 422 "A pull request already exists" (a concurrent
     * run won the race), the existing one is returned instead: never a second PR for one branch.
     */
    async createPull(head, base, title, body) {
        try {
            const r = await this.octokit.request('POST /repos/{owner}/{repo}/pulls', { owner: this.owner, repo: this.repo, head, base, title, body });
            return { pr: toPullRequest(r.data), created: true };
        }
        catch (error) {
            if (status(error) === 422 && /already exists/i.test(message(error))) {
                const existing = await this.findOpenPull(head, base);
                if (existing)
                    return { pr: existing, created: false };
            }
            throw error;
        }
    }
    /** Sets title and body (only the fields that differ; nothing is sent when both match). */
    async updatePull(pr, title, body) {
        const patch = {};
        if (pr.title !== title)
            patch.title = title;
        if (pr.body !== body)
            patch.body = body;
        if (!Object.keys(patch).length)
            return false;
        await this.octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { owner: this.owner, repo: this.repo, pull_number: pr.number, ...patch });
        return true;
    }
    /** Adds labels to an issue or PR (existing labels stay; unknown names are created by GitHub). */
    async addLabels(number, labels) {
        if (!labels.length)
            return;
        await this.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', { owner: this.owner, repo: this.repo, issue_number: number, labels: [...labels] });
    }
    /**
     * Enables auto-merge (GraphQL `enablePullRequestAutoMerge`). Refusals (the repository does not
     * allow auto-merge, missing permission, the PR is already clean) are returned as a reason, not
     * thrown: a bump must not fail because auto-merge is off.
     */
    async enableAutoMerge(pr, method) {
        try {
            await this.octokit.graphql(
            // `method` is reserved by @octokit/graphql (request options), hence `mergeMethod`.
            'mutation($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: $mergeMethod }) { clientMutationId } }', { pullRequestId: pr.nodeId, mergeMethod: method.toUpperCase() });
            return { enabled: true };
        }
        catch (error) {
            return { enabled: false, reason: message(error) };
        }
    }
    /** The repository's default branch. */
    async defaultBranch() {
        return (await this.octokit.request('GET /repos/{owner}/{repo}', { owner: this.owner, repo: this.repo })).data.default_branch;
    }
    /** A `CommitStore` over this repository's Git Data API. */
    commitStore() {
        return new GitHubCommitStore(this, this.log);
    }
}
/**
 * The Git Data API as a `CommitStore`: refs, contents, blobs, trees, commits. Branch updates use
 * `force: false`, so GitHub answers 422 "not a fast forward" when the branch moved meanwhile.
 * File modes are not reported by the contents API; rewritten files keep `100644`.
 */
class GitHubCommitStore {
    description;
    gh;
    log;
    constructor(gh, log) {
        this.gh = gh;
        this.log = log;
        this.description = `github.com/${gh.owner}/${gh.repo}`;
    }
    get params() {
        return { owner: this.gh.owner, repo: this.gh.repo };
    }
    defaultBranch() {
        return this.gh.defaultBranch();
    }
    async branchHead(branch) {
        try {
            const r = await this.gh.octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...this.params, ref: `heads/${branch}` });
            return r.data.object.sha;
        }
        catch (error) {
            if (status(error) === 404)
                return undefined;
            throw error;
        }
    }
    async isAncestor(ancestor, descendant) {
        if (ancestor === descendant)
            return true;
        // compare base...head: `behind` means head (ancestor) is contained in base (descendant).
        const r = await this.gh.octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', { ...this.params, basehead: `${descendant}...${ancestor}`, per_page: 1 });
        return r.data.status === 'behind' || r.data.status === 'identical';
    }
    async commitsBetween(base, head) {
        // GET compare base...head lists head's commits since the merge base, oldest first (docs.github.com/en/rest/commits/commits#compare-two-commits).
        const r = await this.gh.octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', { ...this.params, basehead: `${base}...${head}`, per_page: _git_js__WEBPACK_IMPORTED_MODULE_0__/* .COMMITS_LISTED */ .FF });
        return r.data.commits.slice(-_git_js__WEBPACK_IMPORTED_MODULE_0__/* .COMMITS_LISTED */ .FF).reverse().map((c) => ({
            sha: c.sha,
            author: { name: c.commit.author?.name ?? '', email: c.commit.author?.email ?? '' },
            subject: c.commit.message.split('\n')[0],
        }));
    }
    async listFiles(commit, globs) {
        const r = await this.gh.octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', { ...this.params, tree_sha: commit, recursive: '1' });
        const matches = (0,_domain_bump_files_js__WEBPACK_IMPORTED_MODULE_1__/* .globMatcher */ .fU)(globs);
        if (r.data.truncated)
            this.log.warning('GitHub truncated the tree listing; name files explicitly instead of globs for very large repositories');
        return r.data.tree
            .filter((e) => e.type === 'blob' && e.path && matches(e.path))
            .map((e) => e.path)
            .sort();
    }
    async readFiles(commit, paths) {
        const out = new Map();
        for (const path of paths) {
            let data;
            try {
                data = (await this.gh.octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { ...this.params, path, ref: commit })).data;
            }
            catch (error) {
                if (status(error) === 404)
                    continue;
                throw error;
            }
            const file = data;
            if (Array.isArray(data) || file.type === 'dir')
                continue;
            if (file.type === 'symlink')
                throw new Error(`${path} is a symbolic link on ${this.description}; a bump edits regular files only`);
            if (file.type !== 'file' || !file.sha)
                continue;
            let content;
            if (file.encoding === 'base64' && file.content !== undefined) {
                content = Buffer.from(file.content, 'base64');
            }
            else {
                // Files over 1 MB come without content; the blob API returns them (base64) up to 100 MB.
                const blob = await this.gh.octokit.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', { ...this.params, file_sha: file.sha });
                content = Buffer.from(blob.data.content, 'base64');
            }
            out.set(path, { path, content, mode: '100644' });
        }
        return out;
    }
    async commit(parent, files, message, author) {
        const tree = [];
        for (const f of files) {
            const blob = await this.gh.octokit.request('POST /repos/{owner}/{repo}/git/blobs', { ...this.params, content: f.content.toString('base64'), encoding: 'base64' });
            tree.push({ path: f.path, mode: f.mode, type: 'blob', sha: blob.data.sha });
        }
        const parentCommit = await this.gh.octokit.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { ...this.params, commit_sha: parent });
        const newTree = await this.gh.octokit.request('POST /repos/{owner}/{repo}/git/trees', { ...this.params, base_tree: parentCommit.data.tree.sha, tree });
        const commit = await this.gh.octokit.request('POST /repos/{owner}/{repo}/git/commits', {
            ...this.params, message, tree: newTree.data.sha, parents: [parent], ...(author ? { author } : {}),
        });
        return commit.data.sha;
    }
    async updateBranch(branch, sha, expected) {
        try {
            if (expected === undefined) {
                await this.gh.octokit.request('POST /repos/{owner}/{repo}/git/refs', { ...this.params, ref: `refs/heads/${branch}`, sha });
            }
            else {
                await this.gh.octokit.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', { ...this.params, ref: `heads/${branch}`, sha, force: false });
            }
            return 'updated';
        }
        catch (error) {
            // 422 "Update is not a fast forward" / "Reference already exists" and 409 are races; a protected branch or a missing permission is not.
            const rejection = (0,_domain_push_rejection_js__WEBPACK_IMPORTED_MODULE_5__/* .classifyApiRefRejection */ .T)(status(error), message(error), branch, this.description);
            if (rejection?.race)
                return 'rejected';
            if (rejection)
                throw new _git_js__WEBPACK_IMPORTED_MODULE_0__/* .PushRefusedError */ .zG(rejection.message);
            throw error;
        }
    }
}


/***/ })

};
