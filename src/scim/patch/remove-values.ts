import { findDefinition, getProperty, isPlainObject } from '../attributes.js';
import { type ScimError, scimErrors } from '../errors.js';
import type { AttributeDefinition } from '../schema-types.js';
import { sameScalar } from './multi-valued.js';
import type { PatchTarget } from './patch-target.js';

type Scalar = string | number | boolean;

/**
 * A `remove` that carries a `value`. RFC 7644 §3.5.2.2 gives remove a path only, but Microsoft
 * Entra removes group members as `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}`.
 * That form is taken for any attribute whose values are named by a `value` sub-attribute
 * (members, emails, roles, the enterprise manager): the values whose `value` equals one given are
 * removed; naming none that is there changes nothing. Any other value would be ignored by the
 * remove, so it is refused rather than answered as done.
 * @throws ScimError invalidValue for a value the remove cannot act on, saying what it takes.
 */
export function removeByValue(target: PatchTarget, current: unknown, value: unknown): unknown {
  const definition = checkRemovableByValue(target);
  const given = givenValues(target, value);
  const valueDefinition = findDefinition(definition.subAttributes ?? [], 'value');
  const named = (element: unknown) =>
    isPlainObject(element) &&
    given.some((v) => sameScalar(getProperty(element, 'value'), v, valueDefinition));
  if (!definition.multiValued) return named(current) ? undefined : current;
  return Array.isArray(current) ? current.filter((element) => !named(element)) : current;
}

function checkRemovableByValue(target: PatchTarget): AttributeDefinition {
  if (target.filter || target.subName !== undefined) {
    throw invalid(target, 'takes no "value" when the path selects what to remove');
  }
  const definition = target.definition;
  if (definition?.type !== 'complex' || !findDefinition(definition.subAttributes ?? [], 'value')) {
    throw invalid(target, 'takes no "value": the whole attribute is removed by its path alone');
  }
  return definition;
}

/** `[{"value": x}, ...]`, one such object, or bare values (`["<id>"]`), as Entra and others send them. */
function givenValues(target: PatchTarget, value: unknown): Scalar[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    const named = isPlainObject(item) ? getProperty(item, 'value') : item;
    if (typeof named === 'string' || typeof named === 'number' || typeof named === 'boolean') return named;
    throw invalid(
      target,
      `with a "value" removes the values named by it, as [{"value": ...}]; to remove by another sub-attribute, put a filter in the path (${target.name}[type eq "work"])`,
    );
  });
}

function invalid(target: PatchTarget, reason: string): ScimError {
  return scimErrors.invalidValue(`"remove" of "${target.text}" ${reason}`);
}
