import { isAttrName, parseAttrPath } from '../attr-path.js';
import { isScimError, type ScimError, scimErrors } from '../errors.js';
import type { Filter } from '../filter/ast.js';
import { parseValueFilter } from '../filter/index.js';

/**
 * The target of a PATCH operation (RFC 7644 §3.5.2, `PATH = attrPath / valuePath [subAttr]`).
 *
 * - `name.givenName`: `attribute` "name", `subAttribute` "givenName".
 * - `emails[type eq "work"].value`: `attribute` "emails", `filter` the bracket content, `subAttribute` "value".
 * - `urn:...:enterprise:2.0:User:manager.value`: `schema` the URN, `attribute` "manager", `subAttribute` "value".
 * - `urn:...:enterprise:2.0:User` alone: `schema` the URN and `attribute` '' (the whole extension).
 */
export interface PatchPath {
  /** The path as the client wrote it, for error messages. */
  text: string;
  /** Set only when the path was written with a schema URN prefix. */
  schema?: string;
  attribute: string;
  /** Selects elements of a multi-valued attribute; its attribute names are relative to one element. */
  filter?: Filter;
  subAttribute?: string;
}

/**
 * Parses a PATCH `path` (RFC 7644 §3.5.2). Attribute names keep the case they were written in;
 * matching them against the schema is case-insensitive and happens when the patch is applied.
 * Throws `invalidPath` naming the path when it is not well-formed or its value filter is invalid.
 */
export function parsePatchPath(text: string): PatchPath {
  const trimmed = text.trim();
  const open = trimmed.indexOf('[');
  if (open === -1) {
    const attrPath = parseAttrPath(trimmed);
    if (!attrPath) throw invalidPath(trimmed, 'not an attribute path');
    return { text: trimmed, ...attrPath };
  }

  const head = parseAttrPath(trimmed.slice(0, open));
  if (!head || head.attribute === '' || head.subAttribute !== undefined) {
    throw invalidPath(trimmed, 'a value filter must follow the name of a multi-valued attribute');
  }
  const close = closingBracket(trimmed, open);
  if (close === -1) throw invalidPath(trimmed, "'[' is not closed");
  const filterText = trimmed.slice(open + 1, close);
  if (filterText.trim() === '') throw invalidPath(trimmed, 'the value filter is empty');

  const path: PatchPath = { text: trimmed, ...head, filter: parseElementFilter(filterText, trimmed) };
  const rest = trimmed.slice(close + 1);
  if (rest === '') return path;
  // RFC 7644 §3.5.2: only `"." ATTRNAME` may follow the closing bracket.
  const subAttribute = rest.startsWith('.') ? rest.slice(1) : '';
  if (!isAttrName(subAttribute)) throw invalidPath(trimmed, `unexpected '${rest}' after the value filter`);
  path.subAttribute = subAttribute;
  return path;
}

/** Index of the `]` matching the `[` at `open`, skipping brackets inside JSON string literals; -1 if none. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else if (ch === '[') {
      depth++;
    } else if (ch === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function parseElementFilter(filterText: string, pathText: string): Filter {
  try {
    return parseValueFilter(filterText);
  } catch (error) {
    // A broken value filter makes the whole path unusable: RFC 7644 §3.5.2 answers invalidPath, not invalidFilter.
    if (isScimError(error)) throw invalidPath(pathText, error.message);
    throw error;
  }
}

function invalidPath(pathText: string, reason: string): ScimError {
  return scimErrors.invalidPath(`Invalid path "${pathText}": ${reason}`);
}
