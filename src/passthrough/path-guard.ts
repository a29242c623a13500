/**
 * Whether a request path that the router sent to the passthrough could still be read as a SCIM
 * path by the app or by anything between the sidecar and the app. The router already sends
 * every plain spelling of the SCIM base path (any case, doubled or trailing slashes, percent-
 * encoded unreserved characters) to the authenticated SCIM scope; what is left here are the
 * spellings other HTTP stacks may normalise differently: encoded slashes or backslashes (%2F,
 * %5C, \), dot segments (/x/../scim, %2e%2e), double encoding (%252F), `;` path parameters
 * (Tomcat), trailing dots or spaces in a segment (IIS). Such a request is refused, never
 * forwarded: it cannot be a legitimate call to the app's own pages.
 */
export function looksLikeScimPath(rawUrl: string, basePath: string): boolean {
  const base = canonicalSegments(basePath);
  if (base.length === 0) return false;
  const path = canonicalSegments(pathPart(rawUrl));
  if (path.length < base.length) return false;
  return base.every((segment, i) => segment === path[i]);
}

/** The path of a request target: origin form (`/a?b`) or absolute form (`http://h/a?b`). */
function pathPart(rawUrl: string): string {
  let target = rawUrl;
  if (!target.startsWith('/')) {
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    target = scheme ? target.slice(scheme[0].length) || '/' : `/${target}`;
  }
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

const MAX_DECODE_ROUNDS = 4;

/** Lower-cased segments after decoding, separator folding and dot-segment removal. */
function canonicalSegments(path: string): string[] {
  let decoded = path;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = decodeLeniently(decoded);
    if (next === decoded) break;
    decoded = next;
  }
  const out: string[] = [];
  for (const raw of decoded.replaceAll('\\', '/').split('/')) {
    // `;params` end a segment for servlet containers; IIS ignores trailing dots and spaces.
    const segment = (raw.split(';')[0] ?? '').toLowerCase();
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    const trimmed = segment.replace(/[. ]+$/, '');
    if (trimmed !== '') out.push(trimmed);
  }
  return out;
}

/** Decodes every valid %XX (as UTF-8 where possible), leaving malformed escapes as they are. */
function decodeLeniently(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  }
}
