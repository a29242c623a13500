import { isDeepStrictEqual } from 'node:util';
import { isPlainObject } from '../attributes.js';
import { scimErrors } from '../errors.js';
import type { ResourceSchema, ScimResource } from '../schema-types.js';
import { applyToPath } from './apply-path.js';
import { withOperationIndex } from './operation-index.js';
import type { PatchOperation, PatchOpName } from './parse-patch-request.js';
import { type PatchPath, parsePatchPath } from './patch-path.js';
import { findSchema, readContainer } from './patch-target.js';

/** The outcome of {@link applyPatch}. */
export interface PatchResult {
  resource: ScimResource;
  /** False when the operations left the resource as it was: the caller then skips the write. */
  changed: boolean;
}

/**
 * Applies PATCH operations (RFC 7644 §3.5.2) to a copy of a SCIM resource, in order. The input is
 * never modified, and either every operation applies or a ScimError (naming the operation's
 * index) is thrown, as RFC 7644 §3.5.2 requires ("the entire request fails").
 *
 * Attribute names match the schema case-insensitively and keep the resource's existing key, or
 * the schema's spelling for a new one. Attributes the schema does not define are stored as sent;
 * the mapping decides what reaches the application. See `applyToPath` and `applyToElements` for
 * the per-path rules.
 */
export function applyPatch(
  resource: ScimResource,
  operations: PatchOperation[],
  schema: ResourceSchema,
): PatchResult {
  const patched = structuredClone(resource);
  operations.forEach((operation, index) => {
    withOperationIndex(index, () =>
      applyOperation(patched, schema, operation.op, operation.path, operation.value),
    );
  });
  return { resource: patched, changed: !isDeepStrictEqual(resource, patched) };
}

function applyOperation(
  resource: ScimResource,
  schema: ResourceSchema,
  op: PatchOpName,
  path: PatchPath | undefined,
  value: unknown,
): void {
  if (!path) {
    applyAttributeSet(resource, schema, op, value, undefined);
    return;
  }
  if (path.attribute !== '') {
    applyToPath(resource, schema, op, path, value);
    return;
  }
  // A bare schema URN: the operation addresses every attribute of that schema.
  const target = findSchema(schema, path.schema ?? '');
  if (!target) throw scimErrors.invalidPath(`Invalid path "${path.text}": unknown schema`);
  if (op !== 'remove') {
    applyAttributeSet(resource, schema, op, value, target.id);
    return;
  }
  if (target === schema.core) {
    throw scimErrors.invalidPath(`Invalid path "${path.text}": the core schema cannot be removed`);
  }
  for (const attribute of Object.keys(readContainer(resource, target) ?? {})) {
    applyToPath(
      resource,
      schema,
      'remove',
      { text: `${target.id}:${attribute}`, schema: target.id, attribute },
      undefined,
    );
  }
}

/**
 * The `value` of a path-less add or replace (RFC 7644 §3.5.2.1, §3.5.2.3), or of one addressing a
 * whole schema URN: an object whose members are applied one by one, as if each were an operation
 * with its own path. Member names come in every form clients use: `displayName`,
 * `urn:...:enterprise:2.0:User:department`, an extension URN holding an object of its
 * attributes, and the paths Microsoft Entra sends in this position (`name.givenName`,
 * `emails[type eq "work"].value`).
 */
function applyAttributeSet(
  resource: ScimResource,
  schema: ResourceSchema,
  op: PatchOpName,
  value: unknown,
  urn: string | undefined,
): void {
  if (!isPlainObject(value)) {
    throw scimErrors.invalidValue(
      `"${op}" of ${urn ? `"${urn}"` : 'the resource'} needs an object of attributes`,
    );
  }
  for (const [name, member] of Object.entries(value)) {
    const extension = urn === undefined ? findSchema(schema, name) : undefined;
    if (extension) {
      applyAttributeSet(resource, schema, op, member, extension.id);
      continue;
    }
    const path = parsePatchPath(urn === undefined ? name : `${urn}:${name}`);
    applyOperation(resource, schema, op, path, member);
  }
}
