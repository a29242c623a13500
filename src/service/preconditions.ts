/**
 * RFC 7232 entity-tag lists as SCIM clients send them in If-Match and If-None-Match: `*`, or
 * comma-separated tags, weak (`W/"..."`) or strong. SCIM versions are weak ETags (RFC 7644 §3.14
 * sends them back in If-Match), so tags are compared weakly: by their opaque part.
 */
export function matchesEntityTag(header: string, versions: readonly string[]): boolean {
  const listed = parseEntityTags(header);
  if (listed === '*') return versions.length > 0;
  const current = new Set(versions.map(opaqueTag));
  return listed.some((tag) => current.has(tag));
}

/** `*`, or the opaque parts (quotes included) of the listed tags; malformed members are skipped. */
function parseEntityTags(header: string): '*' | string[] {
  if (header.trim() === '*') return '*';
  const tags: string[] = [];
  for (const match of header.matchAll(/(?:W\/)?("[^"]*")/g)) {
    if (match[1] !== undefined) tags.push(match[1]);
  }
  return tags;
}

function opaqueTag(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
