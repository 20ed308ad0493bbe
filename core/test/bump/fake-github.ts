import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A loopback FAKE of the GitHub REST API (and the one GraphQL mutation the bump uses), for tests
 * only. Git Data endpoints are backed by a real bare repository (blobs, trees, commits and refs are
 * real git objects, so results can be checked with git); pull requests live in memory. Response
 * shapes follow https://docs.github.com/en/rest (only the fields the bump reads).
 */

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  labels: string[];
}

export interface FakeRequest {
  method: string;
  path: string;
  at: number;
}

export interface Injected {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export interface FakeGitHub {
  apiUrl: string;
  owner: string;
  repo: string;
  pulls: FakePull[];
  requests: FakeRequest[];
  /** Answer the next request matching `method` and `path` with `response` instead (once). */
  failNext(method: string, path: RegExp, response: Injected): void;
  /** Run `fn` once, just before the next ref update is applied (to simulate a concurrent push). */
  beforeNextRefUpdate(fn: () => void): void;
  /** Whether the repository allows auto-merge (default false: the mutation is refused, as on a repository where it is off). */
  autoMergeAllowed: boolean;
  /** [PR number, merge method] of every auto-merge enabled. */
  autoMergeEnabled: Array<[number, string]>;
  close(): Promise<void>;
}

function git(bare: string, args: string[], input?: string | Buffer, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', args, { cwd: bare, input, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

function tryGit(bare: string, args: string[]): string | undefined {
  try {
    return git(bare, args);
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startFakeGitHub(options: { bare: string; owner?: string; repo?: string; token: string }): Promise<FakeGitHub> {
  const { bare, token } = options;
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'gitops';
  const pulls: FakePull[] = [];
  const requests: FakeRequest[] = [];
  const injected: Array<{ method: string; path: RegExp; response: Injected }> = [];
  let beforeRefUpdate: (() => void) | undefined;
  const state = { autoMergeAllowed: false, autoMergeEnabled: [] as Array<[number, string]> };
  const tmp = mkdtempSync(join(tmpdir(), 'fake-github-'));
  let baseUrl = '';

  const pullJson = (p: FakePull) => ({
    number: p.number,
    html_url: `https://github.example/${owner}/${repo}/pull/${p.number}`,
    node_id: `PR_node_${p.number}`,
    title: p.title,
    body: p.body,
    state: p.state,
    head: { ref: p.head, sha: tryGit(bare, ['rev-parse', `refs/heads/${p.head}`]) ?? '' },
    base: { ref: p.base },
    labels: p.labels.map((name) => ({ name })),
  });

  /** Runs the `beforeNextRefUpdate` hook once, before a ref route reads or moves the ref. */
  const runRefUpdateHook = (): void => {
    const hook = beforeRefUpdate;
    beforeRefUpdate = undefined;
    hook?.();
  };

  async function route(method: string, path: string, query: URLSearchParams, req: IncomingMessage): Promise<[number, unknown]> {
    const prefix = `/repos/${owner}/${repo}`;
    if (method === 'POST' && path === '/graphql') {
      const body = await readBody(req);
      const variables = (body.variables ?? {}) as Record<string, unknown>;
      const id = String(variables.pullRequestId ?? '');
      if (!state.autoMergeAllowed) return [200, { data: null, errors: [{ type: 'UNPROCESSABLE', message: 'Pull request Auto merge is not allowed for this repository' }] }];
      state.autoMergeEnabled.push([Number(id.replace('PR_node_', '')), String(variables.mergeMethod)]);
      return [200, { data: { enablePullRequestAutoMerge: { clientMutationId: null } } }];
    }
    if (!path.startsWith(prefix)) return [404, { message: 'Not Found' }];
    const rest = path.slice(prefix.length);
    let m: RegExpExecArray | null;
    if (method === 'GET' && rest === '') return [200, { default_branch: git(bare, ['symbolic-ref', '--short', 'HEAD']) }];
    if (method === 'GET' && (m = /^\/git\/ref\/heads\/(.+)$/.exec(rest))) {
      const sha = tryGit(bare, ['rev-parse', '--verify', `refs/heads/${m[1]}`]);
      return sha ? [200, { ref: `refs/heads/${m[1]}`, object: { sha, type: 'commit' } }] : [404, { message: 'Not Found' }];
    }
    if (method === 'POST' && rest === '/git/refs') {
      const body = await readBody(req);
      const ref = String(body.ref);
      if (tryGit(bare, ['rev-parse', '--verify', ref])) return [422, { message: 'Reference already exists' }];
      try {
        runRefUpdateHook();
        git(bare, ['update-ref', ref, String(body.sha), '']);
      } catch {
        return [422, { message: 'Reference already exists' }];
      }
      return [201, { ref, object: { sha: body.sha } }];
    }
    if (method === 'PATCH' && (m = /^\/git\/refs\/heads\/(.+)$/.exec(rest))) {
      const body = await readBody(req);
      const branch = m[1]!;
      const sha = String(body.sha);
      runRefUpdateHook();
      const current = tryGit(bare, ['rev-parse', '--verify', `refs/heads/${branch}`]);
      if (!current) return [422, { message: 'Reference does not exist' }];
      if (body.force !== true && tryGit(bare, ['merge-base', '--is-ancestor', current, sha]) === undefined) return [422, { message: 'Update is not a fast forward' }];
      git(bare, ['update-ref', `refs/heads/${branch}`, sha, current]);
      return [200, { ref: `refs/heads/${branch}`, object: { sha } }];
    }
    if (method === 'GET' && (m = /^\/compare\/([0-9a-f]+)\.\.\.([0-9a-f]+)$/.exec(rest))) {
      const [, baseSha, headSha] = m;
      const status = baseSha === headSha ? 'identical'
        : tryGit(bare, ['merge-base', '--is-ancestor', headSha!, baseSha!]) !== undefined ? 'behind'
          : tryGit(bare, ['merge-base', '--is-ancestor', baseSha!, headSha!]) !== undefined ? 'ahead' : 'diverged';
      // Head's commits since the merge base, oldest first, as GitHub lists them.
      const log = git(bare, ['log', '-z', '--reverse', '--format=%H%x00%an%x00%ae%x00%B', `${baseSha}..${headSha}`]).split('\0');
      const commits = [];
      for (let i = 0; i + 3 < log.length; i += 4) commits.push({ sha: log[i]!.trim(), commit: { author: { name: log[i + 1], email: log[i + 2] }, message: log[i + 3] } });
      return [200, { status, commits }];
    }
    if (method === 'GET' && (m = /^\/git\/trees\/([0-9a-f]{40})$/.exec(rest))) {
      const lines = git(bare, ['ls-tree', ...(query.get('recursive') ? ['-r'] : []), m[1]!]).split('\n').filter(Boolean);
      return [200, { sha: m[1], truncated: false, tree: lines.map((l) => { const [meta, p] = l.split('\t'); const [mode, type, sha] = meta!.split(' '); return { path: p, mode, type, sha }; }) }];
    }
    if (method === 'GET' && (m = /^\/contents\/(.+)$/.exec(rest))) {
      const ref = query.get('ref') ?? 'HEAD';
      const line = tryGit(bare, ['ls-tree', ref, '--', m[1]!]);
      if (!line) return [404, { message: 'Not Found' }];
      const [meta] = line.split('\t');
      const [mode, type, sha] = meta!.split(' ');
      if (type === 'tree') return [200, []];
      const content = execFileSync('git', ['cat-file', 'blob', sha!], { cwd: bare });
      return [200, { type: mode === '120000' ? 'symlink' : 'file', encoding: 'base64', content: content.toString('base64'), sha, path: m[1] }];
    }
    if (method === 'POST' && rest === '/git/blobs') {
      const body = await readBody(req);
      const content = Buffer.from(String(body.content), body.encoding === 'base64' ? 'base64' : 'utf8');
      return [201, { sha: git(bare, ['hash-object', '-w', '--stdin'], content) }];
    }
    if (method === 'GET' && (m = /^\/git\/commits\/([0-9a-f]{40})$/.exec(rest))) {
      return [200, { sha: m[1], tree: { sha: git(bare, ['rev-parse', `${m[1]}^{tree}`]) } }];
    }
    if (method === 'POST' && rest === '/git/trees') {
      const body = await readBody(req);
      const index = join(tmp, `index-${Date.now()}-${Math.random()}`);
      const env = { GIT_INDEX_FILE: index };
      git(bare, ['read-tree', String(body.base_tree)], undefined, env);
      for (const e of body.tree as Array<{ path: string; mode: string; sha: string }>) git(bare, ['update-index', '--add', '--cacheinfo', `${e.mode},${e.sha},${e.path}`], undefined, env);
      const sha = git(bare, ['write-tree'], undefined, env);
      rmSync(index, { force: true });
      return [201, { sha }];
    }
    if (method === 'POST' && rest === '/git/commits') {
      const body = await readBody(req);
      const author = body.author as { name: string; email: string } | undefined;
      const env = {
        GIT_AUTHOR_NAME: author?.name ?? 'fake-bot', GIT_AUTHOR_EMAIL: author?.email ?? 'fake-bot@example.com',
        GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.com',
      };
      const parents = (body.parents as string[]).flatMap((p) => ['-p', p]);
      return [201, { sha: git(bare, ['commit-tree', String(body.tree), ...parents, '-F', '-'], String(body.message), env), verification: { verified: true } }];
    }
    if (method === 'GET' && rest === '/pulls') {
      const head = query.get('head');
      const list = pulls.filter((p) => (!query.get('state') || query.get('state') === 'all' || p.state === query.get('state'))
        && (!head || `${owner}:${p.head}` === head) && (!query.get('base') || p.base === query.get('base')));
      return [200, list.map(pullJson)];
    }
    if (method === 'POST' && rest === '/pulls') {
      const body = await readBody(req);
      if (pulls.some((p) => p.state === 'open' && p.head === body.head && p.base === body.base)) {
        return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${String(body.head)}.` }] }];
      }
      const pr: FakePull = { number: pulls.length + 1, title: String(body.title), body: String(body.body ?? ''), head: String(body.head), base: String(body.base), state: 'open', labels: [] };
      pulls.push(pr);
      return [201, pullJson(pr)];
    }
    if (method === 'PATCH' && (m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const pr = pulls.find((p) => p.number === Number(m![1]));
      if (!pr) return [404, { message: 'Not Found' }];
      const body = await readBody(req);
      if (typeof body.title === 'string') pr.title = body.title;
      if (typeof body.body === 'string') pr.body = body.body;
      return [200, pullJson(pr)];
    }
    if (method === 'POST' && (m = /^\/issues\/(\d+)\/labels$/.exec(rest))) {
      const pr = pulls.find((p) => p.number === Number(m![1]));
      if (!pr) return [404, { message: 'Not Found' }];
      const body = await readBody(req);
      for (const l of body.labels as string[]) if (!pr.labels.includes(l)) pr.labels.push(l);
      return [200, pr.labels.map((name) => ({ name }))];
    }
    return [404, { message: `Not Found (fake has no ${method} ${rest})` }];
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    requests.push({ method, path, at: Date.now() });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `token ${token}`) return send(401, { message: 'Bad credentials' });
    const i = injected.findIndex((x) => x.method === method && x.path.test(path));
    if (i >= 0) {
      const [hit] = injected.splice(i, 1);
      req.resume();
      return send(hit!.response.status, hit!.response.body, hit!.response.headers);
    }
    route(method, path, url.searchParams, req).then(([status, body]) => send(status, body), (error: Error) => send(500, { message: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: baseUrl,
    owner,
    repo,
    pulls,
    requests,
    failNext: (method, path, response) => { injected.push({ method, path, response }); },
    beforeNextRefUpdate: (fn) => { beforeRefUpdate = fn; },
    get autoMergeAllowed() { return state.autoMergeAllowed; },
    set autoMergeAllowed(v: boolean) { state.autoMergeAllowed = v; },
    autoMergeEnabled: state.autoMergeEnabled,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      rmSync(tmp, { recursive: true, force: true });
    }),
  };
}
