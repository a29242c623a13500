import { getProperty, isPlainObject } from '../attributes.js';
import { scimErrors } from '../errors.js';
import type { AttributeDefinition } from '../schema-types.js';
import { coerceAttributeValue, coerceElement } from './coerce-value.js';
import { keepSinglePrimary } from './multi-valued.js';
import { assertMutable } from './mutability.js';
import type { PatchOpName } from './parse-patch-request.js';
import type { PatchTarget } from './patch-target.js';
import { elementFromFilter, elementMatches } from './value-filter.js';
import { isUnassigned, mergeInto, writeValue } from './values.js';

/**
 * Applies an operation to selected elements of a multi-valued attribute: those matching the
 * path's value filter (`emails[type eq "work"]`), or all of them when the path names a
 * sub-attribute without a filter (`emails.type`). Works on `current` in place and returns the new
 * attribute value.
 *
 * - remove (RFC 7644 §3.5.2.2): drops the matching elements, or their sub-attribute; an element
 *   left empty is dropped. Nothing matching is not an error.
 * - add/replace with matches (RFC 7644 §3.5.2.3): sets the sub-attribute on every match; without
 *   a sub-attribute, add merges the value into each match and replace substitutes it, keeping the
 *   filter's `eq` sub-attributes the value leaves out (the replaced work email stays a work email).
 * - add/replace without matches: appends the element the filter describes, with the value
 *   applied. RFC 7644 §3.5.2.3 asks for `noTarget` here, but Microsoft Entra creates work emails
 *   and the like this way; `noTarget` remains for filters that describe no single element.
 */
export function applyToElements(
  target: PatchTarget,
  op: PatchOpName,
  current: unknown,
  value: unknown,
): unknown[] {
  const elements = current === undefined ? [] : Array.isArray(current) ? current : [current];
  const { definition, filter } = target;
  const matched = elements.flatMap((element, index) =>
    !filter || (definition && elementMatches(filter, element, definition)) ? [index] : [],
  );

  if (op === 'remove') {
    if (target.subName === undefined) return elements.filter((_, index) => !matched.includes(index));
    for (const index of matched) setSubAttribute(target, target.subName, elements[index], undefined);
    return elements.filter((element, index) => !(matched.includes(index) && isUnassigned(element)));
  }

  if (matched.length === 0) {
    const element = newElement(target, value);
    elements.push(element);
    keepSinglePrimary(elements, [element]);
    return elements;
  }
  for (const index of matched) {
    const before = elements[index];
    if (target.subName !== undefined) {
      setSubAttribute(target, target.subName, before, value);
      continue;
    }
    const snapshot = structuredClone(before);
    const after = updatedElement(target, op, before, value);
    if (definition) assertMutable({ ...definition, multiValued: false }, snapshot, after, target.text);
    elements[index] = after;
  }
  const written = matched.map((index) => elements[index]);
  keepSinglePrimary(elements, written);
  return elements;
}

function setSubAttribute(target: PatchTarget, subName: string, element: unknown, value: unknown): void {
  if (!isPlainObject(element)) return;
  const before = structuredClone(getProperty(element, subName));
  const sub = target.subDefinition;
  const next = value === undefined || !sub ? value : coerceAttributeValue(sub, value, target.text);
  writeValue(element, subName, next);
  assertMutable(sub, before, getProperty(element, subName), target.text);
}

function updatedElement(target: PatchTarget, op: PatchOpName, element: unknown, value: unknown): unknown {
  const incoming = coerceOne(target.definition, single(value), target.text);
  if (!isPlainObject(incoming)) return incoming;
  if (op === 'add' && isPlainObject(element)) return mergeInto(element, incoming);
  return mergeInto(describedElement(target) ?? {}, incoming);
}

function newElement(target: PatchTarget, value: unknown): unknown {
  const { definition } = target;
  const described = describedElement(target);
  if (!described) {
    throw scimErrors.noTarget(
      `No value of "${target.name}" matches "${target.text}", and the filter does not describe one to create`,
    );
  }
  if (definition && definition.type !== 'complex') {
    return coerceElement(definition, single(value), target.text);
  }
  if (target.subName !== undefined) {
    setSubAttribute(target, target.subName, described, value);
    return described;
  }
  const incoming = coerceOne(definition, single(value), target.text);
  if (!isPlainObject(incoming)) {
    throw scimErrors.invalidValue(`"${target.text}" expects an object of sub-attributes`);
  }
  return mergeInto(described, incoming);
}

/**
 * The element the path's filter describes, its values coerced like any other (`primary eq "true"`
 * yields a boolean); `{}` without a filter, undefined when the filter describes no single element.
 */
function describedElement(target: PatchTarget): Record<string, unknown> | undefined {
  const { definition, filter } = target;
  if (!filter || !definition) return {};
  const described = elementFromFilter(filter, definition);
  if (!described || definition.type !== 'complex') return described;
  const coerced = coerceElement(definition, described, target.text);
  return isPlainObject(coerced) ? coerced : undefined;
}

function coerceOne(definition: AttributeDefinition | undefined, value: unknown, where: string): unknown {
  return definition ? coerceElement(definition, value, where) : value;
}

/** A one-element array where one element was meant: some clients wrap every value in an array. */
function single(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 ? value[0] : value;
}
