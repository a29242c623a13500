import { equalsIgnoreCase, getProperty, isPlainObject } from '../attributes.js';
import { scimErrors } from '../errors.js';
import { withOperationIndex } from './operation-index.js';
import { type PatchPath, parsePatchPath } from './patch-path.js';

/** RFC 7644 §3.5.2: the schema URN every PATCH request body declares. */
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Default cap on operations per request, so one request cannot pin the adapter. */
export const DEFAULT_MAX_PATCH_OPERATIONS = 1000;

export type PatchOpName = 'add' | 'replace' | 'remove';

/** One validated PATCH operation; `op` is lower-case whatever case the client used. */
export interface PatchOperation {
  op: PatchOpName;
  /** Absent for path-less add/replace, whose `value` is then an object of attributes. */
  path?: PatchPath;
  value?: unknown;
}

export interface ParsePatchOptions {
  /** Requests with more operations than this are refused; defaults to {@link DEFAULT_MAX_PATCH_OPERATIONS}. */
  maxOperations?: number;
}

const OP_NAMES: ReadonlySet<string> = new Set<PatchOpName>(['add', 'replace', 'remove']);

/**
 * Validates a PATCH request body (RFC 7644 §3.5.2) and returns its operations in order.
 *
 * Leniency, because real clients need it: the PatchOp schema URN, member names (`Operations`,
 * `op`, `path`, `value`) and op names (`Replace`) are all matched case-insensitively. An empty
 * `path` string counts as no path.
 *
 * Errors: `invalidSyntax` for a malformed message or unknown op, `noTarget` for remove without
 * path (RFC 7644 §3.5.2.2), `invalidValue` for add/replace without a usable value, and
 * `invalidPath` for a path that does not parse. Messages name the operation's index.
 */
export function parsePatchRequest(body: unknown, options: ParsePatchOptions = {}): PatchOperation[] {
  if (!isPlainObject(body)) throw scimErrors.invalidSyntax('The PATCH request body must be a JSON object');
  const schemas = getProperty(body, 'schemas');
  const declared =
    Array.isArray(schemas) &&
    schemas.some((s) => typeof s === 'string' && equalsIgnoreCase(s, PATCH_OP_SCHEMA));
  if (!declared) {
    throw scimErrors.invalidSyntax(`The PATCH request "schemas" must contain "${PATCH_OP_SCHEMA}"`);
  }

  const operations = getProperty(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw scimErrors.invalidSyntax('The PATCH request must have a non-empty "Operations" array');
  }
  const max = options.maxOperations ?? DEFAULT_MAX_PATCH_OPERATIONS;
  if (operations.length > max) {
    throw scimErrors.invalidSyntax(
      `The PATCH request has ${operations.length} operations; at most ${max} are accepted per request`,
    );
  }
  return operations.map((raw, index) => withOperationIndex(index, () => parseOperation(raw)));
}

function parseOperation(raw: unknown): PatchOperation {
  if (!isPlainObject(raw)) throw scimErrors.invalidSyntax('each operation must be a JSON object');
  const opText = getProperty(raw, 'op');
  const op = typeof opText === 'string' ? opText.trim().toLowerCase() : undefined;
  if (op === undefined || !isOpName(op)) {
    throw scimErrors.invalidSyntax(
      `unsupported op ${JSON.stringify(opText ?? null)}; expected "add", "replace" or "remove"`,
    );
  }

  const path = parsePathMember(getProperty(raw, 'path'));
  const value = getProperty(raw, 'value');
  const operation: PatchOperation = { op };
  if (path) operation.path = path;
  if (value !== undefined) operation.value = value;

  if (op === 'remove') {
    // RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation fails ... "noTarget"".
    if (!path) throw scimErrors.noTarget('"remove" requires a "path"');
    // RFC 7643 §2.5: null is no value, so this is the plain remove of the path.
    if (operation.value === null) delete operation.value;
    return operation;
  }
  // RFC 7644 §3.5.2.1 / §3.5.2.3: add and replace carry a "value".
  if (value === undefined) throw scimErrors.invalidValue(`"${op}" requires a "value"`);
  if (!path && !isPlainObject(value)) {
    throw scimErrors.invalidValue(`"${op}" without a "path" needs a "value" that is an object of attributes`);
  }
  return operation;
}

function parsePathMember(raw: unknown): PatchPath | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw scimErrors.invalidPath('"path" must be a string');
  if (raw.trim() === '') return undefined;
  return parsePatchPath(raw);
}

function isOpName(op: string): op is PatchOpName {
  return OP_NAMES.has(op);
}
