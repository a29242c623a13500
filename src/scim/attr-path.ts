import type { AttrPath } from './filter/ast.js';

/** Schema URNs are case-insensitive (RFC 7643 §2.1), attribute names too. */
const URN_PREFIX = 'urn:';

/**
 * Parses an attribute path without a value filter (RFC 7644 §3.10 `attrPath`):
 * `userName`, `name.givenName`, `urn:...:enterprise:2.0:User:manager.value`,
 * or a bare schema URN followed by nothing (`urn:...:enterprise:2.0:User`), which yields
 * `{ schema, attribute: '' }` so callers can treat it as "the whole extension".
 * Returns undefined when the text is not a valid path.
 */
export function parseAttrPath(text: string): AttrPath | undefined {
  let rest = text.trim();
  if (rest.length === 0) return undefined;
  let schema: string | undefined;
  if (rest.toLowerCase().startsWith(URN_PREFIX)) {
    // The attribute starts after the last ':' (URNs contain ':' but attribute names do not).
    const lastColon = rest.lastIndexOf(':');
    const tail = rest.slice(lastColon + 1);
    const dot = tail.indexOf('.');
    const firstSegment = dot === -1 ? tail : tail.slice(0, dot);
    if (namesAnAttributeAfterUrn(firstSegment, rest.slice(0, lastColon))) {
      schema = rest.slice(0, lastColon);
      rest = tail;
    } else {
      return { schema: rest, attribute: '' };
    }
  }
  const parts = rest.split('.');
  if (parts.length > 2) return undefined;
  const [attribute, subAttribute] = parts;
  if (attribute === undefined || !isAttrName(attribute)) return undefined;
  if (subAttribute !== undefined && !isAttrName(subAttribute)) return undefined;
  const path: AttrPath = { attribute };
  if (schema !== undefined) path.schema = schema;
  if (subAttribute !== undefined) path.subAttribute = subAttribute;
  return path;
}

/**
 * `urn:...:2.0:User` is a schema URN on its own; `urn:...:2.0:User:department` carries an
 * attribute. The last segment of a known schema URN is a resource name starting upper-case
 * (`User`, `Group`) right after a version segment.
 */
function namesAnAttributeAfterUrn(lastSegment: string, before: string): boolean {
  const previous = before.slice(before.lastIndexOf(':') + 1);
  const endsWithResourceName = /^\d+(\.\d+)*$/.test(previous) && /^[A-Z]/.test(lastSegment);
  return !endsWithResourceName;
}

/** RFC 7643 §2.1: ATTRNAME = ALPHA *(nameChar); nameChar = "-" / "_" / DIGIT / ALPHA. `$ref` is allowed too. */
export function isAttrName(name: string): boolean {
  return /^(\$ref|[A-Za-z][A-Za-z0-9_-]*)$/.test(name);
}

/** Renders a path back to its text form, for messages and map keys. */
export function formatAttrPath(path: AttrPath): string {
  const local = path.subAttribute ? `${path.attribute}.${path.subAttribute}` : path.attribute;
  if (!path.schema) return local;
  return local ? `${path.schema}:${local}` : path.schema;
}
