// Bundling only: the root tsconfig's `paths` map `@actions/http-client` here, and ncc resolves
// through them (Node, vitest and the sources' own imports are unaffected).
// @actions/core imports @actions/http-client — and through it undici, most of each bundle — at
// load time, for getIDToken alone. No action needs HTTP before its first output, so this stand-in
// loads the real client (a separate chunk) on the first request. It covers what the bundled
// packages use (@actions/core's OIDC client; @actions/tool-cache: get, getJson); an import of
// anything else fails the build (ncc reports the missing export), it never fails at run time.
import type * as Real from '../../node_modules/@actions/http-client/lib/index.js';
import type { RequestHandler, RequestOptions } from '../../node_modules/@actions/http-client/lib/interfaces.js';

let real: Promise<typeof Real> | undefined;
const load = (): Promise<typeof Real> => (real ??= import('../../node_modules/@actions/http-client/lib/index.js'));

type Client = Real.HttpClient;

/** `HttpClient` of @actions/http-client, created on the first call of a request method. */
export class HttpClient {
  #client: Promise<Client> | undefined;
  readonly #args: [string?, RequestHandler[]?, RequestOptions?];

  constructor(userAgent?: string, handlers?: RequestHandler[], requestOptions?: RequestOptions) {
    this.#args = [userAgent, handlers, requestOptions];
  }

  #real(): Promise<Client> {
    return (this.#client ??= load().then((m) => new m.HttpClient(...this.#args)));
  }

  async options(...a: Parameters<Client['options']>) { return (await this.#real()).options(...a); }
  async get(...a: Parameters<Client['get']>) { return (await this.#real()).get(...a); }
  async del(...a: Parameters<Client['del']>) { return (await this.#real()).del(...a); }
  async post(...a: Parameters<Client['post']>) { return (await this.#real()).post(...a); }
  async patch(...a: Parameters<Client['patch']>) { return (await this.#real()).patch(...a); }
  async put(...a: Parameters<Client['put']>) { return (await this.#real()).put(...a); }
  async head(...a: Parameters<Client['head']>) { return (await this.#real()).head(...a); }
  async sendStream(...a: Parameters<Client['sendStream']>) { return (await this.#real()).sendStream(...a); }
  async request(...a: Parameters<Client['request']>) { return (await this.#real()).request(...a); }
  async getJson<T>(...a: Parameters<Client['getJson']>) { return (await this.#real()).getJson<T>(...a); }
  async postJson<T>(...a: Parameters<Client['postJson']>) { return (await this.#real()).postJson<T>(...a); }
  async putJson<T>(...a: Parameters<Client['putJson']>) { return (await this.#real()).putJson<T>(...a); }
  async patchJson<T>(...a: Parameters<Client['patchJson']>) { return (await this.#real()).patchJson<T>(...a); }

  /** Nothing to release until a request created the real client. */
  dispose(): void {
    void this.#client?.then((c) => c.dispose());
  }
}
