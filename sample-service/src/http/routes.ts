/**
 * The fixed route table and the closed label sets of the HTTP metrics (README.md, "HTTP endpoints" and "Metrics").
 *
 * Label values come only from these constants: a raw path, a query string or an unknown method can
 * never become a label value, so cardinality is bounded by handlers × methods × statuses emitted.
 */

/** `handler` label values: registered route templates, plus `unmatched` for every other path. */
export const HANDLERS = ['/', '/livez', '/readyz', '/metrics', '/admin/flags', '/admin/flags/reset', 'unmatched'] as const;
export type Handler = (typeof HANDLERS)[number];

/** `method` label values; anything else is counted as `OTHER`. */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER'] as const;
export type MethodLabel = (typeof METHODS)[number];

/** Maps the request method to its closed label value. */
export function methodLabel(method: string | undefined): MethodLabel {
  switch (method) {
    case 'GET': case 'HEAD': case 'POST': case 'PUT': case 'PATCH': case 'DELETE': case 'OPTIONS':
      return method;
    default:
      return 'OTHER';
  }
}

/** Methods each handler accepts (HEAD wherever GET is); the 405 `Allow` header lists them. */
export const ALLOWED_METHODS: Readonly<Record<Exclude<Handler, 'unmatched'>, readonly string[]>> = {
  '/': ['GET', 'HEAD'],
  '/livez': ['GET', 'HEAD'],
  '/readyz': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
  '/admin/flags': ['GET', 'HEAD', 'POST'],
  '/admin/flags/reset': ['POST'],
};

/**
 * Path (query string already removed) → handler. The admin routes exist only when enabled; when they
 * do not, `/admin/*` is an ordinary unknown path (404, `unmatched`).
 */
export function matchHandler(path: string, adminEnabled: boolean): Handler {
  switch (path) {
    case '/': case '/livez': case '/readyz': case '/metrics':
      return path;
    case '/admin/flags': case '/admin/flags/reset':
      return adminEnabled ? path : 'unmatched';
    default:
      return 'unmatched';
  }
}
