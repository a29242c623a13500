import { findDefinition, isPlainObject } from '../attributes.js';
import { isScimError, scimErrors } from '../errors.js';
import type { Filter } from '../filter/ast.js';
import { evaluateFilter } from '../filter/index.js';
import type { AttributeDefinition, ResourceSchema } from '../schema-types.js';

/**
 * Whether one element of a multi-valued attribute matches the value filter of a PATCH path
 * (RFC 7644 §3.5.2). Elements of a simple multi-valued attribute are seen as `{ value: element }`,
 * as RFC 7644 §3.4.2.2 filters them.
 */
export function elementMatches(filter: Filter, element: unknown, definition: AttributeDefinition): boolean {
  const complex = definition.type === 'complex';
  const subject = complex ? element : { value: element };
  if (!isPlainObject(subject)) return false;
  try {
    return evaluateFilter(filter, subject, elementSchema(definition));
  } catch (error) {
    // RFC 7644 §3.5.2: a PATCH path whose filter cannot be applied is an invalid path.
    if (isScimError(error))
      throw scimErrors.invalidPath(`Invalid value filter on "${definition.name}": ${error.message}`);
    throw error;
  }
}

/**
 * The element a value filter describes, built from its `eq` comparisons joined by `and`:
 * `type eq "work"` yields `{ type: "work" }`. Undefined when the filter says anything else
 * (`or`, `co`, `not`, ...), since then no single element follows from it.
 *
 * Microsoft Entra relies on this: it sends `emails[type eq "work"].value` for a user who has
 * no work email yet and expects one to be created.
 */
export function elementFromFilter(
  filter: Filter,
  definition: AttributeDefinition,
): Record<string, unknown> | undefined {
  const subAttributes = elementSchema(definition).core.attributes;
  const element: Record<string, unknown> = {};
  const collect = (node: Filter): boolean => {
    if (node.kind === 'and') return collect(node.left) && collect(node.right);
    if (node.kind !== 'compare' || node.op !== 'eq' || node.value === null) return false;
    if (node.path.schema !== undefined || node.path.subAttribute !== undefined) return false;
    const name = findDefinition(subAttributes, node.path.attribute)?.name ?? node.path.attribute;
    if (Object.hasOwn(element, name) && element[name] !== node.value) return false;
    element[name] = node.value;
    return true;
  };
  return collect(filter) ? element : undefined;
}

/** The sub-attributes of a multi-valued attribute, shaped as a schema the filter evaluator takes. */
function elementSchema(definition: AttributeDefinition): ResourceSchema {
  const attributes =
    definition.type === 'complex'
      ? (definition.subAttributes ?? [])
      : [{ ...definition, name: 'value', multiValued: false, subAttributes: [] }];
  return {
    resourceType: definition.name,
    core: { id: definition.name, name: definition.name, description: definition.description, attributes },
    extensions: [],
  };
}
