/** The order methods are listed in an Allow header. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface RouteEntry {
  url: string;
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * The methods each route offers, recorded from the routes as fastify registers them (an onRoute
 * hook), so that a request with another method on a known path can be answered 405 with an
 * `Allow` header (RFC 9110 §15.5.6) rather than 404.
 *
 * Paths are matched as the SCIM scope's router matches them: case-insensitively, ignoring
 * trailing and duplicate slashes; `:name` matches one segment and `*` the rest of the path.
 */
export class RouteMethods {
  private readonly routes = new Map<string, RouteEntry>();

  record(url: string, method: string | string[]): void {
    let entry = this.routes.get(url);
    if (!entry) {
      entry = { url, pattern: routePattern(url), methods: new Set() };
      this.routes.set(url, entry);
    }
    for (const m of Array.isArray(method) ? method : [method]) entry.methods.add(m.toUpperCase());
  }

  /** Every method some route offers for this path (no query string), in Allow-header order. */
  allowedFor(path: string): string[] {
    const normalized = normalizePath(path);
    const allowed = new Set<string>();
    for (const entry of this.routes.values()) {
      if (!entry.pattern.test(normalized)) continue;
      for (const method of entry.methods) allowed.add(method);
    }
    // Fastify answers HEAD wherever it answers GET.
    if (allowed.has('GET')) allowed.add('HEAD');
    return [...allowed].sort(byMethodOrder);
  }
}

function routePattern(url: string): RegExp {
  const segments = normalizePath(url)
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    });
  return new RegExp(`^${segments.join('/')}$`, 'i');
}

function normalizePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}

function byMethodOrder(a: string, b: string): number {
  const rank = (m: string) => {
    const index = METHOD_ORDER.indexOf(m);
    return index === -1 ? METHOD_ORDER.length : index;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}
