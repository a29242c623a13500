import { equalsIgnoreCase, findKey, getProperty, isPlainObject } from '../attributes.js';
import { scimErrors } from '../errors.js';
import type { ResourceSchema, SchemaDefinition } from '../schema-types.js';
import { applyToElements } from './apply-elements.js';
import { coerceAttributeValue } from './coerce-value.js';
import { addElements, keepSinglePrimary } from './multi-valued.js';
import { assertMutable } from './mutability.js';
import type { PatchOpName } from './parse-patch-request.js';
import type { PatchPath } from './patch-path.js';
import { ensureContainer, type PatchTarget, readContainer, resolveTarget } from './patch-target.js';
import { removeByValue } from './remove-values.js';
import { mergeInto, writeValue } from './values.js';

/**
 * Applies one operation to one attribute path (not a bare schema URN) of `resource`, in place.
 *
 * `schemas` is never patched: it lists the extensions the resource carries (RFC 7643 §3), so it is
 * kept in step with the extension objects instead, and operations naming it are ignored.
 * A `null` value unassigns the target on replace and adds nothing on add (RFC 7643 §2.5).
 */
export function applyToPath(
  resource: Record<string, unknown>,
  resourceSchema: ResourceSchema,
  op: PatchOpName,
  path: PatchPath,
  value: unknown,
): void {
  if (namesSchemas(path, resourceSchema)) return;
  const target = resolveTarget(resourceSchema, path);
  if (op !== 'remove' && value === null) {
    if (op === 'replace') applyToTarget(resource, target, 'remove', undefined);
    return;
  }
  applyToTarget(resource, target, op, value);
}

function applyToTarget(
  resource: Record<string, unknown>,
  target: PatchTarget,
  op: PatchOpName,
  value: unknown,
): void {
  const hadExtension = readContainer(resource, target.extension) !== undefined;
  const container =
    op === 'remove' ? readContainer(resource, target.extension) : ensureContainer(resource, target.extension);
  if (!container) return;
  const key = findKey(container, target.name) ?? target.name;
  const before = structuredClone(container[key]);
  writeValue(container, key, nextValue(target, op, structuredClone(before), value));
  assertMutable(target.definition, before, container[key], target.text);
  if (target.extension) syncExtension(resource, target.extension, hadExtension);
}

function nextValue(target: PatchTarget, op: PatchOpName, current: unknown, value: unknown): unknown {
  if (op === 'remove' && value !== undefined) return removeByValue(target, current, value);
  const multiValued = target.definition ? target.definition.multiValued : Array.isArray(current);
  if (target.filter || (target.subName !== undefined && multiValued)) {
    return applyToElements(target, op, current, value);
  }
  if (target.subName !== undefined) return applyToSubAttribute(target, target.subName, op, current, value);
  return applyToAttribute(target, op, current, value);
}

/**
 * The whole attribute (RFC 7644 §3.5.2.1–3). add appends to a multi-valued attribute and merges
 * into a complex one; replace substitutes a multi-valued attribute and merges into a complex one;
 * remove unassigns (a remove carrying a `value` is {@link removeByValue}'s). Merging starts afresh
 * when the complex value's `value` changes: the other sub-attributes described the old referent.
 */
function applyToAttribute(target: PatchTarget, op: PatchOpName, current: unknown, value: unknown): unknown {
  const definition = target.definition;
  const multiValued = definition ? definition.multiValued : Array.isArray(current) || Array.isArray(value);
  if (op === 'remove') return undefined;
  const incoming = definition ? coerceAttributeValue(definition, value, target.text) : value;
  if (multiValued) {
    const elements = op === 'add' ? asArray(current) : [];
    const written = addElements(elements, asArray(incoming), definition);
    keepSinglePrimary(elements, written);
    return elements;
  }
  if (isPlainObject(incoming) && (!definition || definition.type === 'complex')) {
    const keep = isPlainObject(current) && sameReferent(current, incoming);
    return mergeInto(keep ? current : {}, incoming);
  }
  return incoming;
}

/** `name.givenName`, `manager.value`: a sub-attribute of a single-valued complex attribute. */
function applyToSubAttribute(
  target: PatchTarget,
  subName: string,
  op: PatchOpName,
  current: unknown,
  value: unknown,
): unknown {
  if (current !== undefined && current !== null && !isPlainObject(current)) {
    throw scimErrors.invalidPath(`Invalid path "${target.text}": "${target.name}" holds a simple value`);
  }
  const object = isPlainObject(current) ? current : {};
  const before = structuredClone(getProperty(object, subName));
  const sub = target.subDefinition;
  let next: unknown;
  if (op !== 'remove') next = sub ? coerceAttributeValue(sub, value, target.text) : value;
  if (op === 'add' && sub?.multiValued) {
    const elements = asArray(before);
    addElements(elements, asArray(next), sub);
    next = elements;
  }
  writeValue(object, subName, next);
  assertMutable(sub, before, getProperty(object, subName), target.text);
  return object;
}

function sameReferent(current: Record<string, unknown>, incoming: Record<string, unknown>): boolean {
  const before = getProperty(current, 'value');
  const after = getProperty(incoming, 'value');
  return before === undefined || after === undefined || before === after;
}

/**
 * Drops an extension object left empty (RFC 7643 §2.5) and keeps `schemas` listing exactly the
 * extensions present (RFC 7643 §3), touching it only when this operation added or removed one.
 */
function syncExtension(
  resource: Record<string, unknown>,
  extension: SchemaDefinition,
  hadExtension: boolean,
): void {
  const container = readContainer(resource, extension);
  if (container && Object.keys(container).length === 0) writeValue(resource, extension.id, undefined);
  const hasExtension = readContainer(resource, extension) !== undefined;
  if (hasExtension === hadExtension) return;
  const schemas = getProperty(resource, 'schemas');
  if (!Array.isArray(schemas)) return;
  const others = schemas.filter((urn) => typeof urn !== 'string' || !equalsIgnoreCase(urn, extension.id));
  writeValue(resource, 'schemas', hasExtension ? [...others, extension.id] : others);
}

function namesSchemas(path: PatchPath, resourceSchema: ResourceSchema): boolean {
  const inCore = path.schema === undefined || equalsIgnoreCase(path.schema, resourceSchema.core.id);
  return inCore && equalsIgnoreCase(path.attribute, 'schemas');
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
